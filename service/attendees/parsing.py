"""Read organizers' attendee files (CSV or XLSX exports of pretix, Eventbrite, Tito, or a sheet).

The parser turns a file into `AttendeeFields` rows plus a list of problems, each naming the
spreadsheet row and the column header as the organizer sees them. A bad row never stops the
others from parsing; whether a file with problems is imported at all is the caller's decision.
Only problems with the file as a whole (empty, not a table, no id column, too many rows) raise
`ImportFileError`.

Reading the bytes (encoding, delimiter, XLSX safety) is `service.attendees.files`'s.

Decisions worth knowing:

* Columns a registration system adds for its own bookkeeping (prices, taxes, payment, postal
  and invoice addresses, phone numbers, seats, barcodes) are dropped rather than kept as extra
  answers: Hallway has no use for them, and not keeping personal data it does not need is the
  point of data minimisation. Every other unknown column becomes an extra answer.
* Control characters (a NUL, a vertical tab...) are reported by row and column like any other
  bad value, not stripped: the organizer sees exactly what the file holds. In a header they
  make the file unreadable as a whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import Any, Final, Literal

from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from matching.placeholders import INFO_REQUESTED as _INFO_REQUESTED
from matching.placeholders import placeholder_kind as _placeholder_kind
from service.attendees.fields import AttendeeFields, parse_bool, parse_status
from service.attendees.files import XLSX_MAX_RATIO, ImportFileError, XlsxLimits, read_records
from service.attendees.mapping import DEFAULT_ACTIONS, ImportMapping, has_id, has_name, missing
from service.models import AttendeeStatus
from service.validation import control_character

__all__ = [
    "XLSX_MAX_RATIO",
    "ColumnPreview",
    "FlaggedRow",
    "ImportFileError",
    "MappingError",
    "NoKeyColumn",
    "ParseResult",
    "ParsedRow",
    "RowProblem",
    "SavedMapping",
    "TooManyRows",
    "XlsxLimits",
    "parse_attendee_file",
]

SourceFormat = Literal["eventbrite", "pretix", "tito", "hallway"]

# How far down a header may sit below a report title or notes.
_HEADER_SEARCH_ROWS: Final = 10
# A sheet wider than this is not an attendee list (pretix exports with many questions have a
# few hundred columns).
_MAX_COLUMNS: Final = 1000


# Internal column roles. Most are AttendeeFields names; the rest are parts composed into one.
_NAME_PARTS: Final = ("first_name", "last_name")
_ID_PARTS: Final = ("order_code", "position_id")
_JOINED: Final = frozenset({"interests"})


def _aliases(role: str, priority: int, *headers: str) -> dict[str, tuple[str, int]]:
    return {header: (role, priority) for header in headers}


# Normalised header (see `_header_key`) -> (role, priority); for one role the column with the
# lowest priority that holds a value wins, so "Attendee email" beats pretix's order "Email".
_ALIASES: Final[dict[str, tuple[str, int]]] = {
    **_aliases(
        "external_id", 0,
        "id", "external id", "externalid", "attendee id", "attendee number", "ticket id",
        "ticket reference", "ticket number", "registration id", "registration number",
        "participant id", "badge id", "uid",
    ),
    **_aliases("order_code", 0, "order code", "ordercode"),
    **_aliases("position_id", 0, "position id", "positionid"),
    **_aliases(
        "name", 0,
        "name", "full name", "fullname", "attendee name", "ticket full name", "participant name",
        "attendee full name", "display name",
    ),
    **_aliases(
        "first_name", 0,
        "first name", "firstname", "given name", "forename", "vorname", "prenom",
        "ticket first name", "attendee first name", "attendee name given name",
    ),
    **_aliases(
        "last_name", 0,
        "last name", "lastname", "surname", "family name", "nachname", "nom",
        "ticket last name", "attendee last name", "attendee name family name",
    ),
    **_aliases("email", 0, "attendee email", "ticket email", "attendee email address"),
    **_aliases("email", 1, "email", "email address", "mail", "e mail adresse"),
    **_aliases(
        "affiliation", 0,
        "affiliation", "company", "company name", "ticket company name", "organisation",
        "organization", "employer", "institution", "firma", "attendee company",
    ),
    **_aliases(
        "interests", 0,
        "interests", "interest", "profile", "topics", "interessen",
    ),
    **_aliases("hometown", 0, "hometown", "home town", "home city", "where are you from"),
    **_aliases(
        "languages", 0,
        "languages", "language", "spoken languages", "languages spoken", "sprachen",
    ),
    **_aliases(
        "solo", 0,
        "solo", "alone", "came alone", "coming alone", "attending alone", "on my own",
        "i m coming on my own", "i m here on my own", "coming on my own",
    ),
    **_aliases("party", 0, "party", "party label", "travel group", "group"),
    **_aliases(
        "dinner", 0,
        "dinner", "dinner opt in", "join dinner", "attending dinner",
        "will you join the conference dinner", "conference dinner",
    ),
    **_aliases(
        "first_time", 0,
        "first time", "firsttime", "first timer", "first time attendee", "first time here",
        "is this your first time",
    ),
    **_aliases(
        "dietary", 0,
        "dietary", "dietary requirements", "dietary restrictions", "dietary needs", "diet",
        "food preferences", "allergies",
    ),
    **_aliases(
        "accessibility", 0,
        "accessibility", "accessibility needs", "accessibility requirements",
    ),
    **_aliases("status", 0, "status", "attendee status", "ticket status", "registration status"),
    # Whoever bought the ticket: only used for placeholder rows ("use the buyer's name").
    **_aliases("buyer_first_name", 0, "buyer first name"),
    **_aliases("buyer_last_name", 0, "buyer last name"),
    **_aliases("buyer_name", 0, "buyer name", "order name"),
    **_aliases("buyer_email", 0, "buyer email", "order email"),
}  # fmt: skip

# Headers only a registration system's export writes: recognised as "known export".
_EXPORT_KEYS: Final = frozenset(
    {
        "attendee number", "attendee status", "order code", "position id", "attendee name",
        "attendee name given name", "attendee name family name", "attendee email",
        "ticket reference", "ticket full name", "ticket first name", "ticket last name",
        "ticket email", "ticket company name", "buyer first name", "buyer last name",
        "buyer email", "order name", "order email",
    }
)  # fmt: skip
# The order a ticket belongs to: "yes, I bring a companion" makes a party of the order.
_ORDER_KEYS: Final = ("order number", "order code", "order reference", "order")
# Headers that make a party column hold labels as written; any other (a question) is yes/no.
_PARTY_LABEL_KEYS: Final = frozenset({"party", "party label", "travel group", "group"})

# Registration systems' bookkeeping columns that Hallway drops (see the module docstring).
_IGNORED: Final = frozenset(
    {
        "event slug", "event", "order number", "order date", "order time", "order type",
        "quantity", "ticket type", "barcode number", "order reference",
        "order company name", "order phone number", "total paid", "fees paid",
        "eventbrite fees", "eventbrite payment processing", "price", "ticket price",
        "tax rate", "tax rule", "tax value", "phone number", "ticket phone number", "phone",
        "mobile", "address", "home address 1", "home address 2", "home state",
        "home zip", "home country", "zip code", "postcode", "city", "country", "state",
        "voucher", "discount", "discount code", "discount status", "pseudonymization id",
        "seat id", "seat name", "seat zone", "seat row", "seat number", "invoice address name",
        "vat id", "sales channel", "order locale", "payment providers",
        "email address verified", "device name", "check in date", "hold", "void status",
        "ticket created date", "ticket last updated date", "unique ticket url",
        "unique order url", "order comment", "follow up date", "number",
        "attendee name title", "attendee name given name title",
    }
)  # fmt: skip

# Questions whose wording varies, in English, German, French, Spanish, Italian and Dutch: words
# in the (accent-free, lower-case) header that give their role away. Free-text questions come
# first, so "Dietary needs for the dinner?" is dietary and "Topics for dinner?" interests.
_QUESTION_WORDS: Final = tuple(
    (role, re.compile(pattern))
    for role, pattern in (
        (
            "interests",
            r"interest|talk about|topics|themen|woruber|sprechen|sujets|parler|temas|hablar"
            r"|argomenti|parlare|onderwerpen|praten",
        ),
        ("hometown", r"home ?town|heimat|wohnort|ville d origine|ciudad de origen|woonplaats"),
        ("languages", r"languages|sprachen|langues|idiomas|lingue|\btalen\b"),
        (
            "dietary",
            r"dietary|allerg|ernahrung|regime|alimentaire|dieta|alimentari|dieet|vegetar",
        ),
        ("accessibility", r"accessib|barrierefrei|accesib|toegankelijk"),
        (
            "solo",
            r"\b(?:alone|on (?:your|my) own|by (?:yourself|myself)|solo|sola|allein|alleine"
            r"|seule?s?|da sol[oa]|alleen)\b",
        ),
        (
            "party",
            r"companion|plus one|bring(?:ing)? (?:a|someone|anyone|your)|begleit|accompagn"
            r"|acompan|begeleid|introduce",
        ),
        ("dinner", r"\b(?:dinner|abendessen|diner|cena|avondeten)\b"),
        (
            "first_time",
            r"first time|\berste[nrs]?\b|premiere fois|primera vez|prima volta"
            r"|eerste (?:keer|maal)",
        ),
    )
)

_SIGNATURES: Final[tuple[tuple[SourceFormat, frozenset[str]], ...]] = (
    ("tito", frozenset({"ticket reference", "ticket full name", "ticket email"})),
    (
        "pretix",
        frozenset({"order code", "position id", "attendee name", "attendee name given name"}),
    ),
    ("eventbrite", frozenset({"attendee number", "order number", "barcode number"})),
)

_FIELD_LABELS: Final = {"external_id": "id", "first_time": "first-time", "extra": "answer"}
_ITEMS: Final = {"languages": "languages", "extra": "answers"}


class MappingError(ImportFileError):
    """The organizer's mapping does not fit the file (a column it names is not there, or it
    leaves no id or name).

    Attributes:
        pointer: Where in the request the mistake is, e.g. "/mapping/columns/Ticket".
    """

    def __init__(self, message: str, *, pointer: str) -> None:
        super().__init__(message)
        self.pointer = pointer

    def __reduce__(self) -> tuple[Any, ...]:
        return (partial(type(self), pointer=self.pointer), (str(self),))


class NoKeyColumn(ImportFileError):
    """No column was recognised as the id or the name: the organizer has to map one.

    Attributes:
        preview: The first row's columns as the headers suggest, with sample values, so the
            organizer can choose a target for each.
    """

    def __init__(self, message: str, *, preview: list[ColumnPreview]) -> None:
        super().__init__(message)
        self.preview = preview

    def __reduce__(self) -> tuple[Any, ...]:
        return (partial(type(self), preview=self.preview), (str(self),))


class TooManyRows(ImportFileError):
    """The file holds more attendee rows than allowed.

    Attributes:
        limit: The maximum number of rows.
    """

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a file worker process and rebuilt in the web process.
        return (partial(type(self), limit=self.limit), (str(self),))


@dataclass(frozen=True)
class RowProblem:
    """One problem with one row of the file.

    Attributes:
        row: Row number as a spreadsheet shows it (header row 1, first data row 2, blank
            rows counted).
        column: The column's header as written in the file, or None when the problem is with
            the row as a whole.
        message: What is wrong, in words for the organizer.
    """

    row: int
    column: str | None
    message: str


@dataclass(frozen=True)
class ParsedRow:
    """A row that parsed into valid attendee fields.

    Attributes:
        row: Row number as a spreadsheet shows it.
        fields: The attendee's canonical fields.
    """

    row: int
    fields: AttendeeFields


@dataclass(frozen=True)
class ColumnPreview:
    """One column of the file, what it fills and how that was decided.

    Attributes:
        header: The header as the file writes it (a repeated one gets " (2)").
        target: What it fills: a target of `service.attendees.mapping.TARGETS`.
        recognised_by: "exact header", "known export", "question wording", "saved mapping",
            "your mapping", "empty header" or "not recognised" (kept as an extra answer).
        samples: Up to 3 different values from the first rows that have one.
    """

    header: str
    target: str
    recognised_by: str
    samples: tuple[str, ...]


@dataclass(frozen=True)
class FlaggedRow:
    """A row that is not (yet) a person: a placeholder, a test entry, a second ticket.

    Attributes:
        row: Row number as a spreadsheet shows it.
        kind: One of `service.attendees.mapping.PlaceholderKind`.
        action: What was done: "buyer_name", "needs_details", "skip" or "import".
        name: The name the file gives (for the organizer only).
        external_id: The row's id, if it has one.
        note: Why the action differs from the one chosen, if it does (no buyer name).
    """

    row: int
    kind: str
    action: str
    name: str
    external_id: str
    note: str = ""


@dataclass
class ParseResult:
    """What a file held.

    Attributes:
        rows: Rows without problems, in file order.
        problems: Problems by row, in file order; the rows they name are not in `rows`.
        source_format: The export the headers look like: "eventbrite", "pretix", "tito", or
            "hallway" for anything else.
        columns: Each header (a repeated header gets " (2)", " (3)"...) and its target (see
            `service.attendees.mapping`): an AttendeeFields name, "first_name"/"last_name"
            (joined into name), "order_code"/"position_id" (joined into external_id), a buyer
            column, "extra", or "ignore".
        file_format: "csv" or "xlsx".
        encoding: The CSV's text encoding ("utf-8", "utf-8-sig", "utf-16", "cp1252"), or None
            for XLSX.
        delimiter: The CSV's delimiter, or None for XLSX.
        header_row: Row number of the header.
        preview: Each column with its target, how it was recognised and sample values.
        flagged: Placeholder and junk rows, and what was done with them.
        mapping_source: "your mapping" (the caller's), "saved mapping" (the conference's, for
            the same header set) or "recognised" (from the headers alone).
        row_count: Data rows in the file (blank ones not counted).
        placeholders: The action used for each placeholder kind.
    """

    rows: list[ParsedRow]
    problems: list[RowProblem]
    source_format: SourceFormat
    columns: dict[str, str]
    file_format: Literal["csv", "xlsx"]
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int = 1
    # Rows that had any problem, for callers that report counts.
    rejected_rows: list[int] = field(default_factory=list)
    preview: list[ColumnPreview] = field(default_factory=list)
    flagged: list[FlaggedRow] = field(default_factory=list)
    mapping_source: str = "recognised"
    row_count: int = 0
    placeholders: dict[str, str] = field(default_factory=dict)


def parse_attendee_file(
    data: bytes,
    *,
    filename: str,
    max_rows: int | None = None,
    xlsx_limits: XlsxLimits | None = None,
    mapping: ImportMapping | None = None,
    saved: SavedMapping | None = None,
) -> ParseResult:
    """Parse an attendee CSV or XLSX file.

    Args:
        data: The file's bytes.
        filename: The uploaded file's name; its extension helps tell XLSX from CSV.
        max_rows: Refuse files with more data rows than this.
        xlsx_limits: What an XLSX may unpack to; `XlsxLimits()` when not given.
        mapping: The caller's column targets and placeholder actions; they win over
            everything else. Every column it names must be in the file.
        saved: The conference's saved mapping; used when the file's header set is the one it
            was saved for (the same export again).

    Returns:
        The valid rows, the problems by row and column, and what was detected.

    Raises:
        TooManyRows: More than `max_rows` data rows.
        MappingError: ``mapping`` names a column the file lacks, or leaves no id or name.
        ImportFileError: The file is empty, damaged, not a CSV or XLSX file, unpacks out of
            proportion to its size, or has no recognisable id or name column.

    Example:
        >>> data = b"id,name,solo\\n17,Zo\\xc3\\xab Ng,yes\\n18,,no\\n"
        >>> result = parse_attendee_file(data, filename="people.csv")
        >>> [(r.row, r.fields.name, r.fields.solo) for r in result.rows]
        [(2, 'Zoë Ng', True)]
        >>> result.problems
        [RowProblem(row=3, column='name', message='missing name')]
    """
    records = read_records(data, filename=filename, xlsx_limits=xlsx_limits)
    choices = _Choices(mapping=mapping or ImportMapping(), saved=saved)
    result = _parse_records(
        records.rows, file_format=records.file_format, max_rows=max_rows, choices=choices
    )
    result.encoding = records.encoding
    result.delimiter = records.delimiter
    return result


def _header_key(header: str) -> str:
    text = unicodedata.normalize("NFKD", header).casefold()
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.replace("#", " number ").replace("e-mail", "email").replace("_", " ")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _role(header: str) -> tuple[str, int, str]:
    """A header's target, its priority among columns of that target, and how it was known."""
    key = _header_key(header)
    if key in _ALIASES:
        role, priority = _ALIASES[key]
        return role, priority, "known export" if key in _EXPORT_KEYS else "exact header"
    if key in _IGNORED:
        return "ignore", 0, "exact header"
    # pretix splits multiple-choice questions into "Question \u2013 Option" yes/no columns.
    if "\u2013" not in header:
        for role, pattern in _QUESTION_WORDS:
            if pattern.search(key):
                return role, 5, "question wording"
    return "extra", 0, "not recognised"


@dataclass(frozen=True)
class SavedMapping:
    """A conference's saved mapping and the headers of the export it was made for.

    Attributes:
        headers: The export's headers as the file writes them (repeats with " (2)").
        mapping: The column targets and placeholder actions chosen for it.
    """

    headers: tuple[str, ...]
    mapping: ImportMapping

    def fits(self, headers: Iterable[str]) -> bool:
        """Whether ``headers`` are the same export's: the same header set, in any order."""
        return same_export(self.headers, headers)


def same_export(one: Iterable[str], other: Iterable[str]) -> bool:
    """Whether two header rows are the same export: the same headers, in any order or case.

    Example:
        >>> same_export(["Attendee #", "First Name"], ["first name", "attendee #"])
        True
    """
    return {_header_key(h) for h in one} == {_header_key(h) for h in other}


@dataclass(frozen=True)
class _Choices:
    """The caller's mapping and the conference's saved one, before the header is known."""

    mapping: ImportMapping
    saved: SavedMapping | None

    def targets(self, headers: list[str]) -> dict[str, tuple[str, str]]:
        chosen: dict[str, tuple[str, str]] = {}
        if self.saved is not None and self.saved.fits(headers):
            chosen.update(
                {h: (target, "saved mapping") for h, target in self.saved.mapping.columns.items()}
            )
        chosen.update({h: (target, "your mapping") for h, target in self.mapping.columns.items()})
        return chosen

    def actions(self, headers: list[str]) -> dict[str, str]:
        actions = dict(DEFAULT_ACTIONS)
        if self.saved is not None and self.saved.fits(headers):
            actions.update({str(k): str(v) for k, v in self.saved.mapping.placeholders.items()})
        actions.update({str(k): str(v) for k, v in self.mapping.placeholders.items()})
        return actions

    def source(self, headers: list[str]) -> str:
        if self.mapping.columns or self.mapping.placeholders:
            return "your mapping"
        if self.saved is not None and self.saved.fits(headers):
            return "saved mapping"
        return "recognised"


@dataclass
class _Layout:
    headers: list[str]
    roles: list[str]
    # Role -> column indexes, best first.
    sources: dict[str, list[int]]
    extra: list[int]
    # How each column's role was decided.
    how: list[str]
    # The column naming each ticket's order, if any.
    order: int | None
    # Party columns that ask a yes/no question rather than hold a label.
    yes_no_party: frozenset[int]

    @property
    def yes_no_party_headers(self) -> frozenset[str]:
        return frozenset(self.headers[index] for index in self.yes_no_party)


def _layout(cells: list[str], choices: _Choices) -> _Layout:
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        header = cell or f"Column {get_column_letter(index + 1)}"
        seen[header] = seen.get(header, 0) + 1
        headers.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    chosen = choices.targets(headers)
    roles: list[str] = []
    how: list[str] = []
    ranked: dict[str, list[tuple[int, int]]] = {}
    for index, (cell, header) in enumerate(zip(cells, headers, strict=True)):
        role, priority, known = _role(cell) if cell else ("ignore", 0, "empty header")
        if header in chosen:
            target, known = chosen[header]
            if target != role:
                # The organizer's choice comes before any column the headers suggest; one
                # that agrees with them keeps their order ("Attendee email" before "Email").
                role, priority = target, -1
        how.append(known)
        roles.append(role)
        if role not in ("extra", "ignore"):
            ranked.setdefault(role, []).append((priority, index))
    sources = {role: [index for _, index in sorted(found)] for role, found in ranked.items()}
    extra = [index for index, role in enumerate(roles) if role == "extra"]
    keys = [_header_key(cell) for cell in cells]
    order = next((keys.index(key) for key in _ORDER_KEYS if key in keys), None)
    yes_no_party = frozenset(
        index for index in sources.get("party", []) if keys[index] not in _PARTY_LABEL_KEYS
    )
    return _Layout(
        headers=headers,
        roles=roles,
        sources=sources,
        extra=extra,
        how=how,
        order=order,
        yes_no_party=yes_no_party,
    )


def _source_format(cells: Iterable[str]) -> SourceFormat:
    keys = {_header_key(cell) for cell in cells}
    for source, signature in _SIGNATURES:
        if keys & signature:
            return source
    return "hallway"


# A sample value is cut to this many characters; samples are taken from this many rows.
_SAMPLE_CHARS: Final = 80
_SAMPLE_ROWS: Final = 1000
_SAMPLES: Final = 3
# Rows read for samples when the header has no id or name (the file is not imported).
_SAMPLE_SCAN: Final = 20


def _parse_records(
    records: Iterable[tuple[int, list[str]]],
    *,
    file_format: Literal["csv", "xlsx"],
    max_rows: int | None,
    choices: _Choices,
) -> ParseResult:
    iterator = iter(records)
    header_row, layout = _find_header(iterator, choices)
    id_sources = layout.sources.get("external_id") or layout.sources[_ID_PARTS[0]]
    id_header = layout.headers[id_sources[0]]
    width = len(layout.headers)
    actions = choices.actions(layout.headers)

    parsed: list[ParsedRow] = []
    problems: list[RowProblem] = []
    flagged: list[FlaggedRow] = []
    rows_by_id: dict[str, list[int]] = {}
    samples: list[list[str]] = [[] for _ in range(width)]
    hungry = set(range(width))
    buyers_used: set[str] = set()
    count = 0
    for number, cells in iterator:
        if not any(cells):
            continue
        count += 1
        if max_rows is not None and count > max_rows:
            raise TooManyRows(
                f"The file has more than {max_rows} attendee rows; at most {max_rows} can be "
                "imported at once.",
                limit=max_rows,
            )
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        elif len(cells) > width and any(cells[width:]):
            problems.append(
                RowProblem(
                    number,
                    None,
                    f"the row has {len(cells)} cells but the header has {width} columns",
                )
            )
            continue
        if hungry and count <= _SAMPLE_ROWS:
            _take_samples(cells, samples, hungry)
        values, origin, buyer = _row_values(cells, layout)
        kind = _placeholder_kind(values["name"])
        if kind is not None:
            action, note = _resolve(actions[kind], values, buyer, buyers_used)
            flagged.append(
                FlaggedRow(number, kind, action, values["name"], values["external_id"], note)
            )
            if action == "skip":
                continue
            if action == "buyer_name":
                origin["name"] = origin.get("buyer_name") or origin.get("buyer_first_name", "")
        if values["external_id"]:
            rows_by_id.setdefault(values["external_id"], []).append(number)
        try:
            fields = AttendeeFields.model_validate(values)
        except ValidationError as error:
            problems.extend(_problems(number, error, origin))
            continue
        parsed.append(ParsedRow(number, fields))

    duplicates = _duplicate_problems(rows_by_id, id_header)
    if duplicates:
        bad = {problem.row for problem in duplicates}
        parsed = [row for row in parsed if row.row not in bad]
        problems = sorted([*problems, *duplicates], key=lambda problem: problem.row)
    parsed, repeated = _same_person(parsed, action=actions["duplicate_person"])
    columns = dict(zip(layout.headers, layout.roles, strict=True))
    preview = [
        ColumnPreview(header, role, how, tuple(sample))
        for header, role, how, sample in zip(
            layout.headers, layout.roles, layout.how, samples, strict=True
        )
    ]
    return ParseResult(
        rows=parsed,
        problems=problems,
        source_format=_source_format(layout.headers),
        columns=columns,
        file_format=file_format,
        header_row=header_row,
        rejected_rows=sorted({problem.row for problem in problems}),
        preview=preview,
        flagged=sorted([*flagged, *repeated], key=lambda found: found.row),
        mapping_source=choices.source(layout.headers),
        row_count=count,
        placeholders=actions,
    )


def _take_samples(cells: list[str], samples: list[list[str]], hungry: set[int]) -> None:
    for index in list(hungry):
        value = cells[index]
        if not value:
            continue
        shown = value if len(value) <= _SAMPLE_CHARS else value[: _SAMPLE_CHARS - 1] + "\u2026"
        if shown not in samples[index]:
            samples[index].append(shown)
            if len(samples[index]) == _SAMPLES:
                hungry.discard(index)


def _resolve(
    action: str, values: dict[str, Any], buyer: dict[str, str], buyers_used: set[str]
) -> tuple[str, str]:
    """Apply a placeholder action to a row's values; returns the action taken and why.

    A buyer's name goes to one ticket only: the other tickets of their order are other
    people, who wait for their details.
    """
    note = ""
    if action == "buyer_name":
        name = buyer.get("buyer_name") or " ".join(
            part for part in (buyer.get("buyer_first_name"), buyer.get("buyer_last_name")) if part
        )
        who = " ".join(f"{name} {buyer.get('buyer_email', '')}".casefold().split())
        if name and _placeholder_kind(name) is None and who not in buyers_used:
            buyers_used.add(who)
            values["name"] = name
            if not values.get("email") and buyer.get("buyer_email"):
                values["email"] = buyer["buyer_email"]
            return action, note
        action = "needs_details"
        note = (
            "the buyer's name went to another ticket"
            if who in buyers_used
            else "no buyer name in this row"
        )
    if action == "needs_details":
        try:
            status = parse_status(values.get("status"))
        except ValueError:
            status = AttendeeStatus.REGISTERED
        # A cancelled ticket stays cancelled; anyone else waits for their details.
        if status not in (AttendeeStatus.CANCELLED, AttendeeStatus.NO_SHOW):
            values["status"] = AttendeeStatus.NEEDS_DETAILS
    return action, note


def _same_person(rows: list[ParsedRow], *, action: str) -> tuple[list[ParsedRow], list[FlaggedRow]]:
    """Find one person under two ticket ids (same e-mail and name); skip the later ones."""
    first: dict[tuple[str, str], str] = {}
    kept: list[ParsedRow] = []
    flagged: list[FlaggedRow] = []
    for row in rows:
        fields = row.fields
        if fields.email and fields.status != AttendeeStatus.NEEDS_DETAILS:
            key = (fields.email, " ".join(fields.name.casefold().split()))
            original = first.setdefault(key, fields.external_id)
            if original != fields.external_id:
                flagged.append(
                    FlaggedRow(
                        row.row,
                        "duplicate_person",
                        action,
                        fields.name,
                        fields.external_id,
                        f"same e-mail and name as id {original!r}",
                    )
                )
                if action == "skip":
                    continue
        kept.append(row)
    return kept, flagged


def _find_header(
    records: Iterator[tuple[int, list[str]]], choices: _Choices
) -> tuple[int, _Layout]:
    first: _Layout | None = None
    wanted = list(choices.mapping.columns)
    later: list[list[str]] = []
    for _ in range(_HEADER_SEARCH_ROWS):
        number, cells = next(((n, c) for n, c in records if any(c)), (0, []))
        if not cells:
            break
        if first is not None:
            later.append(cells)
        width = next((index + 1 for index in range(len(cells) - 1, -1, -1) if cells[index]), 0)
        if width > _MAX_COLUMNS:
            raise ImportFileError(
                f"Row {number} has {width:,} columns; an attendee list has at most "
                f"{_MAX_COLUMNS:,}."
            )
        cells = cells[:width]
        layout = _layout(cells, choices)
        first = first or layout
        absent = [header for header in wanted if header not in layout.headers]
        if wanted and not absent:
            # The row the caller's mapping was made for is the header, whatever it maps.
            problem = missing(layout.sources)
            if problem is not None:
                raise MappingError(
                    f"The mapping does not fit the file: {problem}.", pointer="/mapping/columns"
                )
            _check_headers(cells)
            return number, layout
        if has_id(layout.sources):
            if absent:
                raise _absent_column(absent[0], layout)
            if not has_name(layout.sources):
                raise NoKeyColumn(
                    "No name column found; name it 'name', or 'first name' and 'last name', "
                    f"or map one. Columns found: {_listing(layout.headers)}.",
                    preview=_first_preview(layout, [c for _, c in islice(records, _SAMPLE_SCAN)]),
                )
            _check_headers(cells)
            return number, layout
    if first is None:
        raise ImportFileError("The file has no rows.")
    if wanted:
        raise _absent_column(next(h for h in wanted if h not in first.headers), first)
    later.extend(cells for _, cells in islice(records, _SAMPLE_SCAN))
    raise NoKeyColumn(
        "No id column found; name it 'id' (or use the export's own id column: 'Attendee #' "
        "from Eventbrite, 'Order code' with 'Position ID' from pretix, 'Ticket Reference' "
        f"from Tito), or map one. Columns found: {_listing(first.headers)}.",
        preview=_first_preview(first, later),
    )


def _first_preview(layout: _Layout, rows: list[list[str]]) -> list[ColumnPreview]:
    """The columns of a file whose id or name was not found, for the organizer to map."""
    width = len(layout.headers)
    samples: list[list[str]] = [[] for _ in range(width)]
    hungry = set(range(width))
    for cells in rows:
        _take_samples((cells + [""] * width)[:width], samples, hungry)
    return [
        ColumnPreview(header, role, how, tuple(sample))
        for header, role, how, sample in zip(
            layout.headers, layout.roles, layout.how, samples, strict=True
        )
    ]


def _absent_column(header: str, layout: _Layout) -> MappingError:
    return MappingError(
        f"The mapping names a column the file does not have: {header!r}. Columns found: "
        f"{_listing(layout.headers)}.",
        pointer=f"/mapping/columns/{json_pointer_part(header)}",
    )


def json_pointer_part(key: str) -> str:
    """A key as one step of a JSON pointer (RFC 6901): "~" and "/" escaped.

    Example:
        >>> json_pointer_part("Alone / with family?")
        'Alone ~1 with family?'
    """
    return key.replace("~", "~0").replace("/", "~1")


def _check_headers(cells: list[str]) -> None:
    for index, cell in enumerate(cells):
        # A header may wrap ("What would you like\nto talk about?"); nothing else.
        problem = control_character(cell, multiline=True)
        if problem is not None:
            raise ImportFileError(
                f"The header of column {get_column_letter(index + 1)} ({cell[:40]!r}) contains "
                f"{problem}; remove it and import again."
            )


def _listing(headers: list[str]) -> str:
    shown = ", ".join(repr(header) for header in headers[:20])
    return shown + (f" and {len(headers) - 20} more" if len(headers) > 20 else "")


_BUYER: Final[tuple[str, ...]] = (
    "buyer_name",
    "buyer_first_name",
    "buyer_last_name",
    "buyer_email",
)


def _row_values(
    cells: list[str], layout: _Layout
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Gather one row's values by role.

    Returns the values, which header each came from, and the buyer's name and e-mail.
    """
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for role, indexes in layout.sources.items():
        if role in _JOINED:
            parts = [cells[index] for index in indexes if cells[index]]
            values[role] = "\n".join(parts)
            origin[role] = layout.headers[indexes[0]]
            continue
        chosen = next((index for index in indexes if cells[index]), indexes[0])
        values[role] = cells[chosen]
        origin[role] = layout.headers[chosen]
    buyer: dict[str, str] = {role: values.pop(role) for role in _BUYER if role in values}

    first, last = (values.pop(part, "") for part in _NAME_PARTS)
    if not values.get("name"):
        values["name"] = " ".join(part for part in (first, last) if part)
        if first or last:
            origin["name"] = origin["first_name" if first else "last_name"]
        else:
            origin.setdefault("name", origin.get("first_name") or origin.get("last_name", ""))
    code, position = (values.pop(part, "") for part in _ID_PARTS)
    if not values.get("external_id"):
        values["external_id"] = f"{code}-{position}" if code and position else ""
        origin.setdefault("external_id", origin.get("order_code", ""))
        if code and not position:
            origin["external_id"] = origin.get("position_id", "")
    if "party" in values and origin["party"] in layout.yes_no_party_headers:
        values["party"] = _party_label(values["party"], cells, layout, values["external_id"])
    # Eventbrite writes its placeholder into every attendee field it did not collect.
    for role, value in values.items():
        if role != "name" and isinstance(value, str) and value.casefold() == _INFO_REQUESTED:
            values[role] = ""

    # Left unset without extra columns, so that callers applying only the fields a file
    # provides (model_fields_set) keep the extra answers an attendee already has.
    if layout.extra:
        values["extra"] = {
            layout.headers[index]: cells[index]
            for index in layout.extra
            if cells[index] and cells[index].casefold() != _INFO_REQUESTED
        }
    return values, origin, buyer


def _party_label(answer: str, cells: list[str], layout: _Layout, external_id: str) -> str:
    """A yes/no "bringing a companion?" answer as a party label: the ticket's order.

    People who bought their tickets together and said yes share a party; an answer that is
    not yes or no (a companion's name, a team) is kept as the label.
    """
    try:
        coming_with = parse_bool(answer)
    except ValueError:
        return answer
    if not coming_with:
        return ""
    order = cells[layout.order] if layout.order is not None else ""
    # Without an order, the companion is not in the file: a party of one, which keeps nobody
    # apart but says what was answered.
    return f"order {order}" if order else f"companion of {external_id}"


def _problems(number: int, error: ValidationError, origin: dict[str, str]) -> Iterator[RowProblem]:
    for detail in error.errors(include_url=False):
        location = detail["loc"]
        role = str(location[0]) if location else ""
        if role == "extra" and len(location) > 1:
            column: str | None = str(location[1])
        else:
            column = origin.get(role) or None
        yield RowProblem(number, column, _message(role, detail))


def _message(role: str, detail: Any) -> str:
    label = _FIELD_LABELS.get(role, role.replace("_", " "))
    kind = detail["type"]
    if kind in ("string_too_short", "missing"):
        return f"missing {label}"
    if kind in ("string_too_long", "too_long"):
        size = len(detail["input"]) if isinstance(detail["input"], str | list | dict) else 0
        unit = "characters" if kind == "string_too_long" else _ITEMS.get(role, "items")
        return f"{label} too long: {size} {unit}, at most {detail['ctx']['max_length']}"
    message = str(detail["msg"])
    if kind == "value_error":
        # The column is named beside the message already.
        return message.removeprefix("Value error, ")
    return f"{label}: {message}"


def _duplicate_problems(rows_by_id: dict[str, list[int]], id_header: str) -> list[RowProblem]:
    problems: list[RowProblem] = []
    for external_id, numbers in rows_by_id.items():
        if len(numbers) < 2:
            continue
        for number in numbers:
            others = ", ".join(str(other) for other in numbers if other != number)
            problems.append(
                RowProblem(number, id_header, f"duplicate id {external_id!r}: also in row {others}")
            )
    return problems
