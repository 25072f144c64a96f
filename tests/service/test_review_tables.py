"""A round's tables for review: all of them, only some (``?tables=3,7``) or a page at a time.

The dashboard reads only the tables an edit touched and the first page on opening, so what the
filter and the pages return must be exactly the tables asked for, as the full list shows them.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from matching.report import Report
from service.plans.schemas import MAX_TABLE_NUMBER, MAX_TABLES_FILTER, MAX_TABLES_PAGE
from tests.service.test_plans_stored_review import add_rounds, base, hashing, run

__all__ = ["base", "hashing"]  # fixtures used by name


@pytest.fixture
def lunch(admin: TestClient, base: str) -> str:
    """The tables URL of a ready plan's lunch: 24 people at 8 tables of 3."""
    rounds = add_rounds(admin, base, [{"name": "Lunch 1", "kind": "lunch", "table_size": 3}])
    plan = run(admin, base)
    assert plan["status"] == "ready", plan["error"]
    return f"{base}/plans/{plan['id']}/rounds/{rounds['Lunch 1']}/tables"


def get(admin: TestClient, url: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    answer = admin.get(url, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json(), int(answer.headers["X-Total-Count"])


def test_every_table_comes_without_a_filter(admin: TestClient, lunch: str) -> None:
    tables, total = get(admin, lunch)
    assert [t["table"] for t in tables] == list(range(1, 9))
    assert total == 8
    assert sorted(m["external_id"] for t in tables for m in t["members"]) == [
        f"P{i:03d}" for i in range(24)
    ]


def test_the_filter_returns_exactly_the_tables_named_as_the_full_list_shows_them(
    admin: TestClient, lunch: str
) -> None:
    full, _ = get(admin, lunch)
    tables, total = get(admin, lunch, tables="7, 3,7")
    assert [t["table"] for t in tables] == [3, 7]
    assert tables == [full[2], full[6]]
    assert total == 2


def test_numbers_the_round_does_not_have_are_left_out(admin: TestClient, lunch: str) -> None:
    tables, total = get(admin, lunch, tables=f"2,9,{MAX_TABLE_NUMBER}")
    assert [t["table"] for t in tables] == [2]
    assert total == 1
    assert get(admin, lunch, tables="9") == ([], 0)


def test_pages_put_together_are_the_full_list(admin: TestClient, lunch: str) -> None:
    full, _ = get(admin, lunch)
    pages = [get(admin, lunch, page=n, limit=3) for n in (1, 2, 3, 4)]
    assert [[t["table"] for t in p] for p, _ in pages] == [[1, 2, 3], [4, 5, 6], [7, 8], []]
    assert [total for _, total in pages] == [8, 8, 8, 8]
    assert [t for p, _ in pages for t in p] == full


def test_a_page_of_the_filtered_tables(admin: TestClient, lunch: str) -> None:
    tables, total = get(admin, lunch, tables="1,4,6,8", page=2, limit=2)
    assert [t["table"] for t in tables] == [6, 8]
    assert total == 4


def test_figures_are_the_reports_for_each_table_shown(admin: TestClient, lunch: str) -> None:
    plan = admin.get(lunch.split("/rounds/")[0]).json()
    detail = {t["table"]: t for t in plan["report"]["rounds"][0]["tables_detail"]}
    for table in get(admin, lunch, tables="2,5")[0]:
        stored = detail[table["table"]]
        assert table["figures"] == {
            k: v for k, v in stored.items() if k not in ("table", "members", "topics")
        }
        assert table["figures"]["size"] == len(table["members"])


def test_reading_tables_never_parses_the_whole_report(
    admin: TestClient, lunch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def whole_report(*args: Any, **kwargs: Any) -> Report:
        raise AssertionError("the tables request parsed the plan's whole report")

    monkeypatch.setattr(Report, "from_dict", whole_report)
    tables, _ = get(admin, lunch, tables="1")
    assert tables[0]["figures"]["size"] == 3


@pytest.mark.parametrize(
    "junk",
    ["abc", "1,,2", "0", "-1", "1.5", "3;7", "", " ", "\uff11", str(MAX_TABLE_NUMBER + 1)],
)
def test_junk_in_the_filter_is_a_422_naming_it(admin: TestClient, lunch: str, junk: str) -> None:
    answer = admin.get(lunch, params={"tables": junk})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["pointer"] for e in answer.json()["errors"]] == ["#/query/tables"]


def test_the_filter_names_a_bounded_number_of_tables(admin: TestClient, lunch: str) -> None:
    many = ",".join(str(n) for n in range(1, MAX_TABLES_FILTER + 1))
    assert admin.get(lunch, params={"tables": many}).status_code == 200
    too_many = f"{many},{MAX_TABLES_FILTER + 1}"
    answer = admin.get(lunch, params={"tables": too_many})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "#/query/tables"
    assert admin.get(lunch, params={"tables": "1" * 2000}).status_code == 422


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0, "limit": 2}, "page"),
        ({"page": "two", "limit": 2}, "page"),
        ({"limit": 0}, "limit"),
        ({"limit": MAX_TABLES_PAGE + 1}, "limit"),
        ({"limit": "all"}, "limit"),
    ],
)
def test_bad_pages_are_a_422_naming_the_field(
    admin: TestClient, lunch: str, params: dict[str, Any], field: str
) -> None:
    answer = admin.get(lunch, params=params)
    assert answer.status_code == 422, answer.text
    assert [e["pointer"] for e in answer.json()["errors"]] == [f"#/query/{field}"]


def test_the_tables_answer_names_every_figure_a_report_table_has() -> None:
    from service.plans.review import FIGURE_KEYS
    from service.plans.schemas import TableFigures

    # A figure added to the report's tables must be added to the API's schema too.
    assert set(TableFigures.model_fields) == set(FIGURE_KEYS)


@pytest.mark.parametrize("damage", ["no rounds", "a figure of the wrong type"])
def test_tables_of_a_plan_whose_report_cannot_be_read_have_no_figures(
    admin: TestClient, lunch: str, damage: str
) -> None:
    import copy
    import uuid

    from service.db import session_scope
    from service.models import Plan

    plan_id = uuid.UUID(lunch.split("/plans/")[1].split("/")[0])
    with session_scope() as session:
        plan = session.get_one(Plan, plan_id)
        report = copy.deepcopy(plan.report)
        if damage == "no rounds":
            report["rounds"] = "not a list"
        else:
            for table in report["rounds"][0]["tables_detail"]:
                table["kindred"] = "many"
        plan.report = report
    tables, total = get(admin, lunch)
    assert total == 8
    assert all(table["figures"] is None and table["members"] for table in tables)
