"""The matching library stays a pure library: it never reaches into the web app or database."""

from __future__ import annotations

import ast
from pathlib import Path

MATCHING = Path(__file__).resolve().parent.parent / "matching"
FORBIDDEN = (
    "service",
    "fastapi",
    "sqlalchemy",
    "alembic",
    "starlette",
    "pydantic_settings",
    "uvicorn",
)


def test_matching_imports_nothing_of_the_service() -> None:
    offenders = []
    files = sorted(MATCHING.rglob("*.py"))
    assert files, "the matching package has no modules"
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
