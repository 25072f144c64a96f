"""The import mapping: the preview of each column, the organizer's changes, saved mappings,
placeholder and junk rows, and the counts shown before anything is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.attendees.mapping import TARGETS, ImportMapping
from service.attendees.parsing import (
    MappingError,
    ParseResult,
    SavedMapping,
    parse_attendee_file,
)
from service.cli import app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
ALONE = "Are you attending alone?"


def parse(name: str, **options: Any) -> ParseResult:
    return parse_attendee_file((FIXTURES / name).read_bytes(), filename=name, **options)


def parse_text(text: str, **options: Any) -> ParseResult:
    return parse_attendee_file(text.encode(), filename="people.csv", **options)


def people(result: ParseResult) -> dict[str, Any]:
    return {row.fields.external_id: row.fields for row in result.rows}


# --- recognising columns ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Are you attending alone?", "solo"),
        ("Are you coming on your own?", "solo"),
        ("Kommst du allein?", "solo"),
        ("Venez-vous seul ?", "solo"),
        ("Venez-vous seule ?", "solo"),
        ("¿Vienes solo?", "solo"),
        ("Vieni da sola?", "solo"),
        ("Kom je alleen?", "solo"),
        ("Will you join the dinner?", "dinner"),
        ("Nimmst du am Abendessen teil?", "dinner"),
        ("Participerez-vous au dîner ?", "dinner"),
        ("¿Vienes a la cena?", "dinner"),
        ("Partecipi alla cena sociale?", "dinner"),
        ("Kom je naar het diner?", "dinner"),
        ("Are you bringing a companion?", "party"),
        ("Bringst du eine Begleitung mit?", "party"),
        ("Venez-vous accompagné ?", "party"),
        ("¿Vienes acompañado?", "party"),
        ("Vieni accompagnato?", "party"),
        ("Neem je een introducé mee?", "party"),
        ("Is this your first time at PyCon?", "first_time"),
        ("Ist das deine erste PyCon?", "first_time"),
        ("Worüber möchtest du sprechen?", "interests"),
        ("Dietary needs for the dinner?", "dietary"),
        ("What topics would you like to discuss over dinner?", "interests"),
    ],
)
def test_questions_are_recognised_from_their_wording(header: str, target: str) -> None:
    result = parse_text(f'id,name,"{header}"\n1,Ada,yes\n')

    assert result.columns[header] == target
    column = next(c for c in result.preview if c.header == header)
    assert column.recognised_by == "question wording"


def test_a_question_with_no_known_wording_is_kept_as_an_extra_answer() -> None:
    result = parse_text("id,name,How did you hear about us?\n1,Ada,a friend\n")

    column = result.preview[2]
    assert (column.target, column.recognised_by) == ("extra", "not recognised")
    assert people(result)["1"].extra == {"How did you hear about us?": "a friend"}


def test_preview_lists_every_column_with_its_target_how_and_three_samples() -> None:
    result = parse("eventbrite_questions.csv")
    header_line = (FIXTURES / "eventbrite_questions.csv").read_text("utf-8-sig").splitlines()[0]

    assert [c.header for c in result.preview] == header_line.split(",")
    by_header = {c.header: c for c in result.preview}
    assert by_header["Attendee #"].target == "external_id"
    assert by_header["Attendee #"].recognised_by == "known export"
    assert by_header["Email"].recognised_by == "exact header"
    assert by_header["Order Date"].target == "ignore"
    assert by_header["Job Title"].target == "extra"
    assert by_header[ALONE].target == "solo"
    assert by_header[ALONE].samples == ("Yes", "No", "yes")
    assert by_header["First Name"].samples == ("Priya", "Tom", "Aoife")
    assert all(len(c.samples) <= 3 for c in result.preview)


def test_every_target_the_preview_uses_is_one_the_mapping_accepts() -> None:
    for fixture in ("eventbrite_questions.csv", "pretix_german.csv", "tito_questions.csv"):
        assert {c.target for c in parse(fixture).preview} <= set(TARGETS)


@pytest.mark.parametrize(
    ("fixture", "source_format", "encoding", "delimiter", "solo", "dinner"),
    [
        ("eventbrite_questions.csv", "eventbrite", "utf-8-sig", ",", ALONE,
         "Will you join the dinner?"),
        ("pretix_german.csv", "pretix", "utf-8-sig", ";", "Kommst du allein?",
         "Nimmst du am Abendessen teil?"),
        ("tito_questions.csv", "tito", "utf-8", ",", "Venez-vous seul ?",
         "Participerez-vous au dîner ?"),
        ("eventbrite_excel_de_cp1252.csv", "eventbrite", "cp1252", ";", "Kommen Sie allein?",
         "Nehmen Sie am Abendessen teil?"),
    ],
)  # fmt: skip
def test_real_exports_with_custom_questions_fill_solo_and_dinner(
    fixture: str, source_format: str, encoding: str, delimiter: str, solo: str, dinner: str
) -> None:
    result = parse(fixture)

    assert (result.source_format, result.encoding, result.delimiter) == (
        source_format,
        encoding,
        delimiter,
    )
    assert result.columns[solo] == "solo" and result.columns[dinner] == "dinner"
    assert any(row.fields.solo for row in result.rows)
    assert any(row.fields.dinner for row in result.rows)
    assert not result.problems


def test_cp1252_semicolon_export_keeps_accented_names_and_answers() -> None:
    found = people(parse("eventbrite_excel_de_cp1252.csv"))

    assert found["4001"].name == "Jürgen Müller" and found["4001"].solo is True
    assert found["4002"].affiliation == "Société Générale" and found["4002"].dinner is True
    assert found["4003"].name == "Zoë Ångström"


def test_yes_to_bringing_a_companion_makes_a_party_of_the_order() -> None:
    found = people(parse("eventbrite_questions.csv"))

    assert found["2002"].party == found["2003"].party == "order 5100002"
    assert found["2001"].party is None


def test_a_party_column_of_labels_is_kept_as_written() -> None:
    found = people(parse_text("id,name,party\n1,Ada,yes\n2,Grace,Team Rocket\n"))

    assert found["1"].party == "yes" and found["2"].party == "Team Rocket"


# --- the organizer's mapping --------------------------------------------------------------------


def test_a_mapping_changes_a_columns_target() -> None:
    text = "id,name,Travelling independently?\n1,Ada,yes\n2,Grace,no\n"
    assert parse_text(text).columns["Travelling independently?"] == "extra"

    result = parse_text(text, mapping=ImportMapping(columns={"Travelling independently?": "solo"}))

    assert result.mapping_source == "your mapping"
    assert result.preview[2].recognised_by == "your mapping"
    assert people(result)["1"].solo is True and people(result)["2"].solo is False


def test_a_mapping_can_drop_a_recognised_column() -> None:
    result = parse("eventbrite_questions.csv", mapping=ImportMapping(columns={ALONE: "ignore"}))

    assert not any(row.fields.solo for row in result.rows)
    assert all(ALONE not in row.fields.extra for row in result.rows)


def test_a_mapping_naming_a_column_the_file_lacks_is_refused_naming_it() -> None:
    with pytest.raises(MappingError, match="'Are you alone'") as caught:
        parse("eventbrite_questions.csv", mapping=ImportMapping(columns={"Are you alone": "solo"}))

    assert caught.value.pointer == "/mapping/columns/Are you alone"


@pytest.mark.parametrize(
    ("columns", "lacking"),
    [({"Attendee #": "ignore"}, "id"), ({"First Name": "extra", "Last Name": "ignore"}, "name")],
)
def test_a_mapping_that_leaves_no_id_or_name_is_refused(
    columns: dict[str, Any], lacking: str
) -> None:
    with pytest.raises(MappingError, match=f"mapped to the {lacking}") as caught:
        parse(
            "eventbrite_questions.csv",
            mapping=ImportMapping.model_validate({"columns": columns}),
        )

    assert caught.value.pointer == "/mapping/columns"


def test_an_unknown_target_or_action_is_refused() -> None:
    with pytest.raises(ValueError, match=r"columns\.Company"):
        ImportMapping.model_validate({"columns": {"Company": "employer"}})
    with pytest.raises(ValueError, match="not an action for this kind"):
        ImportMapping.model_validate({"placeholders": {"duplicate_person": "buyer_name"}})


def test_a_saved_mapping_applies_only_to_the_same_export() -> None:
    text = "id,name,Travelling independently?\n1,Ada,yes\n"
    saved = SavedMapping(
        headers=("ID", "Name", "Travelling independently?"),
        mapping=ImportMapping(columns={"Travelling independently?": "solo"}),
    )

    same = parse_text(text, saved=saved)
    other = parse_text("id,name,Travelling independently?,company\n1,Ada,yes,X\n", saved=saved)

    assert same.mapping_source == "saved mapping" and people(same)["1"].solo is True
    assert other.mapping_source == "recognised" and people(other)["1"].solo is False


# --- placeholder and junk rows ---------------------------------------------------------------


def test_info_requested_rows_wait_for_details_by_default() -> None:
    result = parse("eventbrite_info_requested.csv")
    found = people(result)

    assert [(f.row, f.kind, f.action) for f in result.flagged] == [
        (2, "info_requested", "needs_details"),
        (3, "info_requested", "needs_details"),
        (4, "info_requested", "needs_details"),
        (6, "info_requested", "needs_details"),
    ]
    assert {found[i].status for i in ("3001", "3002", "3003")} == {"needs-details"}
    # A cancelled ticket stays cancelled; the placeholder e-mail is no address.
    assert found["3005"].status == "cancelled"
    assert found["3001"].email is None and found["3001"].affiliation == ""
    assert found["3004"].status == "registered" and found["3004"].name == "Hugo Almeida"


def test_info_requested_rows_can_take_the_buyers_name() -> None:
    result = parse(
        "eventbrite_info_requested.csv",
        mapping=ImportMapping(placeholders={"info_requested": "buyer_name"}),
    )
    found = people(result)

    assert found["3001"].name == "Karin Lindqvist"
    assert found["3001"].email == "karin@lindqvist.example"
    assert found["3001"].status == "registered"
    # The buyer of two tickets is one of the two people; the other waits for details.
    assert found["3002"].name == "Claire Moreau" and found["3002"].status == "registered"
    assert found["3003"].status == "needs-details"
    assert [(f.external_id, f.action) for f in result.flagged] == [
        ("3001", "buyer_name"),
        ("3002", "buyer_name"),
        ("3003", "needs_details"),
        ("3005", "buyer_name"),
    ]
    assert result.flagged[2].note == "the buyer's name went to another ticket"


def test_info_requested_rows_can_be_skipped() -> None:
    result = parse(
        "eventbrite_info_requested.csv",
        mapping=ImportMapping(placeholders={"info_requested": "skip"}),
    )

    assert list(people(result)) == ["3004"]
    assert result.row_count == 5


def test_buyer_name_without_buyer_columns_falls_back_to_needs_details() -> None:
    result = parse_text(
        "id,name\n1,Info Requested\n2,Ada\n",
        mapping=ImportMapping(placeholders={"info_requested": "buyer_name"}),
    )

    assert result.flagged[0].action == "needs_details"
    assert result.flagged[0].note == "no buyer name in this row"
    assert people(result)["1"].status == "needs-details"


def test_names_that_are_emails_tests_and_second_tickets_are_flagged() -> None:
    result = parse("eventbrite_questions.csv")
    found = people(result)

    flagged = {(f.row, f.kind, f.action, f.external_id) for f in result.flagged}
    assert flagged == {
        (6, "test_entry", "skip", "2005"),
        (7, "email_as_name", "needs_details", "2006"),
        (9, "duplicate_person", "skip", "2008"),
    }
    assert "2005" not in found and "2008" not in found
    assert found["2006"].status == "needs-details"


def test_a_second_ticket_of_one_person_can_be_imported_anyway() -> None:
    result = parse(
        "eventbrite_questions.csv",
        mapping=ImportMapping(placeholders={"duplicate_person": "import"}),
    )

    assert {"2007", "2008"} <= set(people(result))


@pytest.mark.parametrize("name", ["test", "Test Test", "asdf", "ASDF asdf", "test123", "xxx"])
def test_test_entries_are_flagged(name: str) -> None:
    result = parse_text(f"id,name\n1,{name}\n2,Ada\n")

    assert [(f.external_id, f.kind) for f in result.flagged] == [("1", "test_entry")]


@pytest.mark.parametrize("name", ["Tess Tester", "Anna Testa", "Bar Refaeli", "Xu Xi"])
def test_real_names_are_not_test_entries(name: str) -> None:
    assert parse_text(f"id,name\n1,{name}\n").flagged == []


# --- over HTTP -----------------------------------------------------------------------------------


def _import(
    admin: TestClient,
    conference: dict[str, Any],
    name: str,
    data: bytes | None = None,
    *,
    mapping: dict[str, Any] | None = None,
    **params: Any,
) -> Any:
    body = data if data is not None else (FIXTURES / name).read_bytes()
    form = {"mapping": json.dumps(mapping)} if mapping is not None else None
    return admin.post(
        f"/v1/conferences/{conference['id']}/attendees/import",
        params=params,
        files={"file": (name, body)},
        data=form,
    )


def _attendees(admin: TestClient, conference: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = admin.get(
        f"/v1/conferences/{conference['id']}/attendees", params={"limit": 1000}
    ).json()["items"]
    return {a["external_id"]: a for a in items}


def test_dry_run_shows_the_counts_that_matter_before_anything_is_written(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    response = _import(admin, conference, "eventbrite_questions.csv", dry_run="true")

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["rows"] == 9
    assert (report["created"], report["updated"], report["unchanged"]) == (7, 0, 0)
    assert report["counts"] == {
        "seated": 5,
        "solo": 3,
        "dinner": 4,
        "blank_profiles": 2,
        "cancelled": 1,
        "needs_details": 1,
        "skipped": 2,
    }
    assert {c["header"]: c["label"] for c in report["columns"]}[ALONE] == "solo (came alone)"
    assert [f["kind"] for f in report["flagged"]] == [
        "test_entry",
        "email_as_name",
        "duplicate_person",
    ]
    assert report["mapping"]["columns"][ALONE] == "solo"
    assert _attendees(admin, conference) == {}


def test_counts_of_an_update_use_what_attendees_already_have(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    data = b"id,name,solo\n1,Ada,yes\n2,Grace,no\n3,Lin,no\n"
    assert _import(admin, conference, "people.csv", data).status_code == 200
    admin.patch(
        f"/v1/conferences/{conference['id']}/attendees/2", json={"interests": "Her own words"}
    )

    report = _import(admin, conference, "people.csv", data, dry_run="true").json()

    assert (report["created"], report["unchanged"]) == (0, 3)
    assert report["counts"]["blank_profiles"] == 2
    assert report["counts"]["solo"] == 1


def test_problems_are_counted_by_column(admin: TestClient, conference: dict[str, Any]) -> None:
    data = b"id,name,email,solo\n1,Ada,not-an-address,yes\n2,Grace,g@example.org,maybe\n3,Lin,,no\n"

    report = _import(admin, conference, "people.csv", data, dry_run="true").json()

    assert report["problems_by_column"] == {"email": 1, "solo": 1}
    assert report["invalid"] == 2


def test_the_chosen_mapping_is_saved_and_reused_for_the_same_export(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    header = "Ticket,Name,Travelling independently?,Dinner"
    first = f"{header}\nT1,Ada Lovelace,yes,yes\nT2,Grace Hopper,no,no\n".encode()
    # "Ticket" is no id the headers give away: the answer says so and shows every column.
    preview = _import(admin, conference, "week1.csv", first, dry_run="true")
    assert preview.status_code == 422
    assert preview.json()["errors"][0]["pointer"] == "/mapping/columns"
    shown = {c["header"]: c for c in preview.json()["columns"]}
    assert shown["Travelling independently?"]["target"] == "extra"
    assert shown["Ticket"]["samples"] == ["T1", "T2"]
    chosen = {"columns": {"Ticket": "external_id", "Travelling independently?": "solo"}}

    imported = _import(admin, conference, "week1.csv", first, mapping=chosen)
    assert imported.status_code == 200, imported.text
    assert imported.json()["counts"]["solo"] == 1

    saved = admin.get(f"/v1/conferences/{conference['id']}/attendees/import-mapping")
    assert saved.status_code == 200
    assert saved.json()["columns"]["Travelling independently?"] == "solo"
    # A week later: the same export, columns in another order, one more person.
    later = (
        b"Dinner,Travelling independently?,Name,Ticket\n"
        b"no,yes,Grace Hopper,T2\nyes,yes,Ada Lovelace,T1\nno,yes,Lin Wei,T3\n"
    )
    again = _import(admin, conference, "week2.csv", later, dry_run="true").json()
    assert again["mapping_source"] == "saved mapping"
    by_header = {c["header"]: c for c in again["columns"]}
    assert by_header["Travelling independently?"]["target"] == "solo"
    assert by_header["Travelling independently?"]["recognised_by"] == "saved mapping"
    assert (again["created"], again["updated"], again["unchanged"]) == (1, 1, 1)
    assert again["counts"]["solo"] == 3
    assert _import(admin, conference, "week2.csv", later).status_code == 200
    assert _attendees(admin, conference)["T3"]["solo"] is True


def test_a_recognised_import_does_not_replace_a_chosen_mapping(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    chosen = {"columns": {ALONE: "ignore"}}
    assert _import(admin, conference, "eventbrite_questions.csv", mapping=chosen).status_code == 200
    assert _import(admin, conference, "tito_questions.csv").status_code == 200

    saved = admin.get(f"/v1/conferences/{conference['id']}/attendees/import-mapping").json()

    assert saved["columns"][ALONE] == "ignore"


def test_put_and_get_the_import_mapping(admin: TestClient, conference: dict[str, Any]) -> None:
    url = f"/v1/conferences/{conference['id']}/attendees/import-mapping"
    assert admin.get(url).status_code == 404
    body = {
        "columns": {"Ticket": "external_id", "Who": "name", "Alone?": "solo"},
        "placeholders": {"info_requested": "skip"},
    }

    put = admin.put(url, json=body)

    assert put.status_code == 200, put.text
    assert put.json()["headers"] == ["Ticket", "Who", "Alone?"]
    assert admin.get(url).json() == put.json()
    data = b"Who,Alone?,Ticket\nAda,yes,1\nInfo Requested,no,2\n"
    report = _import(admin, conference, "people.csv", data, dry_run="true").json()
    assert report["mapping_source"] == "saved mapping"
    assert report["counts"]["solo"] == 1 and report["counts"]["skipped"] == 1


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"columns": {"Ticket": "external_id", "Who": "fullname"}}, "#/body/columns/Who"),
        ({"columns": {"Ticket": "external_id", "Who": "extra"}}, "#/body/columns"),
        ({"columns": {"Who": "name"}}, "#/body/columns"),
        (
            {"columns": {"T": "external_id", "W": "name"}, "placeholders": {"typo": "skip"}},
            "#/body/placeholders/typo",
        ),
        ({"headers": ["T"], "columns": {"T": "external_id", "W": "name"}}, "#/body/columns/W"),
    ],
)
def test_a_bad_mapping_put_is_422_naming_the_field_and_saves_nothing(
    admin: TestClient, conference: dict[str, Any], body: dict[str, Any], pointer: str
) -> None:
    url = f"/v1/conferences/{conference['id']}/attendees/import-mapping"

    response = admin.put(url, json=body)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert pointer in [error["pointer"] for error in response.json()["errors"]]
    assert admin.get(url).status_code == 404


@pytest.mark.parametrize(
    ("mapping", "pointer"),
    [
        ({"columns": {ALONE: "alone"}}, f"/mapping/columns/{ALONE}"),
        ({"columns": {"Attendee #": "extra"}}, "/mapping/columns"),
        ({"columns": {"First Name": "ignore", "Last Name": "ignore"}}, "/mapping/columns"),
        ({"columns": {"Alone?": "solo"}}, "/mapping/columns/Alone?"),
        ({"placeholders": {"test_entry": "keep"}}, "/mapping/placeholders/test_entry"),
        ({"colums": {}}, "/mapping/colums"),
    ],
)
def test_a_bad_mapping_in_the_import_is_422_naming_the_field_and_writes_nothing(
    admin: TestClient, conference: dict[str, Any], mapping: dict[str, Any], pointer: str
) -> None:
    response = _import(admin, conference, "eventbrite_questions.csv", mapping=mapping)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert pointer in [error["pointer"] for error in response.json()["errors"]]
    assert _attendees(admin, conference) == {}
    mapping_url = f"/v1/conferences/{conference['id']}/attendees/import-mapping"
    assert admin.get(mapping_url).status_code == 404


def test_a_mapping_that_is_not_json_is_422(admin: TestClient, conference: dict[str, Any]) -> None:
    response = admin.post(
        f"/v1/conferences/{conference['id']}/attendees/import",
        files={"file": ("p.csv", b"id,name\n1,Ada\n")},
        data={"mapping": "{columns:"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/mapping"


def test_placeholders_are_imported_as_needs_details_and_never_seated(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    assert _import(admin, conference, "eventbrite_info_requested.csv").status_code == 200

    found = _attendees(admin, conference)
    assert found["3001"]["status"] == "needs-details"
    waiting = admin.get(
        f"/v1/conferences/{conference['id']}/attendees", params={"status": "needs-details"}
    ).json()["items"]
    assert sorted(a["external_id"] for a in waiting) == ["3001", "3002", "3003"]


def test_a_later_export_with_the_details_makes_them_registered(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    assert _import(admin, conference, "eventbrite_info_requested.csv").status_code == 200
    later = (FIXTURES / "eventbrite_info_requested.csv").read_text("utf-8-sig")
    first_row = later.splitlines()[1]
    filled = first_row.replace(
        "Info Requested,Info Requested,Info Requested", "Karin,Lindqvist,karin@lindqvist.example", 1
    )
    later = later.replace(first_row, filled)
    # Without a status column, the details alone end the wait.
    data = "\n".join(
        ",".join(cell for i, cell in enumerate(line.split(",")) if i != 12)
        for line in later.splitlines()
    ).encode()

    report = _import(admin, conference, "later.csv", data).json()

    assert report["applied"] is True
    found = _attendees(admin, conference)
    assert found["3001"]["name"] == "Karin Lindqvist"
    assert found["3001"]["status"] == "registered"
    assert found["3002"]["status"] == "needs-details"


def test_buyer_name_choice_over_http(admin: TestClient, conference: dict[str, Any]) -> None:
    chosen = {"placeholders": {"info_requested": "buyer_name"}}

    response = _import(admin, conference, "eventbrite_info_requested.csv", mapping=chosen)

    assert response.status_code == 200, response.text
    found = _attendees(admin, conference)
    assert found["3001"]["name"] == "Karin Lindqvist"
    assert found["3002"]["name"] == "Claire Moreau"
    assert found["3003"]["status"] == "needs-details"
    saved = admin.get(f"/v1/conferences/{conference['id']}/attendees/import-mapping").json()
    assert saved["placeholders"]["info_requested"] == "buyer_name"


# --- the command line ----------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli_conference(settings_env: str) -> str:
    from service.db import session_scope
    from service.models import Conference

    with session_scope() as session:
        session.add(Conference(slug="map-conf", name="Mapping Conf"))
    return "map-conf"


def _names(slug: str) -> dict[str, Any]:
    from sqlalchemy import select

    from service.db import session_scope
    from service.models import Attendee

    with session_scope() as session:
        return {
            a.external_id: (a.name, a.solo, a.status) for a in session.scalars(select(Attendee))
        }


def test_cli_dry_run_prints_the_preview(cli_conference: str) -> None:
    result = runner.invoke(
        app,
        [
            "import",
            str(FIXTURES / "eventbrite_questions.csv"),
            "--conference",
            cli_conference,
            "--dry-run",
        ],
    )

    assert result.exit_code == 0, result.output
    assert ALONE in result.stdout and "question wording" in result.stdout
    assert "solo 3" in result.stdout and "skipped 2" in result.stdout
    assert "flagged row 6: test_entry 'Test Test' -> skip" in result.stdout
    assert _names(cli_conference) == {}


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_cli_import_with_a_mapping_file(cli_conference: str, tmp_path: Path, suffix: str) -> None:
    mapping = tmp_path / f"mapping{suffix}"
    if suffix == ".toml":
        mapping.write_text(
            f'[columns]\n"{ALONE}" = "ignore"\n\n[placeholders]\nduplicate_person = "import"\n'
        )
    else:
        mapping.write_text(
            json.dumps(
                {"columns": {ALONE: "ignore"}, "placeholders": {"duplicate_person": "import"}}
            )
        )

    result = runner.invoke(
        app,
        [
            "import",
            str(FIXTURES / "eventbrite_questions.csv"),
            "--conference",
            cli_conference,
            "--mapping",
            str(mapping),
        ],
    )

    assert result.exit_code == 0, result.output
    found = _names(cli_conference)
    assert "2008" in found
    assert not any(solo for _, solo, _ in found.values())


def test_cli_refuses_an_unknown_target_naming_it(cli_conference: str, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\n"Company" = "employer"\n')

    result = runner.invoke(
        app,
        [
            "import",
            str(FIXTURES / "eventbrite_questions.csv"),
            "--conference",
            cli_conference,
            "--mapping",
            str(mapping),
        ],
    )

    assert result.exit_code == 1
    assert "/mapping/columns/Company" in result.stderr
    assert _names(cli_conference) == {}
