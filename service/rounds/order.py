"""The one order of a conference's rounds, used wherever rounds are listed.

By start time; rounds without a time come after the timed ones, by name (names are unique in
a conference, so the order is total). The dashboard, the rounds API, plans, exports, table
cards and the attendee page all sort with it, and only in the database, so an untimed round
sits in the same place everywhere.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from service.models import Round


def round_order() -> tuple[
    ColumnElement[bool], InstrumentedAttribute[datetime | None], InstrumentedAttribute[str]
]:
    """``ORDER BY`` terms: ``select(Round).order_by(*round_order())``."""
    return (Round.starts_at.is_(None), Round.starts_at, Round.name)
