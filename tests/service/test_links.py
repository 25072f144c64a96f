"""The link-signing secret is made once, even when two processes need it at the same moment."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from service.attendees.links import link_secret
from service.db import _session_factory, get_engine
from service.models import Setting


def test_a_secret_made_by_another_process_meanwhile_is_used_not_overwritten(
    settings_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = _session_factory(get_engine())
    with sessions() as first:
        made = link_secret(first)
        first.commit()
    with sessions() as second:
        # The second process looked before the first one committed: it saw no secret yet.
        real_get = second.get

        def not_yet(entity: Any, ident: Any, **kwargs: Any) -> Any:
            return None if entity is Setting else real_get(entity, ident, **kwargs)

        monkeypatch.setattr(second, "get", not_yet)
        assert link_secret(second) == made
        # The session is still usable and nothing was overwritten.
        assert second.scalar(select(func.count()).select_from(Setting)) == 1
        second.commit()
    with sessions() as third:
        assert link_secret(third) == made
