"""A consistent copy of the embedded SQLite database while the service keeps running.

SQLite's online backup copies the database page by page; pages written meanwhile are copied
again, so the file it leaves is the database as of one moment, never a torn mix. PostgreSQL
has its own tool for this (``pg_dump``), which the README describes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

#: Pages copied per step; between steps writers may go on.
PAGES_PER_STEP = 1024


class BackupError(Exception):
    """The copy could not be made; the message says why."""


def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy the SQLite database at ``database_url`` to ``target``; return the pages copied.

    Raises:
        BackupError: the database is not a SQLite file, or the target exists or cannot be written.

    Example:
        >>> import tempfile, sqlite3
        >>> folder = Path(tempfile.mkdtemp())
        >>> sqlite3.connect(folder / "a.db").execute("CREATE TABLE t (x)").connection.commit()
        >>> backup_sqlite(f"sqlite:///{folder / 'a.db'}", folder / "copy.db") > 0
        True
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"'hallway backup' copies the embedded SQLite database; this one is "
            f"{url.get_backend_name()}. Use pg_dump for PostgreSQL (see the README)."
        )
    source_path = Path(url.database or "")
    if not url.database or url.database == ":memory:" or not source_path.is_file():
        raise BackupError(f"There is no SQLite database file at '{url.database}'.")
    if target.exists():
        raise BackupError(f"'{target}' exists already; give a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder '{target.parent}' does not exist.")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=PAGES_PER_STEP)
        pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
    except sqlite3.Error as exc:
        copy.close()
        target.unlink(missing_ok=True)
        raise BackupError(f"The copy failed: {exc}.") from exc
    finally:
        source.close()
    copy.close()
    return pages
