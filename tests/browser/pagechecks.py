"""What every dashboard browser test checks on a page: console errors and axe-core findings."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page

AXE = Path(__file__).parent / "fixtures" / "axe.min.js"


class Console:
    """Console errors and uncaught exceptions; the refusals a test provokes (422 answers to
    requests whose address ends with one of ``allowed``) are counted apart."""

    def __init__(self, page: Page, allowed: tuple[str, ...] = ()) -> None:
        self.errors: list[str] = []
        self.refusals: list[str] = []
        self.allowed = allowed
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if "status of 422" in message.text and any(url.endswith(end) for end in self.allowed):
            self.refusals.append(url)
        else:
            self.errors.append(f"{message.text} ({url})")


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations of the page as it is now."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = json.loads(page.evaluate("async () => JSON.stringify(await axe.run(document))"))
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in found["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]
