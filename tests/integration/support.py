"""What the integration tests share besides fixtures: the served Hallway and the timings.

Kept out of ``conftest.py`` so that tests import one copy of it (pytest loads conftest files
under a module name of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# (what, seconds): printed in the "integration timings" section of the pytest summary.
TIMINGS: list[tuple[str, float]] = []


def record_timing(what: str, seconds: float) -> None:
    TIMINGS.append((what, seconds))


@dataclass
class Hallway:
    """``hallway serve`` with a plan worker, one conference and an organizer key for it."""

    base: str
    conference_id: str
    key: str
    log: Path
    connection: str = ""  # the registration connection under test, once made

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.base}/v1/conferences/{self.conference_id}/",
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )

    def attendees(self) -> dict[str, dict[str, Any]]:
        """Every attendee of the conference by external id, all statuses."""
        found: dict[str, dict[str, Any]] = {}
        params: dict[str, str] = {"limit": "200"}
        with self.client() as client:
            while True:
                response = client.get("attendees", params=params)
                assert response.status_code == 200, response.text
                body = response.json()
                for item in body["items"]:
                    found[item["external_id"]] = item
                cursor = body.get("next_cursor")
                if not cursor:
                    return found
                params["cursor"] = cursor
