"""`orchestrator-tui db ...`: create, seed, reset, inspect and back up a database."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..domain.errors import ExitCode, UsageError, ValidationFailed
from ..domain.event_text import words
from ..domain.words import counted
from ..store.engine import Database
from ..store.schema import (
    SCHEMA_VERSION,
    backup_sqlite,
    ensure_schema,
    read_version,
    recreate,
    table_counts,
    validate,
)
from ..store.tables import utcnow
from .common import (
    db_url,
    emit_json,
    open_from_args,
    opened_to_fill,
    refuse_missing,
    say,
    subcommand_adder,
    wants_json,
)


def cmd_init(args: argparse.Namespace) -> int:
    db = Database(db_url(args))
    before = ensure_schema(db)
    migrated_from = before if 0 < before < SCHEMA_VERSION else None
    if wants_json(args):
        emit_json(
            {
                "database": db.describe(),
                "created": before == 0,
                "migrated_from": migrated_from,
                "schema_version": SCHEMA_VERSION,
            }
        )
        return 0
    if before == 0:
        state = f"created (schema version {SCHEMA_VERSION})"
    elif migrated_from is not None:
        state = f"migrated from schema version {migrated_from} to {SCHEMA_VERSION}"
    else:
        state = f"already initialised (schema version {SCHEMA_VERSION})"
    say(f"{db.describe()}: {state}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from ..services.plans import DEMO_SOURCE, sample_plan_path

    path = Path(args.plan) if args.plan else sample_plan_path()
    with opened_to_fill(args) as orch:
        result = orch.plans.load_file(path, source=None if args.plan else DEMO_SOURCE)
        if wants_json(args):
            emit_json(result.__dict__)
        else:
            say(
                f"seeded {orch.db.describe()} from {path.name}: {counted(result.tasks, 'task')}, "
                f"{counted(result.dependencies, 'dependency')}, {counted(result.runs, 'run')}, "
                f"{counted(result.log_lines, 'log line')} ({result.added} added, "
                f"{result.changed} changed, {result.unchanged} unchanged)"
            )
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    if not args.yes:
        raise UsageError("reset deletes every row; run again with --yes to confirm")
    db = Database(db_url(args))
    ensure_schema(db)  # refuses a newer or foreign database before touching it
    recreate(db)
    if wants_json(args):
        emit_json({"database": db.describe(), "reset": True})
        return 0
    say(f"{db.describe()}: every table emptied and recreated")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    with orch.db.read() as conn:
        version = read_version(conn)
        counts = table_counts(conn)
    stats = orch.dashboard.stats()
    info: dict[str, Any] = {
        "database": orch.db.describe(),
        "schema_version": version,
        "tables": counts,
        "tasks_by_status": {k.value: v for k, v in stats.by_status.items()},
        "ready": stats.ready,
        "awaiting_approval": stats.awaiting_approval,
    }
    if wants_json(args):
        emit_json(info)
        return 0
    say(f"database        {info['database']}")
    say(f"schema version  {version}")
    counts_text = ", ".join(f"{words(k)} {v}" for k, v in info["tasks_by_status"].items() if v)
    say("tasks           " + (counts_text or "none"))
    say(f"ready           {stats.ready}    awaiting approval {stats.awaiting_approval}")
    say("rows            " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    with orch.db.read() as conn:
        problems = validate(conn)
    if wants_json(args):
        emit_json({"ok": not problems, "problems": problems})
    elif problems:
        for p in problems:
            say(f"problem: {p}")
    else:
        say(f"{orch.db.describe()}: ok")
    return ExitCode.INVALID_INPUT if problems else ExitCode.OK


def cmd_backup(args: argparse.Namespace) -> int:
    open_from_args(args).close()  # refuses a missing database rather than creating one
    db = Database(db_url(args))
    ensure_schema(db)
    if db.path is None:
        raise ValidationFailed(
            "backup copies SQLite files; back a server's database up with its own tools "
            "(pg_dump), or copy it into a SQLite file with `orchestrator-tui db copy URL FILE`"
        )
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    dest = Path(args.dest) if args.dest else db.path.with_name(f"{db.path.name}.{stamp}.bak")
    backup_sqlite(db, dest)
    if wants_json(args):
        emit_json({"backup": str(dest)})
        return 0
    say(f"backed up to {dest}")
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    from ..store.copy import copy_database

    refuse_missing(args.source)
    source, destination = Database(args.source), Database(args.destination)
    try:
        report = copy_database(source, destination, replace=args.replace)
    finally:
        source.dispose()
        destination.dispose()
    if wants_json(args):
        emit_json(report.__dict__)
        return 0
    total = sum(report.rows.values())
    say(
        f"copied {report.source} to {report.destination} (schema version "
        f"{report.schema_version}): {counted(total, 'row')}, "
        f"{counted(report.rows.get('tasks', 0), 'task')}, "
        f"{counted(report.rows.get('events', 0), 'event')}"
    )
    return 0


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="create, seed, reset, inspect, back up", parents=parents)
    ds = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    add = subcommand_adder(ds, parents)

    add("init", cmd_init, "create the database (or check it is current)")
    add("seed", cmd_seed, "load the demo plan (or --plan FILE)").add_argument("--plan")
    add("reset", cmd_reset, "empty every table (needs --yes)").add_argument(
        "--yes", action="store_true"
    )
    add("status", cmd_status, "schema version and row counts")
    add("validate", cmd_validate, "check integrity; exit 1 on problems")
    add("backup", cmd_backup, "copy a SQLite database safely").add_argument("dest", nargs="?")
    copy = add("copy", cmd_copy, "copy every row to another database (SQLite or PostgreSQL)")
    copy.add_argument("source", help="a file path or SQLAlchemy URL")
    copy.add_argument("destination", help="a file path or SQLAlchemy URL (must be empty)")
    copy.add_argument("--replace", action="store_true", help="overwrite a non-empty destination")
