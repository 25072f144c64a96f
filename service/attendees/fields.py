"""The canonical attendee fields and how raw values become them.

`AttendeeFields` is the one place where an attendee's data is validated: the REST API and the
file importer both build it, so a value accepted (or refused) by one is accepted (or refused) by
the other. Its validators therefore take the forgiving shapes organizers' spreadsheets hold
("ja", "✓", "en, de") as well as the plain JSON types an API client sends.

Every field has a size limit and refuses control characters (`service.validation`): names, ids
and labels are single lines, profiles, notes and extra answers may hold line breaks.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from service.models import AttendeeStatus
from service.validation import Line, Text, check_line, check_text, control_character

__all__ = [
    "BOOL_FALSE",
    "BOOL_TRUE",
    "MAX_EXTRA_ANSWERS",
    "MAX_EXTRA_CHARS",
    "MAX_LANGUAGES",
    "AttendeeFields",
    "external_id_problem",
    "normalise_languages",
    "parse_bool",
    "parse_status",
]

BOOL_TRUE: tuple[str, ...] = ("yes", "y", "true", "1", "x", "✓", "ja", "oui", "si")
BOOL_FALSE: tuple[str, ...] = ("no", "n", "false", "0", "nein", "non")
# Spellings seen in the wild for the same answers; not advertised in error messages.
_BOOL_TRUE_ALSO = ("sí", "✔", "☑", "j", "wahr", "vrai", "t", "on", "checked")
_BOOL_FALSE_ALSO = ("falsch", "faux", "f", "off", "unchecked", "-")
_BOOLS: dict[str, bool] = {
    **{word: True for word in (*BOOL_TRUE, *_BOOL_TRUE_ALSO)},
    **{word: False for word in (*BOOL_FALSE, *_BOOL_FALSE_ALSO)},
}

# Registration systems export their own ticket states; they all come down to ours.
_STATUSES: dict[str, AttendeeStatus] = {
    **dict.fromkeys(
        (
            "registered", "attending", "confirmed", "paid", "pending", "complete", "completed",
            "active", "valid", "checked in", "checked-in", "approved", "placed", "bezahlt",
        ),
        AttendeeStatus.REGISTERED,
    ),
    **dict.fromkeys(
        (
            "cancelled", "canceled", "cancelled by organizer", "not attending", "refunded",
            "deleted", "void", "voided", "expired", "storniert", "abgesagt", "annulé",
        ),
        AttendeeStatus.CANCELLED,
    ),
    **dict.fromkeys(
        ("no-show", "no show", "noshow", "no_show", "absent"), AttendeeStatus.NO_SHOW
    ),
    **dict.fromkeys(
        ("needs-details", "needs details", "info requested"), AttendeeStatus.NEEDS_DETAILS
    ),
}  # fmt: skip

_LANGUAGE_SEPARATORS = re.compile(r"[,;/|&+\n]|\s+(?:and|und|et|y)\s+", re.IGNORECASE)
_PARENTHESISED = re.compile(r"\s*[(\[].*?[)\]]\s*")
_LANGUAGE_TAG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$", re.IGNORECASE)
# ISO 639 names that read oddly on a name badge.
_PREFERRED_NAMES = {"Modern Greek": "Greek", "Panjabi": "Punjabi", "Norwegian Bokmål": "Norwegian"}
# Autonyms people commonly type instead of the English name; ISO 639 has English names only.
_AUTONYMS = {
    "deutsch": "German", "français": "French", "francais": "French", "español": "Spanish",
    "espanol": "Spanish", "castellano": "Spanish", "italiano": "Italian", "português": "Portuguese",
    "portugues": "Portuguese", "nederlands": "Dutch", "polski": "Polish", "svenska": "Swedish",
    "dansk": "Danish", "norsk": "Norwegian", "suomi": "Finnish", "čeština": "Czech",
    "русский": "Russian", "ελληνικά": "Greek", "türkçe": "Turkish", "magyar": "Hungarian",
}  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")

# Constraints before the control-character check, so a long value gets the plain length error.
ShortText = Annotated[str, Field(max_length=200), AfterValidator(check_line)]

MAX_LANGUAGES = 20
# "Swiss German Sign Language" is 26; nothing real comes near 60.
MAX_LANGUAGE_CHARS = 60
# What a languages answer may hold before it is split; keeps the normalising cache small.
MAX_LANGUAGES_INPUT_CHARS = 1000
MAX_EXTRA_ANSWERS = 100
MAX_EXTRA_CHARS = 20_000
Language = Annotated[
    str, Field(min_length=1, max_length=MAX_LANGUAGE_CHARS), AfterValidator(check_line)
]
# Extra answers are keyed by the file's column header: a question, which may wrap.
ExtraQuestion = Annotated[str, Field(max_length=200), AfterValidator(check_text)]
ExtraAnswer = Annotated[str, Field(max_length=5000), AfterValidator(check_text)]


def external_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an attendee's external id, or None if it can.

    For callers that look an id up before the whole record is validated (a batch item), so
    that no query ever carries a NUL.

    Example:
        >>> external_id_problem("T-1001") is None, external_id_problem("T\\x00")
        (True, 'contains the control character U+0000 (NUL) at position 2')
    """
    limit = AttendeeFields.model_fields["external_id"].metadata
    longest = next(rule.max_length for rule in limit if hasattr(rule, "max_length"))
    if len(value) > longest:
        return f"id too long: {len(value):,} characters, at most {longest}"
    problem = control_character(value, multiline=False)
    return None if problem is None else f"contains {problem}"


def parse_bool(value: object) -> bool | None:
    """Read a yes/no answer as spreadsheets and forms write it.

    Args:
        value: A cell or JSON value: a bool, 0/1, or a word such as "yes", "n", "x", "ja".

    Returns:
        The answer, or None when the value is empty (the caller applies its default).

    Raises:
        ValueError: The value is not a recognisable yes/no answer; the message lists the
            accepted spellings.

    Example:
        >>> parse_bool("Ja"), parse_bool(" n "), parse_bool("")
        (True, False, None)
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if not text:
        return None
    try:
        return _BOOLS[text]
    except KeyError:
        accepted = ", ".join((*BOOL_TRUE, *BOOL_FALSE))
        raise ValueError(
            f"{str(value).strip()!r} is not a yes/no answer; use one of: {accepted}"
        ) from None


def parse_status(value: object) -> AttendeeStatus:
    """Read an attendee status, including registration systems' own ticket states.

    Args:
        value: "registered", "cancelled", "no-show", or an equivalent such as "Paid",
            "Canceled", "Not Attending", "Checked In"; empty means registered.

    Returns:
        One of "registered", "cancelled", "no-show".

    Raises:
        ValueError: The status is not recognised.

    Example:
        >>> [str(parse_status(v)) for v in ("Paid", "canceled", "")]
        ['registered', 'cancelled', 'registered']
    """
    text = "" if value is None else " ".join(str(value).split()).casefold()
    if not text:
        return AttendeeStatus.REGISTERED
    try:
        return _STATUSES[text]
    except KeyError:
        raise ValueError(
            f"{str(value).strip()!r} is not a status; use registered, cancelled, no-show or "
            "needs-details"
        ) from None


@cache
def _language_index() -> tuple[dict[str, str], dict[str, str]]:
    """Map ISO 639 codes and lower-cased names to display names (built once, on first use)."""
    by_code: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for language in pycountry.languages:
        name = getattr(language, "common_name", None) or language.name
        display = _PARENTHESISED.sub(" ", name).strip()
        display = _PREFERRED_NAMES.get(display, display)
        by_name.setdefault(language.name.casefold(), display)
        by_name.setdefault(display.casefold(), display)
        alpha_2 = getattr(language, "alpha_2", None)
        # Only the major languages' three-letter codes: ISO 639-3 has thousands, and common
        # abbreviations ("ASL", "BSL") would otherwise turn into obscure languages.
        if alpha_2:
            by_code[alpha_2] = display
            by_code[language.alpha_3] = display
            bibliographic = getattr(language, "bibliographic", None)
            if bibliographic:
                by_code[bibliographic] = display
    for autonym, english in _AUTONYMS.items():
        by_name.setdefault(autonym, english)
    return by_code, by_name


@lru_cache(maxsize=4096)
def _language_name(token: str) -> str:
    by_code, by_name = _language_index()
    folded = token.casefold()
    # Codes first: ISO 639-3 also holds languages named "En" or "De".
    tag = _LANGUAGE_TAG.match(folded)
    if tag and tag.group(1) in by_code:
        return by_code[tag.group(1)]
    if folded in by_name:
        return by_name[folded]
    # Unknown names keep the writer's capitals ("ASL"), but "swiss german" gets some.
    return token.title() if token == token.lower() else token


def normalise_languages(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Split and normalise a languages answer.

    Args:
        value: A cell such as "english; de / Français" or a list of names or codes.

    Returns:
        English language names, in the order given, without duplicates.

    Example:
        >>> normalise_languages("english, de / Français (native), en-US")
        ['English', 'German', 'French']
    """
    if value is None:
        return []
    if isinstance(value, str):
        return list(_normalise_cell(value))
    return list(_normalise_cell(", ".join(str(piece) for piece in value)))


@lru_cache(maxsize=4096)
def _normalise_cell(cell: str) -> tuple[str, ...]:
    # Cached: thousands of rows repeat a handful of answers ("en, de").
    names: list[str] = []
    seen: set[str] = set()
    for raw in _LANGUAGE_SEPARATORS.split(cell):
        token = " ".join(_PARENTHESISED.sub(" ", raw).strip(" \t.-").split())
        if not token:
            continue
        name = _language_name(token)
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return tuple(names)


class AttendeeFields(BaseModel):
    """An attendee's data as organizers and registration systems provide it.

    Attributes:
        external_id: The registration system's id for this attendee (ticket, position).
        name: Full name as shown to tablemates.
        email: Lower-cased e-mail address, if known; never shown to other attendees.
        affiliation: Company or organisation; used to keep co-workers apart.
        interests: The short interest profile the matcher reads.
        hometown: Where the attendee comes from.
        languages: Languages spoken, as English names.
        solo: Came alone.
        party: A label shared by people who came together.
        dinner: Opted in to dinners.
        first_time: First time at this conference.
        dietary: Dietary notes, carried to exports only.
        accessibility: Accessibility notes, carried to exports only.
        status: "registered", "cancelled" or "no-show".
        extra: Further answers by question, kept for the organizer.

    Example:
        >>> AttendeeFields(external_id=" 17 ", name="Zoë Ng", solo="x", languages="en, de").solo
        True
    """

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    external_id: Line = Field(min_length=1, max_length=200)
    name: Line = Field(min_length=1, max_length=200)
    email: Line | None = Field(default=None, max_length=254)
    affiliation: ShortText = ""
    interests: Text = Field(default="", max_length=1000)
    hometown: ShortText = ""
    languages: list[Language] = Field(default_factory=list, max_length=MAX_LANGUAGES)
    solo: bool = False
    party: Line | None = Field(default=None, max_length=200)
    dinner: bool = False
    first_time: bool = False
    dietary: Text = Field(default="", max_length=500)
    accessibility: Text = Field(default="", max_length=500)
    status: AttendeeStatus = AttendeeStatus.REGISTERED
    extra: dict[ExtraQuestion, ExtraAnswer] = Field(
        default_factory=dict, max_length=MAX_EXTRA_ANSWERS
    )

    @field_validator("*", mode="before")
    @classmethod
    def _compose_unicode(cls, value: Any) -> Any:
        # Names pasted from macOS arrive decomposed ("Zoe" + combining diaeresis).
        if isinstance(value, str):
            return unicodedata.normalize("NFC", value)
        return value

    @field_validator("external_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("email", mode="before")
    @classmethod
    def _check_email(cls, value: Any) -> Any:
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        if not _EMAIL.match(text):
            raise ValueError(f"{text!r} is not an e-mail address")
        return text.lower()

    @field_validator("party", mode="before")
    @classmethod
    def _empty_party(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value) > MAX_LANGUAGES_INPUT_CHARS:
            raise ValueError(
                f"languages too long: {len(value):,} characters, at most "
                f"{MAX_LANGUAGES_INPUT_CHARS:,}"
            )
        if isinstance(value, list | tuple):
            if len(value) > MAX_LANGUAGES:
                raise ValueError(f"too many languages: {len(value)}, at most {MAX_LANGUAGES}")
            if sum(len(str(piece)) for piece in value) > MAX_LANGUAGES_INPUT_CHARS:
                raise ValueError(
                    f"languages too long: at most {MAX_LANGUAGES_INPUT_CHARS:,} characters"
                )
        if value is None or isinstance(value, str | list | tuple):
            return normalise_languages(value)
        return value

    @field_validator("solo", "dinner", "first_time", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> bool:
        return bool(parse_bool(value))

    @field_validator("status", mode="before")
    @classmethod
    def _known_status(cls, value: Any) -> str:
        return parse_status(value)

    @field_validator(
        "affiliation", "interests", "hometown", "dietary", "accessibility", mode="before"
    )
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("extra", mode="before")
    @classmethod
    def _few_extra(cls, value: Any) -> Any:
        if isinstance(value, dict) and len(value) > MAX_EXTRA_ANSWERS:
            raise ValueError(f"too many extra answers: {len(value):,}, at most {MAX_EXTRA_ANSWERS}")
        return value

    @field_validator("extra")
    @classmethod
    def _bounded_extra(cls, value: dict[str, str]) -> dict[str, str]:
        size = sum(len(question) + len(answer) for question, answer in value.items())
        if size > MAX_EXTRA_CHARS:
            raise ValueError(
                f"extra answers too long: {size:,} characters in all, at most {MAX_EXTRA_CHARS:,}"
            )
        return value
