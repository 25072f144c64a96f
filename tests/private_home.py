"""A private home for a test session: caches go to a temporary folder, never to ``~/.cache``.

`enter` points HOME, the XDG folders, ``HALLWAY_CACHE_DIR`` and Hypothesis's storage at one
temporary folder (subprocesses inherit the environment) and records the real cache folder as it
was; `PrivateHome.real_cache_changes` lists what changed there since. `leave` undoes it all.

What counts as the suite's doing: anything new at the top of the real cache folder (a leak
typically creates its own folder, as the model export's ``~/.cache/hallway`` did) and any change
inside the folders of the programs the suite runs. Changes inside other folders that existed
before the run belong to other programs on the machine (a browser's cache) and are left alone,
so a developer's open browser does not fail the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Cache folders of what the suite runs: the service and benchmarks, Hugging Face and torch,
# ONNX Runtime, Playwright and Chromium, fontconfig, numba, matplotlib.
SUITE_FOLDERS = frozenset(
    {
        "hallway",
        "hallway-bench",
        "huggingface",
        "torch",
        "Microsoft",
        "ms-playwright",
        "chromium",
        "fontconfig",
        "numba",
        "matplotlib",
    }
)


def real_cache_folder() -> Path:
    """The user's cache folder as the environment names it (XDG, else ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def folder_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every folder and file under ``root``: relative path -> (size, mtime); folders (-1, 0)."""
    state: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in dirs:
            state[str((base / name).relative_to(root))] = (-1, 0)
        for name in files:
            try:
                stat = (base / name).lstat()
            except OSError:  # removed while we walked
                continue
            state[str((base / name).relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return state


@dataclass(frozen=True)
class PrivateHome:
    """The session's temporary home, and the real cache folder as it was before the run."""

    path: Path
    real_cache: Path
    real_cache_before: dict[str, tuple[int, int]]
    saved_environment: dict[str, str | None]

    def real_cache_changes(self) -> list[str]:
        """Paths under the real cache folder the suite may have added, changed or removed."""
        after = folder_state(self.real_cache)
        before = self.real_cache_before
        existing = {Path(p).parts[0] for p in before}
        return sorted(
            p
            for p in before.keys() | after.keys()
            if before.get(p) != after.get(p)
            and (Path(p).parts[0] not in existing or Path(p).parts[0] in SUITE_FOLDERS)
        )


def enter() -> PrivateHome:
    """Record the real cache folder, then point the environment at a new temporary home."""
    real_cache = real_cache_folder()
    before = folder_state(real_cache)
    path = Path(tempfile.mkdtemp(prefix="hallway-test-home-"))
    private = {
        "HOME": path,
        "XDG_CACHE_HOME": path / ".cache",
        "XDG_CONFIG_HOME": path / ".config",
        "XDG_DATA_HOME": path / ".local" / "share",
        "XDG_STATE_HOME": path / ".local" / "state",
        "HALLWAY_CACHE_DIR": path / ".cache" / "hallway",
        "HYPOTHESIS_STORAGE_DIRECTORY": path / ".hypothesis",
    }
    saved = {name: os.environ.get(name) for name in private}
    for name, folder in private.items():
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(folder)
    return PrivateHome(path, real_cache, before, saved)


def leave(home: PrivateHome) -> None:
    """Give the environment back and delete the temporary home."""
    for name, value in home.saved_environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    shutil.rmtree(home.path, ignore_errors=True)
