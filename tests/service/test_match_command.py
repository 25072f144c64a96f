"""``hallway match`` on attendee files, with the cheap hashing encoder."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


def _attendee_file(path: Path, n: int) -> Path:
    topics = ["testing pytest", "django web", "numpy science", "packaging wheels", "async io"]
    lines = ["id,name,affiliation,interests,solo,dinner,party"]
    for i in range(n):
        company = f"Company {i % 7}" if i % 3 else ""
        party = f"team{i // 4}" if i % 9 == 0 else ""
        lines.append(
            f"p{i:03d},Person {i},{company},{topics[i % 5]} etc,{i % 4 == 0},{i % 2 == 0},{party}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hashing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from service.config import get_settings

    monkeypatch.setenv("HALLWAY_EMBEDDING_MODEL", "hashing")
    monkeypatch.setenv("HALLWAY_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()


def test_match_writes_seating_and_report(tmp_path: Path, hashing: None) -> None:
    source = _attendee_file(tmp_path / "people.csv", 60)
    out, report = tmp_path / "assignments.csv", tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            "match",
            str(source),
            "--lunches",
            "2",
            "--table-size",
            "6",
            "--dinners",
            "1",
            "--group-size",
            "5",
            "--seed",
            "7",
            "--time-budget",
            "20",
            "--out",
            str(out),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert {"round", "kind", "table", "attendee_id", "name"} <= set(rows[0])
    by_round: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_round.setdefault(row["round"], []).append(row)
    assert sorted(by_round) == ["Dinner 1", "Lunch 1", "Lunch 2"]
    for name in ("Lunch 1", "Lunch 2"):
        ids = [r["attendee_id"] for r in by_round[name]]
        assert sorted(ids) == [f"p{i:03d}" for i in range(60)]
        sizes = {
            t: sum(r["table"] == t for r in by_round[name])
            for t in {r["table"] for r in by_round[name]}
        }
        assert set(sizes.values()) == {6}
    assert sorted(r["attendee_id"] for r in by_round["Dinner 1"]) == [
        f"p{i:03d}" for i in range(0, 60, 2)
    ]
    figures = json.loads(report.read_text())
    assert figures["summary"]["hard_violations"] == 0
    assert figures["summary"]["attendees"] == 60


def test_match_plan_file_and_errors(tmp_path: Path, hashing: None) -> None:
    source = _attendee_file(tmp_path / "people.csv", 20)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[[round]]\nname = "Opening lunch"\nkind = "lunch"\ncapacities = [8, 6, 6]\n'
        '[[round]]\nname = "Speakers dinner"\nkind = "dinner"\ntable_size = 5\n'
    )
    out = tmp_path / "out.csv"
    ok = runner.invoke(
        app, ["match", str(source), "--plan", str(plan), "--out", str(out), "--time-budget", "10"]
    )
    assert ok.exit_code == 0, ok.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    lunch = [r for r in rows if r["round"] == "Opening lunch"]
    assert sorted(sum(r["table"] == t for r in lunch) for t in {"1", "2", "3"}) == [6, 6, 8]

    too_small = tmp_path / "small.toml"
    too_small.write_text('[[round]]\nname = "L"\nkind = "lunch"\ncapacities = [5, 5]\n')
    failed = runner.invoke(app, ["match", str(source), "--plan", str(too_small), "--out", str(out)])
    assert failed.exit_code == 1
    assert "capacit" in failed.stderr.lower()

    broken = tmp_path / "broken.toml"
    broken.write_text('[[round]]\nkind = "brunch"\n')
    bad_plan = runner.invoke(app, ["match", str(source), "--plan", str(broken), "--out", str(out)])
    assert bad_plan.exit_code == 2 and "name" in bad_plan.stderr

    bad_rows = tmp_path / "bad.csv"
    bad_rows.write_text("id,name,solo\n1,Ann,maybe\n2,Bo,yes\n")
    refused = runner.invoke(app, ["match", str(bad_rows), "--out", str(out)])
    assert refused.exit_code == 1 and "row 2" in refused.stderr


def test_match_plan_file_rules_and_pins(tmp_path: Path, hashing: None) -> None:
    source = _attendee_file(tmp_path / "people.csv", 24)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[[round]]\nname = "Lunch 1"\ntable_size = 6\n'
        '[[round]]\nname = "Lunch 2"\ntable_size = 6\n'
        '[[rule]]\nkind = "keep_together"\nattendees = ["p001", "p002"]\n'
        '[[rule]]\nkind = "keep_apart"\nattendees = ["p004", "p005", "p007"]\n'
        '[[pin]]\nattendee = "p010"\nround = "Lunch 2"\ntable = 3\n'
    )
    out = tmp_path / "out.csv"
    ok = runner.invoke(
        app, ["match", str(source), "--plan", str(plan), "--out", str(out), "--time-budget", "10"]
    )
    assert ok.exit_code == 0, ok.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    table = {(r["round"], r["attendee_id"]): r["table"] for r in rows}
    for name in ("Lunch 1", "Lunch 2"):
        assert table[name, "p001"] == table[name, "p002"]
        assert len({table[name, p] for p in ("p004", "p005", "p007")}) == 3
    assert table["Lunch 2", "p010"] == "3"

    def fails(text: str) -> tuple[int, str]:
        bad = tmp_path / "bad.toml"
        bad.write_text('[[round]]\nname = "Lunch 1"\ntable_size = 6\n' + text)
        result = runner.invoke(app, ["match", str(source), "--plan", str(bad), "--out", str(out)])
        # Rich boxes and wraps usage errors; compare the words only.
        return result.exit_code, " ".join(result.stderr.replace("│", " ").split())

    code, message = fails('[[rule]]\nkind = "seat_near"\nattendees = ["p001", "p002"]\n')
    assert code == 2 and "rule 1" in message and "keep_apart" in message
    code, message = fails('[[rule]]\nkind = "keep_apart"\nattendees = ["p001"]\n')
    assert code == 2 and "at least two" in message
    code, message = fails('[[pin]]\nattendee = "p001"\nround = "Dinner"\ntable = 1\n')
    assert code == 2 and "pin 1" in message and "Dinner" in message
    code, message = fails('[[rule]]\nkind = "keep_apart"\nattendees = ["p001", "nobody"]\n')
    assert code == 1 and "nobody" in message
    code, message = fails(
        '[[rule]]\nkind = "keep_apart"\nattendees = ["p001", "p002"]\n'
        '[[rule]]\nkind = "keep_together"\nattendees = ["p002", "p001"]\n'
    )
    assert code == 1 and "p001" in message and "together" in message


def _summary_words(stderr: str) -> str:
    # Rich wraps long lines; compare the words only.
    return " ".join(stderr.replace("│", " ").split())


def test_match_gives_the_repeats_minimum_beside_the_count(tmp_path: Path, hashing: None) -> None:
    # 60 people at 6 tables of 10, twice: each first-lunch table of 10 spread over 6 tables
    # leaves 4 pairs together again, so no plan has fewer than 24 repeated pairs.
    source = _attendee_file(tmp_path / "people.csv", 60)
    out, report = tmp_path / "assignments.csv", tmp_path / "report.json"
    args = ["match", str(source), "--lunches", "2", "--table-size", "10", "--dinners", "0"]
    result = runner.invoke(app, [*args, "--seed", "3", "--out", str(out), "--report", str(report)])
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    count = figures["summary"]["repeated_pairs"]
    assert figures["summary"]["repeated_pairs_min"] == 24
    assert [r["minimum"]["repeated_pairs"] for r in figures["rounds"]] == [0, 24]
    assert count >= 24
    assert f"repeated pairs {count} (minimum 24)" in _summary_words(result.stderr)
    assert figures["search"]["cut_short"] is False
    assert "time budget" not in _summary_words(result.stderr)


def test_match_says_when_the_time_budget_cut_the_search(
    tmp_path: Path, hashing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    # A clock that moves a second per reading: a budget of a few seconds is a few readings.
    readings = [0]

    def clock() -> float:
        readings[0] += 1
        return 1000.0 + readings[0]

    source = _attendee_file(tmp_path / "people.csv", 60)
    out, report = tmp_path / "assignments.csv", tmp_path / "report.json"
    monkeypatch.setattr(time, "perf_counter", clock)
    args = ["match", str(source), "--lunches", "3", "--table-size", "6", "--dinners", "0"]
    result = runner.invoke(
        app, [*args, "--time-budget", "2", "--out", str(out), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    search = json.loads(report.read_text())["search"]
    assert search["cut_short"] is True and 0 < search["progress"] < 1
    words = _summary_words(result.stderr)
    assert "stopped by the time budget after" in words
    assert f"after {int(100 * search['progress'])} % of its planned work" in words
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 3 * 60  # a cut search still seats everyone
