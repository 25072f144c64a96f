"""Each benchmark's ``--smoke`` mode runs to the end and prints its table.

Only that it runs: timings on a shared test machine say nothing, so none is asserted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import MODULES, supports_smoke

ROOT = Path(__file__).resolve().parents[2]
# Module -> a piece of its table header; None: any markdown table or dashed rule will do.
HEADERS: dict[str, str | None] = {
    "quality": "| method | hard |",
    "scale": "| n | run | seconds |",
    "mdgplib": None,
    "golfer": "| instance | people |",
    "embedding": None,
    "importing": "| rows | runs |",
    "load": "| scenario | requests |",
    "review": "| request | calls |",
}


def _has_table(output: str) -> bool:
    return any(
        line.startswith("|") or (len(line) >= 10 and set(line) <= {"-", " ", "|"})
        for line in output.splitlines()
    )


def test_every_benchmark_is_smoke_tested() -> None:
    on_disk = {
        path.stem
        for path in (ROOT / "benchmarks").glob("*.py")
        if path.stem not in {"__init__", "__main__", "common"}
    }
    assert on_disk == set(HEADERS)
    assert set(MODULES) == set(HEADERS)


@pytest.mark.parametrize("module", list(HEADERS))
def test_smoke(module: str, tmp_path: Path) -> None:
    source = ROOT / "benchmarks" / f"{module}.py"
    assert source.exists(), f"benchmarks/{module}.py is missing"
    assert supports_smoke(module), f"benchmarks/{module}.py has no --smoke mode"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HALLWAY_BENCH_CACHE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    header = HEADERS[module]
    if header is None:
        assert _has_table(done.stdout), done.stdout[-2000:]
    else:
        assert header in done.stdout, done.stdout[-2000:]


def test_runner_fails_on_a_missing_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    import benchmarks.__main__ as runner

    monkeypatch.setattr(runner, "MODULES", ("no_such_benchmark",))
    assert runner.main(["--smoke", "--only", "no_such_benchmark"]) == 1
