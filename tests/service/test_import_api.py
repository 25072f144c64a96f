"""The import route: real-looking exports through HTTP into the database."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.service import workbooks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def _import(
    admin: TestClient, conference: dict[str, Any], name: str, data: bytes, **params: Any
) -> Any:
    return admin.post(
        f"/v1/conferences/{conference['id']}/attendees/import",
        params=params,
        files={"file": (name, data)},
    )


def _count(admin: TestClient, conference: dict[str, Any]) -> int:
    return len(
        admin.get(f"/v1/conferences/{conference['id']}/attendees", params={"limit": 1000}).json()[
            "items"
        ]
    )


@pytest.mark.parametrize(
    ("fixture", "source_format"),
    [
        ("eventbrite.csv", "eventbrite"),
        ("pretix.csv", "pretix"),
        ("tito.csv", "tito"),
        ("hallway.csv", "hallway"),
        ("excel_cp1252.csv", "hallway"),
    ],
)
def test_each_export_imports(
    admin: TestClient, conference: dict[str, Any], fixture: str, source_format: str
) -> None:
    data = (FIXTURES / fixture).read_bytes()
    dry = _import(admin, conference, fixture, data, dry_run="true")
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["source_format"] == source_format
    assert report["applied"] is False and report["created"] > 0
    assert _count(admin, conference) == 0
    real = _import(admin, conference, fixture, data, skip_invalid="true")
    assert real.status_code == 200, real.text
    assert real.json()["applied"] is True
    assert _count(admin, conference) == report["created"]
    again = _import(admin, conference, fixture, data, skip_invalid="true").json()
    assert again["created"] == 0 and again["unchanged"] == report["created"]


def test_eventbrite_values_arrive(admin: TestClient, conference: dict[str, Any]) -> None:
    data = (FIXTURES / "eventbrite.csv").read_bytes()
    assert _import(admin, conference, "eventbrite.csv", data).status_code == 200
    person = admin.get(f"/v1/conferences/{conference['id']}/attendees/1093847561").json()
    assert person["name"] == "Priya Raman"
    assert person["email"] == "priya.raman@example.org"
    assert person["affiliation"] == "Example Corp"


def test_cp1252_names_survive(admin: TestClient, conference: dict[str, Any]) -> None:
    data = (FIXTURES / "excel_cp1252.csv").read_bytes()
    assert _import(admin, conference, "excel.csv", data).status_code == 200
    names = {
        a["name"]
        for a in admin.get(f"/v1/conferences/{conference['id']}/attendees").json()["items"]
    }
    assert any("ü" in n or "é" in n or "ç" in n or "ë" in n for n in names), names


def test_bad_rows_block_the_import_unless_skipped(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    data = (FIXTURES / "bad_values.csv").read_bytes()
    refused = _import(admin, conference, "bad.csv", data)
    assert refused.status_code == 422
    problem = refused.json()
    rows_and_columns = {(e["row"], e["column"]) for e in problem["errors"]}
    assert (2, "email") in rows_and_columns and (3, "solo") in rows_and_columns
    assert _count(admin, conference) == 0
    dry = _import(admin, conference, "bad.csv", data, dry_run="true").json()
    assert dry["invalid"] >= 2 and {p["row"] for p in dry["problems"]} >= {2, 3}
    skipped = _import(admin, conference, "bad.csv", data, skip_invalid="true").json()
    assert skipped["applied"] is True
    assert _count(admin, conference) == skipped["created"] == dry["created"]


def test_duplicate_ids_reported_on_both_rows(admin: TestClient, conference: dict[str, Any]) -> None:
    data = (FIXTURES / "duplicate_ids.csv").read_bytes()
    dry = _import(admin, conference, "dups.csv", data, dry_run="true").json()
    assert len({p["row"] for p in dry["problems"]}) >= 2


@pytest.mark.parametrize(
    "fixture", ["empty.csv", "garbage.bin", "missing_id.csv", "blank_lines_only.csv"]
)
def test_unreadable_files_are_422(
    admin: TestClient, conference: dict[str, Any], fixture: str
) -> None:
    response = _import(admin, conference, fixture, (FIXTURES / fixture).read_bytes())
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"].startswith("The file could not be imported")


def test_xlsx_upload(admin: TestClient, conference: dict[str, Any]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Order code", "Position ID", "Attendee name", "Attendee email", "Company"])
    sheet.append(["ABC12", 1, "Lena Vogel", "lena@vogel.example", "Vogel GmbH"])
    sheet.append(["ABC12", 2, "Jonas Vogel", "jonas@vogel.example", "Vogel GmbH"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _import(admin, conference, "pretix.xlsx", buffer.getvalue())
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    person = admin.get(f"/v1/conferences/{conference['id']}/attendees/ABC12-1").json()
    assert person["name"] == "Lena Vogel"


def test_limits_are_413(
    admin: TestClient, conference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.config import get_settings

    monkeypatch.setenv("HALLWAY_MAX_UPLOAD_BYTES", "2048")
    monkeypatch.setenv("HALLWAY_MAX_IMPORT_ROWS", "2")
    get_settings.cache_clear()
    big = b"id,name\n" + b"".join(b"%d,Person %d\n" % (i, i) for i in range(400))
    assert _import(admin, conference, "big.csv", big).status_code == 413
    three = b"id,name\n1,A\n2,B\n3,C\n"
    too_many = _import(admin, conference, "three.csv", three)
    assert too_many.status_code == 413
    assert _count(admin, conference) == 0


def test_import_keeps_profiles_the_file_does_not_carry(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    url = f"/v1/conferences/{conference['id']}/attendees/1093847561"
    admin.put(
        url, json={"name": "Priya Raman", "interests": "Her own words", "hometown": "Chennai"}
    )
    data = (FIXTURES / "eventbrite.csv").read_bytes()
    assert (
        _import(admin, conference, "eventbrite.csv", data, skip_invalid="true").status_code == 200
    )
    assert admin.get(url).json()["hometown"] == "Chennai"


# --- hostile and damaged files (issue 10: no 500 on any input) -------------------------------


def _people_csv(first: int, count: int) -> bytes:
    return b"".join(b"%d,Person %d,Python\n" % (i, i) for i in range(first, first + count))


def test_csv_with_a_nul_after_the_first_4kb_names_the_row_not_a_500(
    admin: TestClient, conference: dict[str, Any]
) -> None:
    data = b"id,name,interests\n" + _people_csv(0, 300) + b"999,Nul\x00here,x\n"
    data += _people_csv(1000, 5)
    assert data.index(b"\x00") > 4096

    dry = _import(admin, conference, "people.csv", data, dry_run="true")
    assert dry.status_code == 200, dry.text
    assert [(p["row"], p["column"]) for p in dry.json()["problems"]] == [(302, "name")]
    real = _import(admin, conference, "people.csv", data)
    assert real.status_code == 422
    assert real.json()["errors"][0]["pointer"] == "/rows/302/name"
    skipped = _import(admin, conference, "people.csv", data, skip_invalid="true")
    assert skipped.status_code == 200, skipped.text
    assert _count(admin, conference) == 305


@pytest.mark.parametrize(
    ("name", "data", "detail"),
    [
        (
            "truncated",
            workbooks.workbook([["id", "name"], ["1", "Ada"]], edit=workbooks.truncated()),
            "XML is not well-formed",
        ),
        (
            "entity",
            workbooks.workbook(
                [["id", "name"], ["1", "Ada"]],
                edit=workbooks.with_doctype(workbooks.ONE_ENTITY, use=(b"Ada", b"&company;")),
            ),
            "declares XML entities",
        ),
        (
            "billion-laughs",
            workbooks.workbook(
                [["id", "name"], ["1", "Ada"]],
                edit=workbooks.with_doctype(workbooks.BILLION_LAUGHS, use=(b"Ada", b"&lol9;")),
            ),
            "declares XML entities",
        ),
        (
            "shared-string-bomb",
            workbooks.workbook([["id", "name"], ["1", "Ada"]], extra_strings=1_000_000),
            "decompression bomb",
        ),
    ],
)
def test_damaged_or_hostile_xlsx_is_a_422_problem_naming_it(
    admin: TestClient, conference: dict[str, Any], name: str, data: bytes, detail: str
) -> None:
    started = time.perf_counter()
    response = _import(admin, conference, f"{name}.xlsx", data, dry_run="true")
    elapsed = time.perf_counter() - started

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"]
    assert elapsed < 5, f"refusing {name} took {elapsed:.1f} s"


def test_import_parsing_runs_outside_the_web_process(
    admin: TestClient, conference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.attendees import parsing

    def in_this_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was parsed inside the web process")

    monkeypatch.setattr(parsing, "_parse_records", in_this_process)
    data = b"id,name\n1,Ada\n2,Grace\n"
    response = _import(admin, conference, "people.csv", data, dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2


def test_a_file_slower_to_read_than_the_timeout_is_a_422(
    admin: TestClient, conference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.config import get_settings

    monkeypatch.setenv("HALLWAY_FILE_TIMEOUT", "0.05")
    get_settings.cache_clear()
    data = b"id,name,interests\n" + _people_csv(0, 20_000)

    response = _import(admin, conference, "big.csv", data, dry_run="true")

    assert response.status_code == 422, response.text
    assert "took longer than 0.05 seconds" in response.json()["detail"]
    # The worker that was stopped goes on serving the next file.
    monkeypatch.setenv("HALLWAY_FILE_TIMEOUT", "60")
    get_settings.cache_clear()
    assert _import(admin, conference, "small.csv", b"id,name\n1,Ada\n").status_code == 200
