"""The names of the hard rules, as checks, errors and the service speak of them."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RuleName"]


class RuleName(StrEnum):
    """A hard rule a plan or an edit can break, or that makes planning impossible.

    The values are what an organizer reads in a problem+json ``rule`` field and in feasibility
    findings.

    Example:
        >>> RuleName.KEEP_APART
        <RuleName.KEEP_APART: 'keep-apart'>
        >>> str(RuleName("keep-together"))
        'keep-together'
    """

    UNKNOWN_ROUND = "unknown-round"
    UNKNOWN_ATTENDEE = "unknown-attendee"
    SEATED_TWICE = "seated-twice"
    UNSEATED = "unseated"
    INELIGIBLE = "ineligible"
    CAPACITY = "capacity"
    TABLE_COUNT = "table-count"
    SIZE_SPREAD = "size-spread"
    PIN = "pin"
    PINS = "pins"
    KEEP_APART = "keep-apart"
    KEEP_TOGETHER = "keep-together"
    TABLE = "table"
    SWAP = "swap"
