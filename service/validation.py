"""What text and numbers the service accepts: the one definition every schema and parameter uses.

Control characters have no business in a name, an id or a profile. PostgreSQL refuses to
store NUL at all, SQLite stores it and hands it to every page and export, and a line break in
a name ends up in e-mail headers. So every text field is one of two kinds:

* `Line`: one line of text (names, ids, places, labels): no control characters at all.
* `Text`: free text (profiles, notes, answers): tab, line feed and carriage return are
  allowed, other control characters are not.

Both also refuse lone UTF-16 surrogates, which no database can store as UTF-8. The same rule
covers path and query parameters (`service.limits.check_parameters`), so an id or a cursor
with a NUL is a 422 naming the parameter, never a database error. Sizes are set where each
field is declared; this module holds the bounds shared across domains.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Final

from pydantic import AfterValidator

__all__ = [
    "Day",
    "Line",
    "Moment",
    "Text",
    "check_day",
    "check_line",
    "check_moment",
    "check_text",
    "control_character",
]

# C0 controls, DEL, C1 controls and lone surrogates; tab, LF and CR are listed apart.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_OR_BREAK: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NAMES: Final = {"\x00": "NUL", "\t": "tab", "\n": "line feed", "\r": "carriage return"}

# Dates and times: Python's calendar ends in year 9999, so a time zone shift near either end
# overflows. No conference is planned that far out.
EARLIEST_YEAR: Final = 1900
LATEST_YEAR: Final = 2999


def control_character(value: str, *, multiline: bool) -> str | None:
    """Describe the first control character in ``value``, or None if there is none.

    Args:
        value: The text to check.
        multiline: Whether tab, line feed and carriage return are allowed.

    Returns:
        For example "the control character U+0000 (NUL) at position 3", or None.

    Example:
        >>> control_character("Ada\\x00", multiline=True)
        'the control character U+0000 (NUL) at position 4'
        >>> control_character("two\\nlines", multiline=True) is None
        True
    """
    found = (_CONTROL if multiline else _CONTROL_OR_BREAK).search(value)
    if found is None:
        return None
    char = found.group()
    label = f" ({_NAMES[char]})" if char in _NAMES else ""
    return f"the control character U+{ord(char):04X}{label} at position {found.start() + 1}"


def check_line(value: str) -> str:
    """Pydantic validator: one line of text without control characters.

    Raises:
        ValueError: naming the character and its position.
    """
    problem = control_character(value, multiline=False)
    if problem is not None:
        raise ValueError(f"contains {problem}; this field is a single line of plain text")
    return value


def check_text(value: str) -> str:
    """Pydantic validator: text that may hold tabs and line breaks but no other controls.

    Raises:
        ValueError: naming the character and its position.
    """
    problem = control_character(value, multiline=True)
    if problem is not None:
        raise ValueError(f"contains {problem}; only tabs and line breaks are allowed")
    return value


def check_moment(value: datetime) -> datetime:
    """Pydantic validator: a date and time between the years 1900 and 2999."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def check_day(value: date) -> date:
    """Pydantic validator: a date between the years 1900 and 2999."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


Line = Annotated[str, AfterValidator(check_line)]
Text = Annotated[str, AfterValidator(check_text)]
Moment = Annotated[datetime, AfterValidator(check_moment)]
Day = Annotated[date, AfterValidator(check_day)]
