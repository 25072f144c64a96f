"""The dashboard's script modules and style sheets are served by name; nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

STATIC = Path(__file__).parents[2] / "service" / "dashboard" / "static"


def test_every_module_the_page_imports_is_served_as_javascript(client: TestClient) -> None:
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert '<script type="module" src="/dashboard/static/app.js">' in page.text
    wanted = {"app.js"}
    served: set[str] = set()
    while wanted - served:
        name = (wanted - served).pop()
        response = client.get(f"/dashboard/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/javascript"), name
        assert response.headers["x-content-type-options"] == "nosniff"
        served.add(name)
        wanted |= set(re.findall(r'from "\./([a-z0-9_-]+\.js)"', response.text))
    # Every module in the folder is reached from app.js: none is left behind unused.
    assert served == {p.name for p in STATIC.glob("*.js")}


@pytest.mark.parametrize(
    "name", ["nope.js", "..%2Frouter.py", "dashboard.html", "%2e%2e%2f__init__.py", "app.js.map"]
)
def test_anything_else_is_not_found(client: TestClient, name: str) -> None:
    response = client.get(f"/dashboard/static/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
