"""Renderers that turn export rows into CSV, JSON or XLSX.

An export is a generator of rows (mappings from column name to value) plus one of these
renderers; the renderers know nothing about seating, so any row shape (the seating plan, an
attendee list) reuses them by passing its own ``columns``.

Spreadsheet safety: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return can be run as a formula by Excel or LibreOffice (OWASP "CSV injection"). CSV cells like
that get a leading apostrophe, which spreadsheets read as "this is text". In XLSX the cell is
written as a text cell marked with Excel's quote prefix, so it is shown as written and never
evaluated, not even after the organizer edits it. JSON is data, not a spreadsheet, and is left
as is.

CSV is written as UTF-8 with a byte-order mark: without it Excel on Windows opens UTF-8 files
in the legacy code page and garbles every accented name; other spreadsheets and Python's
``utf-8-sig`` codec read the mark and drop it. Lines end in CRLF, as RFC 4180 specifies.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal, TypedDict

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

__all__ = [
    "SEATING_COLUMNS",
    "ExportRow",
    "escape_formula",
    "render_csv",
    "render_file",
    "render_json",
    "render_xlsx",
]


class ExportRow(TypedDict):
    """One attendee's seat in one round: a row of the seating export.

    Attributes:
        round: The round's name, e.g. "Tuesday lunch".
        kind: "lunch" or "dinner".
        starts_at: ISO 8601 start time, or "" when not set.
        place: Where the meal is.
        table: Table number, from 1.
        attendee_id: The attendee's external id.
        name: The attendee's name.
        affiliation: The attendee's company or organisation.
        dietary: Dietary notes for the caterer.
        accessibility: Accessibility notes for the venue.
    """

    round: str
    kind: str
    starts_at: str
    place: str
    table: int
    attendee_id: str
    name: str
    affiliation: str
    dietary: str
    accessibility: str


SEATING_COLUMNS: Final[tuple[str, ...]] = tuple(ExportRow.__annotations__)

# Fullwidth forms too: Excel folds them to their ASCII twins when it parses a formula.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")  # noqa: RUF001
_CSV_BATCH_ROWS: Final = 500
_XLSX_MAX_WIDTH: Final = 60
_XLSX_MIN_WIDTH: Final = 6


def escape_formula(value: str) -> str:
    """Make a text cell safe to open in a spreadsheet.

    Args:
        value: Cell text.

    Returns:
        The text, with a leading apostrophe if a spreadsheet could run it as a formula.

    Example:
        >>> escape_formula("=HYPERLINK(0)"), escape_formula("Ada")
        ("'=HYPERLINK(0)", 'Ada')
    """
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_STARTS)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return escape_formula(value)
    # Numbers are written by the csv module as digits, which no spreadsheet evaluates.
    return value


def render_csv(
    rows: Iterable[Mapping[str, Any]], *, columns: Sequence[str] = SEATING_COLUMNS
) -> Iterator[bytes]:
    """Render rows as CSV, chunk by chunk, for a streaming response.

    Args:
        rows: Mappings from column name to value; missing columns are empty.
        columns: The columns, in order; also the header row.

    Yields:
        UTF-8 bytes: first the byte-order mark and the header, then batches of rows.

    Example:
        >>> rows = [{"name": "Zoë", "table": 3}, {"name": "=1+1", "table": 4}]
        >>> b"".join(render_csv(rows, columns=["name", "table"])).decode("utf-8-sig")
        "name,table\\r\\nZoë,3\\r\\n'=1+1,4\\r\\n"
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")

    def drain() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    writer.writerow([escape_formula(column) for column in columns])
    yield codecs.BOM_UTF8 + drain()
    pending = 0
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in columns])
        pending += 1
        if pending == _CSV_BATCH_ROWS:
            yield drain()
            pending = 0
    if pending:
        yield drain()


def render_json(
    rows: Iterable[Mapping[str, Any]], *, columns: Sequence[str] = SEATING_COLUMNS
) -> bytes:
    """Render rows as a JSON array of objects with exactly the given columns.

    Args:
        rows: Mappings from column name to value; missing columns become null.
        columns: The keys of each object, in order.

    Returns:
        UTF-8 JSON.

    Example:
        >>> rows = [{"name": "Zoë", "table": 3, "email": "z@x.org"}]
        >>> render_json(rows, columns=["name", "table"])
        b'[{"name": "Zo\\xc3\\xab", "table": 3}]'
    """
    objects = [{column: row.get(column) for column in columns} for row in rows]
    return json.dumps(objects, ensure_ascii=False).encode("utf-8")


def _xlsx_value(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        # Control characters make the workbook unreadable; openpyxl refuses them outright.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def render_xlsx(
    rows: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] = SEATING_COLUMNS,
    sheet_title: str = "Export",
) -> bytes:
    """Render rows as an XLSX workbook with one sheet.

    The header row is bold and frozen, columns are as wide as their content (within limits),
    and text that looks like a formula is stored as text.

    Args:
        rows: Mappings from column name to value; missing columns are empty.
        columns: The columns, in order; also the header row.
        sheet_title: The sheet's name (at most 31 characters, as Excel allows).

    Returns:
        The workbook's bytes.

    Example:
        >>> data = render_xlsx([{"name": "Zoë", "table": 3}], columns=["name", "table"])
        >>> data[:2]
        b'PK'
    """
    values = [[_xlsx_value(row.get(column)) for column in columns] for row in rows]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    # Write-only sheets take widths and panes before the first row.
    for index, column in enumerate(columns):
        longest = max(
            (len(str(line)) for row in values for line in str(row[index] or "").splitlines()),
            default=0,
        )
        width = min(max(longest, len(column), _XLSX_MIN_WIDTH) + 2, _XLSX_MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"

    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = _text_cell(sheet, column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row_values in values:
        sheet.append(
            [
                _text_cell(sheet, value)
                if isinstance(value, str) and _is_formula_like(value)
                else value
                for value in row_values
            ]
        )
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def render_file(
    format: Literal["csv", "xlsx"],
    rows: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] = SEATING_COLUMNS,
) -> bytes:
    """Render a whole CSV or XLSX file at once: what a file worker process builds.

    Args:
        format: "csv" or "xlsx".
        rows: Mappings from column name to value.
        columns: The columns, in order; also the header row.

    Returns:
        The file's bytes.

    Example:
        >>> render_file("csv", [{"name": "Zoë"}], columns=["name"]).decode("utf-8-sig")
        'name\\r\\nZoë\\r\\n'
    """
    if format == "csv":
        return b"".join(render_csv(rows, columns=columns))
    return render_xlsx(rows, columns=columns)


def _text_cell(sheet: Any, value: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=value)
    if _is_formula_like(value):
        # openpyxl types any string starting with "=" as a formula; force it back to text.
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
