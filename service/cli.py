"""The ``hallway`` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import track

from service import match_command
from service.config import get_settings

app = typer.Typer(help="Hallway: conference hallway-track matching.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = True,
    with_worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Start plan workers alongside.")
    ] = True,
    plan_workers: Annotated[
        int, typer.Option(min=1, max=64, help="How many plan workers to start alongside.")
    ] = 1,
) -> None:
    """Serve the web app and API (a web process per core) and a plan worker."""
    from service import server

    if migrate_first:
        migrate()
    workers = plan_workers if with_worker else 0
    raise typer.Exit(server.serve(host=host, port=port, plan_workers=workers))


@app.command()
def worker(
    poll: Annotated[float, typer.Option(help="Seconds between looks at the queue.")] = 1.0,
    stale_after: Annotated[
        float, typer.Option(help="Seconds without a heartbeat before a running plan is recovered.")
    ] = 120.0,
    once: Annotated[bool, typer.Option("--once", help="Run at most one plan, then exit.")] = False,
    heartbeat: Annotated[
        float, typer.Option(help="Seconds between heartbeats of the plan being run.")
    ] = 5.0,
) -> None:
    """Run queued plans (matching runs) until stopped."""
    from service.plans import worker as plan_worker

    plan_worker.main(
        poll_interval=poll, stale_after=stale_after, heartbeat_interval=heartbeat, once=once
    )


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from service import migrations

    migrations.upgrade(get_settings().database_url)
    err.print("database schema is up to date")


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write the copy.")],
) -> None:
    """Copy the SQLite database consistently while the service runs (PostgreSQL: use pg_dump)."""
    from service import backups

    try:
        pages = backups.backup_sqlite(get_settings().database_url, file)
    except backups.BackupError as exc:
        _fail(str(exc))
        return
    err.print(f"wrote a consistent copy of the database to {file} ({pages:,} pages)")


@keys_app.command("create")
def keys_create(
    admin: Annotated[bool, typer.Option("--admin", help="A key for every conference.")] = False,
    conference: Annotated[str | None, typer.Option(help="Slug of the key's conference.")] = None,
    scope: Annotated[
        list[str] | None, typer.Option(help="read, write or ingest (repeatable).")
    ] = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
) -> None:
    """Create an API key and print it once on stdout (only its hash is kept)."""
    from service.auth import find_conference
    from service.db import session_scope
    from service.errors import AppError
    from service.keys import service as key_service

    if admin == (conference is not None):
        _fail("give either --admin or --conference SLUG")
    with session_scope() as session:
        conference_id = None
        if conference is not None:
            row = find_conference(session, conference)
            if row is None:
                _fail(f"no conference '{conference}'")
            assert row is not None
            conference_id = row.id
        try:
            new = key_service.create_key(
                session,
                conference_id=conference_id,
                scopes=scope or ["read"],
                name=name or ("admin" if admin else ""),
                is_admin=admin,
            )
        except AppError as exc:
            _fail(exc.detail)
            return
        secret = new.secret
    typer.echo(secret)


def _conference_or_fail(session: Any, slug: str) -> Any:
    from service.auth import find_conference

    row = find_conference(session, slug)
    if row is None:
        _fail(f"no conference '{slug}'")
    return row


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    conference: Annotated[str, typer.Option(help="Conference slug.")],
    dry_run: Annotated[
        bool, typer.Option(help="Only report what would happen, with the column mapping.")
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the good rows even if some are bad.")
    ] = False,
    mapping: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            readable=True,
            help="JSON or TOML file: [columns] header = target, [placeholders] kind = action.",
        ),
    ] = None,
) -> None:
    """Import attendees from a CSV or XLSX export."""
    from service.attendees.importing import import_file, mapping_from
    from service.db import session_scope
    from service.errors import AppError

    data = file.read_bytes()
    try:
        chosen = mapping_from(_read_mapping(mapping)) if mapping is not None else None
        with session_scope() as session, err.status(f"importing {file.name}"):
            result = import_file(
                session,
                conference=_conference_or_fail(session, conference),
                data=data,
                filename=file.name,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                actor="cli",
                mapping=chosen,
            )
    except AppError as exc:
        err.print(f"[bold red]error:[/] {exc.detail}")
        for problem in exc.errors:
            if "row" in problem:
                where = f"row {problem.get('row')}, {problem.get('column') or 'file'}"
            else:
                where = str(problem.get("pointer", ""))
            err.print(f"  {where}: {problem['detail']}")
        raise typer.Exit(1) from exc
    if dry_run:
        _print_preview(result)
    for found in result.problems:
        err.print(f"  row {found.row}, {found.column or 'file'}: {found.message}")
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{verb} {result.created} new, {result.updated} updated, {result.unchanged} unchanged, "
        f"{result.invalid} invalid ({result.source_format} format)"
    )


def _read_mapping(path: Path) -> Any:
    """A mapping file's content: TOML for .toml, JSON otherwise."""
    import json
    import tomllib

    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() == ".toml":
            return tomllib.loads(text)
        return json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        _fail(f"{path} is not a valid {kind} mapping: {exc}")
    return None


def _print_preview(result: Any) -> None:
    """The mapping preview, counts and flagged rows of a dry run, on standard output."""
    from rich.table import Table

    out = Console(width=max(Console().width, 120))
    table = Table(title=f"Columns ({result.mapping_source})")
    for heading in ("column", "fills", "recognised by", "samples"):
        table.add_column(heading)
    for column in result.columns:
        table.add_row(column.header, column.label, column.recognised_by, " | ".join(column.samples))
    out.print(table)
    counts = result.counts
    if counts is not None:
        out.print(
            f"rows {result.rows}: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged; seated {counts.seated}, solo {counts.solo}, "
            f"dinner {counts.dinner}, blank profiles {counts.blank_profiles}, cancelled "
            f"{counts.cancelled}, needs details {counts.needs_details}, skipped {counts.skipped}, "
            f"problems {len(result.problems)}",
            markup=False,
        )
    for found in result.flagged:
        note = f" ({found.note})" if found.note else ""
        out.print(
            f"  flagged row {found.row}: {found.kind} {found.name!r} -> {found.action}{note}",
            markup=False,
        )


@app.command()
def export(
    conference: Annotated[str, typer.Option(help="Conference slug.")],
    format: Annotated[str, typer.Option(help="csv, json or xlsx.")] = "csv",
    out: Annotated[Path | None, typer.Option(help="File to write; stdout if omitted.")] = None,
) -> None:
    """Export the published plan, one row per attendee per round."""
    from service.db import session_scope
    from service.errors import AppError
    from service.exports import render
    from service.exports.service import PLAN_COLUMNS, published_plan_rows

    if format not in ("csv", "json", "xlsx"):
        _fail("format must be csv, json or xlsx")
    if format == "xlsx" and out is None:
        _fail("xlsx needs --out FILE")
    try:
        with session_scope() as session:
            rows = list(
                track(
                    published_plan_rows(
                        session, conference=_conference_or_fail(session, conference)
                    ),
                    description="reading plan",
                    console=err,
                )
            )
    except AppError as exc:
        _fail(exc.detail)
        return
    if format == "csv":
        chunks: Any = render.render_csv(rows, columns=PLAN_COLUMNS)
        data = b"".join(chunks)
    elif format == "json":
        data = render.render_json(rows, columns=PLAN_COLUMNS)
    else:
        data = render.render_xlsx(rows, columns=PLAN_COLUMNS)
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)
        err.print(f"wrote {len(rows)} rows to {out}")


@app.command()
def demo(
    attendees: Annotated[int, typer.Option(help="How many attendees to generate.")] = 240,
) -> None:
    """Load the demo conference (once; does nothing if it exists)."""
    from service.demo import load_demo

    key = load_demo(n_attendees=attendees)
    if key is None:
        err.print("demo conference 'demo' already present")
        return
    err.print(f"demo conference 'demo' loaded with {attendees} attendees")
    err.print("its organizer key (read, write), shown only this once:")
    typer.echo(key)


app.command("match")(match_command.match)


def main() -> None:  # pragma: no cover - console entry
    app()
