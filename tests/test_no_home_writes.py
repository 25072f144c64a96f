"""The suite writes caches only under its temporary home, never into the user's ``~/.cache``.

``tests/conftest.py`` points HOME, the XDG folders and ``HALLWAY_CACHE_DIR`` at a temporary
folder before collection and runs this module last, so its final test sees the whole run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from matching.embeddings import CachedEncoder, HashingEncoder, default_cache_dir
from tests.private_home import PrivateHome, folder_state

# Every pass of the suite, the PostgreSQL one included, must leave the user's cache alone.
pytestmark = pytest.mark.database


def test_caches_resolve_inside_the_private_home(private_home: PrivateHome) -> None:
    home = private_home.path
    assert Path.home() == home
    assert Path(platformdirs.user_cache_dir("hallway")).is_relative_to(home)
    assert default_cache_dir().is_relative_to(home)
    assert not default_cache_dir().is_relative_to(private_home.real_cache)


def test_a_subprocess_writes_its_cache_inside_the_private_home(
    private_home: PrivateHome,
) -> None:
    # What a benchmark or worker started by a test does: the default embedding cache.
    code = (
        "from matching.embeddings import CachedEncoder, HashingEncoder\n"
        "encoder = CachedEncoder(HashingEncoder())\n"
        "encoder.encode(['graph databases'])\n"
        "print(encoder.path)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    store = Path(done.stdout.strip().splitlines()[-1])
    assert store.is_file()
    assert store.is_relative_to(private_home.path)


def test_the_default_embedding_store_is_inside_the_private_home(
    private_home: PrivateHome,
) -> None:
    encoder = CachedEncoder(HashingEncoder())
    encoder.encode(["pytest and property-based tests"])
    assert encoder.path.is_file()
    assert encoder.path.is_relative_to(private_home.path)


def test_the_check_sees_the_suites_writes_and_ignores_other_programs(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "hallway" / "onnx").mkdir(parents=True)
    (cache / "google-chrome").mkdir()
    (cache / "google-chrome" / "index").write_text("before")
    home = PrivateHome(tmp_path / "home", cache, folder_state(cache), {})
    assert home.real_cache_changes() == []
    (cache / "google-chrome" / "index").write_text("a browser wrote this meanwhile")
    assert home.real_cache_changes() == []
    (cache / "hallway" / "onnx" / "model.onnx").write_bytes(b"x")
    (cache / "new-tool").mkdir()
    assert home.real_cache_changes() == ["hallway/onnx/model.onnx", "new-tool"]


def test_nothing_written_under_the_real_home_cache(private_home: PrivateHome) -> None:
    """Runs last, so it sees what the whole run did to the real cache folder."""
    changed = private_home.real_cache_changes()
    assert changed == [], (
        f"written under {private_home.real_cache} during the run: {changed[:20]} (by the suite,"
        " or by another program using that cache meanwhile, such as a benchmark run by hand)"
    )
