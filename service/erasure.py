"""What erasing a person does to stored JSON that names them (audit details, webhook bodies).

The person's own rows are blanked by `service.attendees.service.erase_attendee`; the rows that
merely mention them keep what happened, with the person named by their erased reference.
"""

from __future__ import annotations

from typing import Any

__all__ = ["renamed"]


def renamed(value: Any, *, old: str, new: str) -> Any:
    """``value`` (dicts, lists and scalars) with every value equal to ``old`` replaced by ``new``.

    Keys stay as they are, and so do longer strings that merely contain ``old``.

    >>> renamed({"moves": [{"attendee": "A-17"}, {"attendee": "A-18"}]}, old="A-17", new="x")
    {'moves': [{'attendee': 'x'}, {'attendee': 'A-18'}]}
    """
    if value == old:
        return new
    if isinstance(value, list):
        return [renamed(item, old=old, new=new) for item in value]
    if isinstance(value, dict):
        return {key: renamed(item, old=old, new=new) for key, item in value.items()}
    return value
