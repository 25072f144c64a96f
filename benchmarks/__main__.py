"""Run every benchmark in turn, each in its own interpreter so one failure does not stop the rest.

Usage::

    python -m benchmarks [--smoke] [--only quality scale ...]

``--smoke`` passes ``--smoke`` on to each benchmark. Exits non-zero when any benchmark failed,
is missing or (with ``--smoke``) has no smoke mode.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

MODULES = ("quality", "scale", "mdgplib", "golfer", "embedding", "importing", "load", "review")
HERE = Path(__file__).resolve().parent


def supports_smoke(module: str) -> bool:
    """Whether ``benchmarks/<module>.py`` offers a ``--smoke`` option."""
    return "--smoke" in (HERE / f"{module}.py").read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="quick run of every benchmark")
    parser.add_argument("--only", nargs="+", choices=MODULES, help="run only these")
    args = parser.parse_args(argv)
    failed: list[str] = []
    for module in args.only or MODULES:
        if not (HERE / f"{module}.py").exists():
            print(f"\n# benchmarks.{module}: missing\n", flush=True)
            failed.append(module)
            continue
        if args.smoke and not supports_smoke(module):
            print(f"\n# benchmarks.{module}: has no --smoke mode\n", flush=True)
            failed.append(module)
            continue
        cmd = [sys.executable, "-m", f"benchmarks.{module}", *(["--smoke"] if args.smoke else [])]
        print(f"\n# {' '.join(cmd[1:])}\n", flush=True)
        start = time.perf_counter()
        code = subprocess.call(cmd)
        took = time.perf_counter() - start
        print(f"\n# benchmarks.{module}: exit {code} after {took:.0f} s", flush=True)
        if code != 0:
            failed.append(module)
    if failed:
        print(f"\n# Failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
