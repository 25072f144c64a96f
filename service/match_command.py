"""``hallway match``: plan a conference from an attendee file, without the web service."""

from __future__ import annotations

import itertools
import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from tqdm import tqdm

err = Console(stderr=True)

OUTPUT_COLUMNS = ("round", "kind", "table", "attendee_id", "name", "affiliation", "why")


def _plan_file(path: Path) -> tuple[list[Any], Any]:
    """Rounds and seating rules from a TOML plan file.

    ``[[round]]`` tables give name, kind and table_size or capacities; optional ``[[rule]]``
    tables give kind (keep_apart or keep_together) and attendees (ids, at least two), as the
    rules API does; optional ``[[pin]]`` tables give attendee, round and table (1-based, as in
    the seating file).
    """
    from matching.types import Constraints, Pin, Round

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise typer.BadParameter(f"{path}: {exc}") from exc
    entries = data.get("round")
    if not isinstance(entries, list) or not entries:
        raise typer.BadParameter(f"{path}: needs at least one [[round]] table")
    rounds = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, round {number}"
        name, kind = entry.get("name"), entry.get("kind", "lunch")
        size, capacities = entry.get("table_size"), entry.get("capacities")
        if not isinstance(name, str) or not name:
            raise typer.BadParameter(f"{where}: 'name' is required")
        if kind not in ("lunch", "dinner"):
            raise typer.BadParameter(f"{where}: 'kind' must be lunch or dinner, not {kind!r}")
        if (size is None) == (capacities is None):
            raise typer.BadParameter(f"{where}: give exactly one of table_size or capacities")
        rounds.append(
            Round(
                name=name,
                kind=kind,
                table_size=size,
                capacities=tuple(capacities) if capacities is not None else None,
            )
        )
    apart: list[tuple[str, str]] = []
    together: list[list[str]] = []
    for number, entry in enumerate(_tables(data, "rule", path), start=1):
        where = f"{path}, rule {number}"
        kind, people = entry.get("kind"), entry.get("attendees")
        if kind not in ("keep_apart", "keep_together"):
            raise typer.BadParameter(
                f"{where}: 'kind' must be keep_apart or keep_together, not {kind!r}"
            )
        if (
            not isinstance(people, list)
            or len(people) < 2
            or not all(isinstance(p, str) and p for p in people)
        ):
            raise typer.BadParameter(f"{where}: 'attendees' must list at least two attendee ids")
        if len(set(people)) != len(people):
            raise typer.BadParameter(f"{where}: an attendee is named twice")
        if kind == "keep_together":
            together.append(list(people))
        else:
            apart.extend(itertools.combinations(people, 2))
    names = {r.name for r in rounds}
    pins = []
    for number, entry in enumerate(_tables(data, "pin", path), start=1):
        where = f"{path}, pin {number}"
        attendee, round_name, table = entry.get("attendee"), entry.get("round"), entry.get("table")
        if not isinstance(attendee, str) or not attendee:
            raise typer.BadParameter(f"{where}: 'attendee' is required")
        if round_name not in names:
            raise typer.BadParameter(f"{where}: 'round' must name a [[round]], not {round_name!r}")
        if not isinstance(table, int) or isinstance(table, bool) or table < 1:
            raise typer.BadParameter(f"{where}: 'table' must be a table number from 1")
        pins.append(Pin(attendee_id=attendee, round_name=round_name, table=table - 1))
    return rounds, Constraints(pins=pins, keep_apart=apart, keep_together=together)


def _tables(data: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    """The ``[[key]]`` tables of a plan file (none if absent)."""
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise typer.BadParameter(f"{path}: '{key}' must be written as [[{key}]] tables")
    return entries


def _default_rounds(lunches: int, table_size: int, dinners: int, group_size: int) -> list[Any]:
    from matching.types import Round

    return [
        Round(name=f"Lunch {i}", kind="lunch", table_size=table_size) for i in range(1, lunches + 1)
    ] + [
        Round(name=f"Dinner {i}", kind="dinner", table_size=group_size)
        for i in range(1, dinners + 1)
    ]


def match(
    attendees_file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="CSV or XLSX, columns as the import."
        ),
    ],
    lunches: Annotated[int, typer.Option(min=0, help="Number of lunch rounds.")] = 3,
    table_size: Annotated[int, typer.Option(min=2, help="Lunch table size.")] = 10,
    dinners: Annotated[int, typer.Option(min=0, help="Number of dinner rounds.")] = 1,
    group_size: Annotated[int, typer.Option(min=2, help="Dinner group size.")] = 6,
    plan: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help=(
                "TOML file of named rounds with capacities (replaces the four options "
                "above), and optional keep-apart / keep-together rules and pins."
            ),
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    time_budget: Annotated[
        float,
        typer.Option(
            min=1.0,
            help="Most seconds the search may take: a cap, the plan for a seed does not "
            "depend on it unless reached (then a warning says how far the search got).",
        ),
    ] = 60.0,
    model: Annotated[
        str | None, typer.Option(help="Embedding model name or path, or 'hashing'.")
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="Plan the good rows even if some are bad.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Seating CSV to write.")] = Path("assignments.csv"),
    report: Annotated[Path | None, typer.Option(help="Report JSON to write.")] = None,
) -> None:
    """Plan lunch tables and dinner groups for an attendee file and write the seating."""
    from matching import Infeasible, Matcher, check_feasibility
    from matching import types as mt
    from service.attendees.parsing import ImportFileError, parse_attendee_file
    from service.config import get_settings
    from service.embedding import get_encoder
    from service.exports.render import render_csv

    if model is not None:
        os.environ["HALLWAY_EMBEDDING_MODEL"] = model
        get_settings.cache_clear()
    rounds, constraints = (
        _plan_file(plan)
        if plan
        else (_default_rounds(lunches, table_size, dinners, group_size), None)
    )
    if not rounds:
        raise typer.BadParameter("nothing to plan: no lunches and no dinners")
    try:
        parsed = parse_attendee_file(attendees_file.read_bytes(), filename=attendees_file.name)
    except ImportFileError as exc:
        err.print(f"[bold red]error:[/] {attendees_file}: {exc}")
        raise typer.Exit(1) from exc
    for problem in parsed.problems:
        err.print(f"  row {problem.row}, {problem.column or 'file'}: {problem.message}")
    if parsed.problems and not skip_invalid:
        err.print(
            f"[bold red]error:[/] {len(parsed.problems)} problem(s); "
            "fix them or pass --skip-invalid"
        )
        raise typer.Exit(1)
    people = [
        mt.Attendee(
            id=f.external_id,
            name=f.name,
            email=f.email or "",
            affiliation=f.affiliation,
            interests=f.interests,
            hometown=f.hometown,
            languages=tuple(f.languages),
            solo=f.solo,
            party=f.party,
            dinner=f.dinner,
            first_time=f.first_time,
        )
        for f in (row.fields for row in parsed.rows)
        if f.status == "registered"
    ]
    if not people:
        err.print("[bold red]error:[/] no registered attendees in the file")
        raise typer.Exit(1)
    # The instant checks, before the model is even loaded: what cannot hold stops here.
    checks = check_feasibility(
        people, rounds, constraints, dinner_given="dinner" in parsed.columns.values()
    )
    for warning in checks.warnings:
        err.print(f"[bold yellow]warning:[/] {warning.message}")
    for error in checks.errors:
        err.print(f"[bold red]cannot plan ({error.rule}):[/] {error.message}")
    if checks.errors:
        raise typer.Exit(1)

    with tqdm(total=100, desc="embedding profiles", unit="%", file=None, leave=True) as bar:
        embeddings = get_encoder().encode([p.interests for p in people])

        def progress(fraction: float, message: str) -> None:
            bar.set_description(message[:40])
            bar.n = round(100 * fraction)
            bar.refresh()

        matcher = Matcher(random_state=seed, time_budget=time_budget)
        try:
            matcher.fit(
                people, rounds, embeddings=embeddings, constraints=constraints, progress=progress
            )
        except Infeasible as exc:
            err.print(f"[bold red]cannot plan:[/] {exc}")
            raise typer.Exit(1) from exc
        except ValueError as exc:  # a rule or pin naming someone not in the file
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(1) from exc
        bar.n = 100
        bar.refresh()

    if matcher.report_ is None:
        raise typer.Exit(1)  # Matcher(report=True), the default, always makes one
    made = matcher.report_
    by_id = {p.id: p for p in people}
    kinds = {r.name: r.kind for r in rounds}
    rows = [
        {
            "round": round_name,
            "kind": kinds[round_name],
            "table": number,
            "attendee_id": attendee_id,
            "name": by_id[attendee_id].name,
            "affiliation": by_id[attendee_id].affiliation,
            "why": seat.why
            if (seat := made.attendees.get(attendee_id, {}).get(round_name))
            else "",
        }
        for round_name, tables in matcher.seating_.items()
        for number, members in enumerate(tables, start=1)
        for attendee_id in members
    ]
    with out.open("wb") as handle:
        for chunk in render_csv(rows, columns=OUTPUT_COLUMNS):
            handle.write(chunk)
    if report is not None:
        report.write_text(
            json.dumps(made.to_dict(), indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
    summary = made.summary
    err.print(
        f"seated {len(people)} attendees over {len(rounds)} rounds → {out}; "
        f"co-worker pairs {summary.coworker_pairs} (minimum {summary.coworker_pairs_min}), "
        f"repeated pairs {summary.repeated_pairs} (minimum {summary.repeated_pairs_min}), "
        f"kindred share ≥ {summary.kindred_share_min}, "
        f"diversity ratio ≥ {summary.diversity_ratio_min}"
    )
    if made.search is not None and made.search.message:
        err.print(f"[bold yellow]warning:[/] {made.search.message}")
