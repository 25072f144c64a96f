"""Export renderers: what a spreadsheet opens must show the data and never run it."""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from service.exports.render import (
    SEATING_COLUMNS,
    ExportRow,
    escape_formula,
    render_csv,
    render_json,
    render_xlsx,
)

FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",  # noqa: RUF001 - fullwidth equals sign, which Excel also reads as a formula
]


def seat(number: int, **overrides: Any) -> ExportRow:
    row = ExportRow(
        round="Tuesday lunch",
        kind="lunch",
        starts_at="2025-05-06T12:30:00+02:00",
        place="Hall B",
        table=number % 7 + 1,
        attendee_id=f"T-{number}",
        name=f"Person {number}",
        affiliation="Müller & Söhne GmbH",
        dietary="",
        accessibility="",
    )
    row.update(overrides)  # type: ignore[typeddict-item]
    return row


def read_csv(chunks: Iterator[bytes]) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("text", FORMULAS)
def test_escape_formula_prefixes_an_apostrophe(text: str) -> None:
    assert escape_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["Ada", "", "2025-05-06", "a=b", "O'Neill", "'quoted"])
def test_escape_formula_leaves_plain_text(text: str) -> None:
    assert escape_formula(text) == text


def test_csv_round_trips_through_a_csv_reader() -> None:
    rows = [
        seat(1, name="Zoë Ångström", dietary='Vegan, "no nuts"'),
        seat(2, accessibility="Step-free access\nneeds a seat near the door"),
    ]

    parsed = read_csv(render_csv(rows))

    assert parsed[0] == list(SEATING_COLUMNS)
    assert parsed[1][SEATING_COLUMNS.index("name")] == "Zoë Ångström"
    assert parsed[1][SEATING_COLUMNS.index("dietary")] == 'Vegan, "no nuts"'
    assert parsed[2][SEATING_COLUMNS.index("accessibility")] == (
        "Step-free access\nneeds a seat near the door"
    )
    assert parsed[1][SEATING_COLUMNS.index("table")] == str(rows[0]["table"])
    assert len(parsed) == 3


def test_csv_escapes_formula_cells() -> None:
    rows = [seat(i, name=formula, attendee_id=formula) for i, formula in enumerate(FORMULAS)]

    parsed = read_csv(render_csv(rows))

    for line, formula in zip(parsed[1:], FORMULAS, strict=True):
        assert line[SEATING_COLUMNS.index("name")] == "'" + formula
        assert line[SEATING_COLUMNS.index("attendee_id")] == "'" + formula


def test_csv_writes_numbers_as_numbers_and_none_as_empty() -> None:
    rows: list[dict[str, Any]] = [{"table": -3, "name": None, "solo": True}]

    parsed = read_csv(render_csv(rows, columns=["table", "name", "solo", "absent"]))

    assert parsed == [["table", "name", "solo", "absent"], ["-3", "", "yes", ""]]


def test_csv_streams_in_chunks_without_reading_all_rows_first() -> None:
    consumed = 0

    def rows() -> Iterator[ExportRow]:
        nonlocal consumed
        for number in range(1_200):
            consumed += 1
            yield seat(number)

    stream = render_csv(rows())
    head = next(stream)
    assert head.startswith(codecs.BOM_UTF8 + b"round,kind,")
    assert consumed == 0
    first_batch = next(stream)
    assert 0 < consumed < 1_200
    rest = list(stream)
    assert consumed == 1_200
    assert len(rest) >= 1
    parsed = read_csv(iter([head, first_batch, *rest]))
    assert [line[SEATING_COLUMNS.index("attendee_id")] for line in parsed[1:]] == [
        f"T-{number}" for number in range(1_200)
    ]


def test_csv_uses_crlf_line_endings() -> None:
    data = b"".join(render_csv([seat(1)]))
    assert data.count(b"\r\n") == 2
    assert data.replace(b"\r\n", b"").count(b"\n") == 0


def test_json_holds_exactly_the_columns_unescaped() -> None:
    rows: list[dict[str, Any]] = [
        {"attendee_id": "=1+1", "name": "Zoë", "email": "secret@example.org"},
        {"attendee_id": "T-2"},
    ]

    data = json.loads(render_json(rows, columns=["attendee_id", "name"]))

    assert data == [{"attendee_id": "=1+1", "name": "Zoë"}, {"attendee_id": "T-2", "name": None}]


def test_json_of_seating_rows() -> None:
    rows = [seat(1), seat(2)]
    assert json.loads(render_json(rows)) == rows


def test_xlsx_has_a_bold_frozen_header_and_sized_columns() -> None:
    rows = [seat(1, affiliation="A" * 30), seat(2, affiliation="B" * 200)]

    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(rows, sheet_title="Plan")))
    sheet = workbook.active
    assert sheet is not None

    assert sheet.title == "Plan"
    header = [cell.value for cell in sheet[1]]
    assert header == list(SEATING_COLUMNS)
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    affiliation = openpyxl.utils.get_column_letter(SEATING_COLUMNS.index("affiliation") + 1)
    kind = openpyxl.utils.get_column_letter(SEATING_COLUMNS.index("kind") + 1)
    # Wide enough for the content, but a very long cell does not stretch the column forever.
    assert sheet.column_dimensions[affiliation].width == 60
    assert 6 <= sheet.column_dimensions[kind].width < 15
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0][SEATING_COLUMNS.index("table")] == rows[0]["table"]
    assert values[1][SEATING_COLUMNS.index("name")] == "Person 2"


def test_xlsx_stores_formula_looking_text_as_text() -> None:
    rows = [seat(i, name=formula) for i, formula in enumerate(FORMULAS)]

    data = render_xlsx(rows)

    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet is not None
    column = SEATING_COLUMNS.index("name") + 1
    for number, formula in enumerate(FORMULAS, start=2):
        cell = sheet.cell(row=number, column=column)
        assert cell.data_type == "s"
        # Excel's own marker for "typed with a leading apostrophe": stays text when edited.
        assert cell.quotePrefix is True
        # Carriage returns are normalised by the XML reader; the text is otherwise intact.
        assert isinstance(cell.value, str)
        assert cell.value.replace("\n", "\r") == formula


def test_xlsx_drops_control_characters_that_would_corrupt_the_workbook() -> None:
    rows: list[dict[str, Any]] = [{"name": "Ada\x00 Love\x07lace", "table": 1}]

    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(rows, columns=["name", "table"])))
    sheet = workbook.active
    assert sheet is not None

    assert [cell.value for cell in sheet[2]] == ["Ada Lovelace", 1]


def test_renderers_serve_other_exports_through_their_columns() -> None:
    attendees: list[dict[str, Any]] = [
        {"external_id": "a-1", "name": "Ada", "hometown": "London", "solo": True},
        {"external_id": "a-2", "name": "@Grace", "hometown": "New York", "solo": False},
    ]
    columns = ["external_id", "name", "hometown", "solo"]

    parsed = read_csv(render_csv(attendees, columns=columns))
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(attendees, columns=columns)))
    sheet = workbook.active
    assert sheet is not None

    assert parsed == [
        columns,
        ["a-1", "Ada", "London", "yes"],
        ["a-2", "'@Grace", "New York", "no"],
    ]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        columns,
        ["a-1", "Ada", "London", "yes"],
        ["a-2", "@Grace", "New York", "no"],
    ]


def test_empty_exports_still_have_a_header() -> None:
    assert read_csv(render_csv([])) == [list(SEATING_COLUMNS)]
    assert json.loads(render_json([])) == []
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx([])))
    sheet = workbook.active
    assert sheet is not None
    assert [cell.value for cell in sheet[1]] == list(SEATING_COLUMNS)
    assert sheet.max_row == 1
