"""Attendee-file parsing: the exports organizers really upload, and the ways they go wrong."""

from __future__ import annotations

import codecs
import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from service.attendees import files
from service.attendees.fields import (
    BOOL_FALSE,
    BOOL_TRUE,
    AttendeeFields,
    normalise_languages,
    parse_bool,
    parse_status,
)
from service.attendees.parsing import (
    ImportFileError,
    ParseResult,
    RowProblem,
    TooManyRows,
    XlsxLimits,
    parse_attendee_file,
)
from tests.service import workbooks

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


def parse_fixture(name: str, **kwargs: int) -> ParseResult:
    return parse_attendee_file((FIXTURES / name).read_bytes(), filename=name, **kwargs)


def by_id(result: ParseResult) -> dict[str, AttendeeFields]:
    return {row.fields.external_id: row.fields for row in result.rows}


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


# --- attendee fields -------------------------------------------------------------------------


@pytest.mark.parametrize("word", BOOL_TRUE)
def test_parse_bool_reads_every_advertised_yes(word: str) -> None:
    assert parse_bool(word) is True
    assert parse_bool(f"  {word.upper()} ") is True


@pytest.mark.parametrize("word", BOOL_FALSE)
def test_parse_bool_reads_every_advertised_no(word: str) -> None:
    assert parse_bool(word) is False


@pytest.mark.parametrize("value", ["", "   ", None])
def test_parse_bool_leaves_empty_to_the_default(value: str | None) -> None:
    assert parse_bool(value) is None


def test_parse_bool_takes_json_values_as_they_are() -> None:
    assert [parse_bool(True), parse_bool(False), parse_bool(1), parse_bool(0)] == [
        True,
        False,
        True,
        False,
    ]


def test_parse_bool_error_lists_the_accepted_answers() -> None:
    with pytest.raises(ValueError, match="'maybe' is not a yes/no answer") as caught:
        parse_bool("maybe")
    for word in (*BOOL_TRUE, *BOOL_FALSE):
        assert word in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "registered"),
        ("Paid", "registered"),
        ("Checked In", "registered"),
        ("Canceled", "cancelled"),
        ("Not Attending", "cancelled"),
        ("no show", "no-show"),
        ("No-Show", "no-show"),
    ],
)
def test_parse_status_maps_registration_system_states(value: str, expected: str) -> None:
    assert parse_status(value) == expected


def test_parse_status_refuses_unknown_states() -> None:
    with pytest.raises(ValueError, match="registered, cancelled, no-show or needs-details"):
        parse_status("waitlisted")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("english", ["English"]),
        ("en, de", ["English", "German"]),
        ("English; english / EN | en-GB", ["English"]),
        ("Deutsch, Français", ["German", "French"]),
        ("pt_BR, zh-Hans", ["Portuguese", "Chinese"]),
        ("el", ["Greek"]),
        ("Spanish (native) and Italian (B2)", ["Spanish", "Italian"]),
        ("ASL, swiss german", ["ASL", "Swiss German"]),
        ("", []),
    ],
)
def test_languages_are_split_and_named(cell: str, expected: list[str]) -> None:
    assert normalise_languages(cell) == expected


@given(
    st.text(alphabet=st.sampled_from("abcdefgENDE ,;/|-"), max_size=40)
    | st.lists(st.sampled_from(["en", "de", "French", "ASL", "x"]), max_size=5)
)
def test_language_normalisation_is_stable(value: str | list[str]) -> None:
    once = normalise_languages(value)
    assert normalise_languages(once) == once
    assert len({name.casefold() for name in once}) == len(once)


def test_api_values_and_spreadsheet_cells_validate_alike() -> None:
    from_api = AttendeeFields(
        external_id="17",
        name="Zoë Ng",
        email="zoe@example.org",
        languages=["English", "German"],
        solo=True,
        dinner=False,
    )
    from_cells = AttendeeFields.model_validate(
        {
            "external_id": " 17 ",
            "name": "Zoe\u0308 Ng",
            "email": " Zoe@Example.ORG ",
            "languages": "en; de",
            "solo": "✓",
            "dinner": "",
        }
    )
    assert from_cells == from_api


@pytest.mark.parametrize("email", ["anna", "anna@example", "a@b@c.org", "anna @example.org"])
def test_implausible_emails_are_refused(email: str) -> None:
    with pytest.raises(ValidationError, match="not an e-mail address"):
        AttendeeFields(external_id="1", name="Anna", email=email)


def test_interests_are_capped_at_a_thousand_characters() -> None:
    AttendeeFields(external_id="1", name="Anna", interests="x" * 1000)
    with pytest.raises(ValidationError, match="at most 1000"):
        AttendeeFields(external_id="1", name="Anna", interests="x" * 1001)


# --- registration-system exports -------------------------------------------------------------


def test_eventbrite_export() -> None:
    result = parse_fixture("eventbrite.csv")

    assert (result.source_format, result.encoding, result.delimiter) == (
        "eventbrite",
        "utf-8-sig",
        ",",
    )
    assert result.problems == []
    people = by_id(result)
    assert list(people) == ["1093847561", "1093847562", "1093847563", "1093847564"]
    priya = people["1093847561"]
    assert (priya.name, priya.email, priya.affiliation) == (
        "Priya Raman",
        "priya.raman@example.org",
        "Example Corp",
    )
    assert priya.interests == "Packaging, CI pipelines and reproducible builds"
    assert (priya.dietary, priya.dinner) == ("Vegetarian", True)
    assert priya.extra == {"Job Title": "Staff Engineer"}
    assert people["1093847562"].name == "Tom O'Neill"
    assert people["1093847562"].dinner is False
    # Aoife's ticket was bought by Tom; the buyer's e-mail is not hers.
    assert people["1093847563"].email is None
    assert people["1093847564"].status == "cancelled"
    assert result.columns["Attendee #"] == "external_id"
    assert result.columns["Buyer Email"] == "buyer_email"
    assert result.columns["First Name"] == "first_name"


def test_pretix_export() -> None:
    result = parse_fixture("pretix.csv")

    assert (result.source_format, result.delimiter) == ("pretix", ";")
    assert result.problems == []
    people = by_id(result)
    assert list(people) == ["Q7XKA-1", "Q7XKA-2", "R2D2C-1"]
    julia = people["Q7XKA-1"]
    assert julia.email == "julia.schmidt@acme.example"
    assert julia.languages == ["German", "English"]
    assert julia.interests == "Async Python, type checking"
    assert julia.solo is False
    jonas = people["Q7XKA-2"]
    # No full name given: it is joined from the split name columns.
    assert jonas.name == "Jonas Weber"
    # No attendee e-mail or company: the order's are the fallback.
    assert (jonas.email, jonas.affiliation) == ("buyer@acme.example", "ACME GmbH")
    marie = people["R2D2C-1"]
    assert (marie.status, marie.solo, marie.languages) == ("cancelled", True, ["French", "English"])
    assert result.columns["Company"] == "affiliation"
    assert result.columns["Company (2)"] == "affiliation"
    assert result.columns["Price"] == "ignore"
    assert julia.extra == {"Product": "Conference ticket", "Variation": "Business"}


def test_tito_export() -> None:
    result = parse_fixture("tito.csv")

    assert (result.source_format, result.delimiter) == ("tito", "\t")
    assert result.problems == []
    people = by_id(result)
    assert [p.name for p in people.values()] == ["Sam Okafor", "Mei Lin", "Émile Zola-Nkemelu"]
    assert people["KQ4Z-1"].hometown == "Lagos"
    assert people["KQ4Z-2"].affiliation == "Blue Whale Ltd"
    assert people["PX9B-1"].email is None
    assert people["KQ4Z-1"].extra == {"Ticket": "Early Bird", "Tags": "speaker"}


def test_hallway_sheet_with_multiline_cells_and_blank_lines() -> None:
    result = parse_fixture("hallway.csv")

    assert result.source_format == "hallway"
    assert result.problems == []
    # Blank lines are skipped but still counted, as a spreadsheet shows them.
    assert [row.row for row in result.rows] == [2, 4, 6]
    ada, grace, linus = (row.fields for row in result.rows)
    assert ada.interests == 'Compilers and\ntype systems.\nAlso: knitting, "weird" math'
    assert (ada.solo, ada.dinner, ada.first_time) == (True, True, False)
    assert ada.languages == ["English", "French"]
    assert (grace.party, grace.dietary, grace.accessibility) == (
        "navy-team",
        "Kosher",
        "Wheelchair user",
    )
    assert (grace.solo, grace.dinner) == (False, True)
    assert (linus.status, linus.first_time, linus.dinner) == ("cancelled", True, False)
    assert linus.languages == ["Finnish", "Swedish", "English"]
    assert linus.email is None


def test_german_excel_cp1252_semicolon_file() -> None:
    result = parse_fixture("excel_cp1252.csv")

    assert (result.encoding, result.delimiter) == ("cp1252", ";")
    assert result.problems == []
    names = [row.fields.name for row in result.rows]
    assert names == ["Jürgen Müller", "Françoise Lefèvre", "Zoë Ångström"]
    jurgen, francoise, zoe = (row.fields for row in result.rows)
    assert (jurgen.dinner, jurgen.first_time) == (True, False)
    assert (francoise.dinner, francoise.first_time) == (False, True)
    assert jurgen.hometown == "München"
    assert zoe.interests == "Café culture & €-pricing"


def test_excel_unicode_text_utf16_tab_file() -> None:
    text = "id\tname\thometown\r\n1\tZoë Ångström\tMalmö\r\n2\t李雷\t北京\r\n"
    result = parse_attendee_file(text.encode("utf-16"), filename="people.txt")

    assert (result.encoding, result.delimiter) == ("utf-16", "\t")
    assert [(r.fields.name, r.fields.hometown) for r in result.rows] == [
        ("Zoë Ångström", "Malmö"),
        ("李雷", "北京"),
    ]


def test_excel_sep_hint_line_sets_the_delimiter_and_is_not_a_row() -> None:
    data = b"sep=;\r\nid;name;interests\r\n1;Anna;a, b, c\r\n2;Ben;d, e\r\n"
    result = parse_attendee_file(data, filename="people.csv")

    assert result.delimiter == ";"
    assert result.header_row == 1
    assert [(r.row, r.fields.interests) for r in result.rows] == [(2, "a, b, c"), (3, "d, e")]


def test_header_below_a_report_title_is_found() -> None:
    data = b"Attendee Summary Report\r\n\r\nid,name\r\n1,Anna\r\n"
    result = parse_attendee_file(data, filename="report.csv")

    assert result.header_row == 3
    assert [(r.row, r.fields.name) for r in result.rows] == [(4, "Anna")]


def test_headers_match_whatever_case_and_punctuation() -> None:
    data = "ID;Full_Name;E-Mail;First-Time?;Dinner Opt-In\n1;Anna;ANNA@x.org;ja;nein\n"
    result = parse_attendee_file(data.encode(), filename="x.csv")

    assert result.problems == []
    anna = result.rows[0].fields
    assert (anna.name, anna.email, anna.first_time, anna.dinner) == (
        "Anna",
        "anna@x.org",
        True,
        False,
    )


def test_interest_questions_are_joined_into_interests() -> None:
    option_column = "Which topics interest you? \u2013 Rust"
    data = (
        f"id,name,What are you interested in?,Any other topics?,{option_column}\n"
        "1,Anna,Databases,Compilers,Yes\n"
    )
    result = parse_attendee_file(data.encode(), filename="x.csv")

    anna = result.rows[0].fields
    assert anna.interests == "Databases\nCompilers"
    # A pretix multiple-choice option column holds yes/no, not an interest.
    assert anna.extra == {option_column: "Yes"}


def test_columns_not_in_a_file_are_left_unset() -> None:
    result = parse_attendee_file(b"id,name,solo\n1,Anna,yes\n", filename="x.csv")

    assert result.rows[0].fields.model_fields_set == {"external_id", "name", "solo"}


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_pretix_sheet() -> None:
    data = xlsx_bytes(
        [
            [],
            ["Order code", "Position ID", "Attendee name", "Attendee email", "Company", "Price"],
            ["Q7XKA", 1, "Julia Schmidt", "Julia@Acme.example", "ACME GmbH", 450.0],
            [None, None, None, None, None, None],
            ["Q7XKA", 2, "Jonas Weber", None, "ACME GmbH", 450.0],
        ]
    )
    result = parse_attendee_file(data, filename="orders.xlsx")

    assert (result.file_format, result.source_format) == ("xlsx", "pretix")
    assert (result.encoding, result.delimiter, result.header_row) == (None, None, 2)
    assert [(r.row, r.fields.external_id, r.fields.name) for r in result.rows] == [
        (3, "Q7XKA-1", "Julia Schmidt"),
        (5, "Q7XKA-2", "Jonas Weber"),
    ]
    assert result.rows[0].fields.email == "julia@acme.example"


def test_xlsx_numbers_and_booleans_read_as_written() -> None:
    data = xlsx_bytes(
        [
            ["Attendee #", "First Name", "Last Name", "solo", "dinner"],
            [1093847561, "Priya", "Raman", True, False],
            [1093847562.0, "Tom", "O'Neill", 1, 0],
        ]
    )
    result = parse_attendee_file(data, filename="eventbrite.xlsx")

    assert [(r.fields.external_id, r.fields.solo, r.fields.dinner) for r in result.rows] == [
        ("1093847561", True, False),
        ("1093847562", True, False),
    ]


def test_xlsx_is_recognised_by_content_whatever_its_name() -> None:
    data = xlsx_bytes([["id", "name"], ["1", "Anna"]])
    result = parse_attendee_file(data, filename="upload")

    assert result.file_format == "xlsx"
    assert result.rows[0].fields.name == "Anna"


def test_xlsx_problems_name_sheet_rows_and_headers() -> None:
    data = xlsx_bytes([["id", "Name", "E-mail"], ["1", "Anna", "nope"], ["2", None, "b@x.org"]])
    result = parse_attendee_file(data, filename="people.xlsx")

    assert result.rows == []
    assert result.problems == [
        RowProblem(2, "E-mail", "'nope' is not an e-mail address"),
        RowProblem(3, "Name", "missing name"),
    ]


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("people.csv", "id,name\n1,Anna\n")
    with pytest.raises(ImportFileError, match="not a readable XLSX"):
        parse_attendee_file(output.getvalue(), filename="people.zip")


# --- bad rows --------------------------------------------------------------------------------


def test_bad_values_are_reported_by_row_and_column_and_others_still_parse() -> None:
    result = parse_fixture("bad_values.csv")

    assert [(r.row, r.fields.external_id) for r in result.rows] == [(7, "6")]
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "email"),
        (3, "solo"),
        (4, "name"),
        (5, "id"),
        (6, "name"),
    ]
    messages = [p.message for p in result.problems]
    assert "'anna(at)example.org' is not an e-mail address" in messages[0]
    assert "'maybe' is not a yes/no answer" in messages[1]
    assert messages[2] == "name too long: 219 characters, at most 200"
    assert messages[3:] == ["missing id", "missing name"]
    assert result.rejected_rows == [2, 3, 4, 5, 6]


def test_duplicate_ids_report_both_rows() -> None:
    result = parse_fixture("duplicate_ids.csv")

    assert [r.fields.external_id for r in result.rows] == ["8", "9"]
    assert result.problems == [
        RowProblem(2, "id", "duplicate id '7': also in row 4"),
        RowProblem(4, "id", "duplicate id '7': also in row 2"),
    ]


def test_pretix_duplicate_composed_ids_point_at_the_order_code_column() -> None:
    data = b"Order code;Position ID;Attendee name\nABC;1;Anna\nABC;1;Ben\nABC;;Cleo\n"
    result = parse_attendee_file(data, filename="pretix.csv")

    assert result.rows == []
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (2, "Order code", "duplicate id 'ABC-1': also in row 3"),
        (3, "Order code", "duplicate id 'ABC-1': also in row 2"),
        (4, "Position ID", "missing id"),
    ]


def test_a_row_longer_than_the_header_is_a_row_problem() -> None:
    data = b"id,name\n1,Anna\n2,Ben,stray value\n3,Cleo,,\n"
    result = parse_attendee_file(data, filename="x.csv")

    assert [r.fields.name for r in result.rows] == ["Anna", "Cleo"]
    assert result.problems == [
        RowProblem(3, None, "the row has 3 cells but the header has 2 columns"),
    ]


# --- bad files -------------------------------------------------------------------------------


def test_missing_id_column_is_a_file_error_that_says_what_to_name_it() -> None:
    with pytest.raises(ImportFileError, match="No id column") as caught:
        parse_fixture("missing_id.csv")
    assert "'Attendee #'" in str(caught.value)
    assert "'company'" in str(caught.value)


def test_missing_name_column_is_a_file_error() -> None:
    with pytest.raises(ImportFileError, match="No name column"):
        parse_attendee_file(b"id,email\n1,a@b.org\n", filename="x.csv")


@pytest.mark.parametrize("name", ["empty.csv", "blank_lines_only.csv"])
def test_empty_files_are_refused(name: str) -> None:
    with pytest.raises(ImportFileError, match=r"empty|no rows"):
        parse_fixture(name)


def test_binary_garbage_is_refused() -> None:
    with pytest.raises(ImportFileError, match="PNG image"):
        parse_fixture("garbage.bin")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "old Excel .xls"),
        (b"id,name\n\x00\x01\x02\x03", "binary data"),
    ],
)
def test_other_binary_files_are_refused(data: bytes, match: str) -> None:
    with pytest.raises(ImportFileError, match=match):
        parse_attendee_file(data, filename="people.xls")


def test_too_many_rows_is_its_own_error() -> None:
    assert len(parse_fixture("hallway.csv", max_rows=3).rows) == 3
    with pytest.raises(TooManyRows, match="more than 2 attendee rows") as caught:
        parse_fixture("hallway.csv", max_rows=2)
    assert caught.value.limit == 2
    assert isinstance(caught.value, ImportFileError)


def test_twenty_thousand_rows_parse_in_seconds() -> None:
    lines = ["id,name,email,affiliation,interests,solo,dinner,languages"]
    lines += [
        f'{i},Person {i},p{i}@example.org,Org {i % 300},"Python, testing, talk {i}",'
        f'{"yes" if i % 3 else "no"},y,"en, de"'
        for i in range(20_000)
    ]
    data = codecs.BOM_UTF8 + "\r\n".join(lines).encode()

    started = time.perf_counter()
    result = parse_attendee_file(data, filename="big.csv", max_rows=20_000)
    elapsed = time.perf_counter() - started

    assert len(result.rows) == 20_000
    assert result.problems == []
    assert result.rows[-1].fields.languages == ["English", "German"]
    assert elapsed < 10, f"20,000 rows took {elapsed:.1f} s"


def test_problems_name_the_column_the_bad_value_came_from() -> None:
    long_answer = "x" * 5001
    data = (
        "Order code;Position ID;Status;Email;Attendee name;Attendee email;T-shirt size\n"
        f"A1;1;Paid;buyer@x.org;Anna;anna-at-x.org;M\n"
        f"A1;2;Waiting;buyer@x.org;Ben;;{long_answer}\n"
    )
    result = parse_attendee_file(data.encode(), filename="pretix.csv")

    assert result.rows == []
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "Attendee email"),
        (3, "Status"),
        (3, "T-shirt size"),
    ]
    assert result.problems[2].message == "answer too long: 5001 characters, at most 5000"


# --- hostile and damaged files (issue 10: no 500 on any input) -------------------------------


def _people_csv(rows: int) -> bytes:
    return b"id,name,interests\n" + b"".join(
        b"%d,Person %d,Python and testing\n" % (i, i) for i in range(rows)
    )


def test_csv_with_a_nul_after_the_first_4kb_reports_the_row_and_column() -> None:
    data = _people_csv(300) + b"999,Nul\x00here,x\n1000,After,x\n"
    assert data.index(b"\x00") > 4096

    result = parse_attendee_file(data, filename="people.csv")

    assert [(p.row, p.column) for p in result.problems] == [(302, "name")]
    assert "U+0000" in result.problems[0].message
    assert len(result.rows) == 301


@pytest.mark.parametrize(
    ("cell", "column"),
    [("Ada\x0bLovelace", "name"), ("Ada\nLovelace", "name"), ("likes\x1bcolour", "interests")],
)
def test_control_characters_in_cells_are_row_problems(cell: str, column: str) -> None:
    name, interests = (cell, "ok") if column == "name" else ("Ada", cell)
    data = f'id,name,interests\n1,"{name}","{interests}"\n2,Bob,"two\nlines\tand a tab"\n'

    result = parse_attendee_file(data.encode(), filename="people.csv")

    assert [(p.row, p.column) for p in result.problems] == [(2, column)]
    assert "control character" in result.problems[0].message
    assert by_id(result)["2"].interests == "two\nlines\tand a tab"


def test_xlsx_with_a_raw_control_character_is_a_file_error() -> None:
    # XML 1.0 cannot hold one, so the sheet is damaged rather than a value bad.
    data = workbooks.workbook(
        [["id", "name"], ["1", "Ada"]], edit=lambda name, part: part.replace(b"Ada", b"A\x07da")
    )
    with pytest.raises(ImportFileError, match="not well-formed"):
        parse_attendee_file(data, filename="people.xlsx")


def test_control_character_in_a_header_is_a_file_problem() -> None:
    with pytest.raises(ImportFileError, match=r"header of column C .*U\+001B"):
        parse_attendee_file(b"id,name,Shirt\x1bsize\n1,Ada,M\n", filename="people.csv")


def test_a_row_a_hundred_thousand_columns_wide_is_refused_at_once() -> None:
    data = b"id,name," + b",".join(b"q%d" % i for i in range(100_000)) + b"\n1,Ada\n"
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match="100,002 columns"):
        parse_attendee_file(data, filename="wide.csv")
    assert time.perf_counter() - started < 2


def test_five_hundred_extra_answers_are_a_row_problem() -> None:
    headers = ",".join(f"Question {i}" for i in range(500))
    answers = ",".join("yes" for _ in range(500))
    data = f"id,name,{headers}\n1,Ada,{answers}\n".encode()

    result = parse_attendee_file(data, filename="people.csv")

    assert result.rows == []
    assert [p.message for p in result.problems] == ["too many extra answers: 500, at most 100"]


def test_truncated_xlsx_is_a_file_error_naming_the_xml_problem() -> None:
    data = workbooks.workbook([["id", "name"], ["1", "Ada"]], edit=workbooks.truncated())
    with pytest.raises(ImportFileError, match="damaged: its XML is not well-formed"):
        parse_attendee_file(data, filename="people.xlsx")


@pytest.mark.parametrize(
    "doctype",
    [
        workbooks.with_doctype(workbooks.ONE_ENTITY, use=(b"Ada", b"&company;")),
        workbooks.with_doctype(workbooks.BILLION_LAUGHS, use=(b"Ada", b"&lol9;")),
        workbooks.with_doctype(workbooks.ONE_ENTITY, part=workbooks.SHEET),
    ],
    ids=["entity", "billion-laughs", "entity-in-sheet"],
)
def test_xlsx_with_xml_entities_is_refused(doctype: Callable[[str, bytes], bytes]) -> None:
    data = workbooks.workbook([["id", "name"], ["1", "Ada"]], edit=doctype)
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match="declares XML entities"):
        parse_attendee_file(data, filename="people.xlsx")
    assert time.perf_counter() - started < 2


def test_xlsx_shared_string_bomb_is_refused_before_parsing() -> None:
    # The 126 KB file held 3 M shared strings and froze the server for 40 s.
    data = workbooks.workbook([["id", "name"], ["1", "Ada"]], extra_strings=1_000_000)
    assert len(data) < 100_000

    started = time.perf_counter()
    with pytest.raises(ImportFileError, match="times its size"):
        parse_attendee_file(data, filename="bomb.xlsx")
    assert time.perf_counter() - started < 1


def test_xlsx_with_more_shared_strings_than_allowed_is_refused() -> None:
    rows = [["id", "name"]] + [[f"A-{i:05d}", f"Person {i}"] for i in range(1500)]
    data = workbooks.workbook(rows)
    assert len(parse_attendee_file(data, filename="people.xlsx").rows) == 1500

    with pytest.raises(ImportFileError, match="more than 1,000 distinct texts"):
        parse_attendee_file(
            data, filename="people.xlsx", xlsx_limits=XlsxLimits(max_shared_strings=1000)
        )


def test_xlsx_unpacking_past_the_size_limit_is_refused() -> None:
    rows = [["id", "name"]] + [[f"A-{i:05d}", f"Person {i}"] for i in range(1500)]
    data = workbooks.workbook(rows)
    with pytest.raises(ImportFileError, match="at most 100 times the file's size and 10,000 bytes"):
        parse_attendee_file(
            data, filename="people.xlsx", xlsx_limits=XlsxLimits(max_uncompressed_bytes=10_000)
        )


@pytest.mark.parametrize("chunk", [7, 64, 1024 * 1024])
def test_shared_strings_are_counted_exactly_across_read_chunks(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "_READ_CHUNK", chunk)
    rows = [["id", "name"]] + [[f"A-{i:05d}", f"Person {i}"] for i in range(500)]
    data = workbooks.workbook(rows, extra_strings=3)
    archive = zipfile.ZipFile(io.BytesIO(data))
    part = archive.getinfo(workbooks.SHARED_STRINGS)

    assert files._count_shared_strings(archive, part, stop_after=10**6) == 2 + 1000 + 3
