"""Schema versions and migrations.

A database records its schema version in `schema_meta`. Opening one:
- no tables at all: create the current schema;
- an older version: back the file up, then run each migration in order,
  every one in its own transaction;
- a newer version than this program knows: refuse, touching nothing;
- tables but no version: not ours, refuse.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Connection, bindparam, inspect, select, text

from ..domain.enums import AgentType, Complexity, ComponentArea, Priority, TaskStatus
from ..domain.errors import DatabaseReset, SchemaTooNew, ValidationFailed
from ..domain.rules import STOP_ASKED_BEFORE_V6, UNKNOWN_WORD_READS_AS, TextWhile, sql_in
from ..domain.state_machine import CLOSES_QUESTIONS
from ..domain.words import counted
from .columns import KEY_ORDER
from .driver import Prepared
from .engine import Database, on_read_only_filesystem, read_only_uri, take_turns
from .folders import require_folder
from .tables import (
    AGENT_RUN_COLUMNS,
    PlanBudget,
    Question,
    RunChange,
    SchemaMeta,
    Task,
    metadata,
    utcnow,
)

SCHEMA_VERSION = 9

Migration = Callable[[Connection], None]


def _add_run_changes(conn: Connection) -> None:
    """Version 1 -> 2: the `run_changes` table (what a run changed in its worktree)."""
    RunChange.__table__.create(conn)


def _add_questions(conn: Connection) -> None:
    """Version 2 -> 3: questions agents ask people (the table and its indexes)."""
    Question.__table__.create(conn)


def _add_run_process_group(conn: Connection) -> None:
    """Version 3 -> 4: runs remember their process (pid, group, host, start) to stop
    it after a crash."""
    for column, kind in (
        ("pid", "INTEGER"),
        ("pgid", "INTEGER"),
        ("host", "VARCHAR"),
        ("proc_start", "VARCHAR"),
    ):
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN {column} {kind}"))


def _add_agent_runs(conn: Connection) -> None:
    """Version 4 -> 5: runs keep their agent's prompt, session, tokens and cost;
    tasks name their budgeted plan; plans' budgets get a table."""
    for name, sql_type in AGENT_RUN_COLUMNS.items():
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN {name} {sql_type}"))
    conn.execute(text("ALTER TABLE tasks ADD COLUMN plan VARCHAR"))
    conn.execute(text("CREATE INDEX ix_tasks_plan ON tasks (plan)"))
    PlanBudget.__table__.create(conn)


def _add_run_cancel_requested(conn: Connection) -> None:
    """Version 5 -> 6: a run's `cancel_requested` (who asked for it to be stopped,
    and why) gets a column of its own. Until now an open run's `error` held it: a
    running run with an error was being stopped. Those runs move it to the new
    column, so `error` only ever says why a run ended. (Version 5's rule, which an
    import of a version-5 export applies too: `rules.STOP_ASKED_BEFORE_V6`.)"""
    conn.execute(text("ALTER TABLE runs ADD COLUMN cancel_requested VARCHAR"))
    held = STOP_ASKED_BEFORE_V6.column
    conn.execute(
        text(
            f"UPDATE runs SET cancel_requested = {held}, {held} = NULL "
            f"WHERE {text_while_sql(STOP_ASKED_BEFORE_V6)}"
        )
    )


def text_while_sql(rule: TextWhile) -> str:
    """`rules.text_while` as an SQL condition over the rule's table (its words are
    constants of the code, never user input)."""
    column = rule.column
    return f"status = '{rule.status.value}' AND {column} IS NOT NULL AND {column} <> ''"


def _loaded_requests_by_no_one(conn: Connection) -> None:
    """Version 6 -> 7: a task created awaiting approval had its request recorded under
    whoever loaded it, marked `on_creation` so the own-work rule passed over it. The
    request names no one now, as new loads record it, and the marker goes: the loader
    may decide those tasks as any task loaded today."""
    if conn.dialect.name == "postgresql":
        marked = "(data ->> 'on_creation') = 'true'"
        unmarked = "(data::jsonb - 'on_creation')::json"
    else:
        marked = "json_extract(data, '$.on_creation') = 1"
        unmarked = "json_remove(data, '$.on_creation')"
    conn.execute(
        text(
            f"UPDATE events SET actor = '', data = {unmarked} "
            f"WHERE kind = 'approval_requested' AND {marked}"
        )
    )


def _add_question_closed_at(conn: Connection) -> None:
    """Version 7 -> 8: a question closes when its task's work ends (`closed_at`).
    Questions still open on tasks already done, failed or cancelled close now,
    dated by their task's last change."""
    column = Question.__table__.c.closed_at
    # A database older than version 3 got the table as this program defines it.
    if column.name not in {c["name"] for c in inspect(conn).get_columns("questions")}:
        sql_type = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE questions ADD COLUMN closed_at {sql_type}"))
    conn.execute(
        text(
            "UPDATE questions SET closed_at = "
            "(SELECT t.updated_at FROM tasks AS t WHERE t.id = questions.task_id) "
            "WHERE answered_at IS NULL AND task_id IN "
            f"(SELECT t.id FROM tasks AS t WHERE t.status IN {sql_in(CLOSES_QUESTIONS)})"
        )
    )


#: Tasks given their natural-order key per statement by `_add_task_key_order`.
KEY_ORDER_BATCH = 5000


def _add_task_key_order(conn: Connection) -> None:
    """Version 8 -> 9: every task keeps its key's natural-order form (`key_order`,
    the rule of `domain.natural.natural_key`) under an index, so the list in key
    order (its default, and the TUI's first page) is read from the index instead of
    computing the key of every task to sort them. Existing tasks get theirs here."""
    tasks = Task.__table__
    column = tasks.c.key_order
    (index,) = (i for i in tasks.indexes if column in i.columns.values())
    found = inspect(conn)
    # (a database marked older than it is may have them: every key is written again)
    if column.name not in {c["name"] for c in found.get_columns("tasks")}:
        sql_type = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE tasks ADD COLUMN {column.name} {sql_type}"))
    has_index = index.name in {i["name"] for i in found.get_indexes("tasks")}
    rows = conn.execute(select(tasks.c.id, tasks.c.key)).all()
    fill = (
        tasks.update()
        .where(tasks.c.id == bindparam("b_id"))
        .values({column.name: bindparam("b_order")})
    )
    for start in range(0, len(rows), KEY_ORDER_BATCH):
        part = rows[start : start + KEY_ORDER_BATCH]
        conn.execute(fill, [{"b_id": i, "b_order": KEY_ORDER.rule(key)} for i, key in part])
    if not has_index:
        index.create(conn)


#: version N -> the function that brings a version-N database to N+1.
MIGRATIONS: dict[int, Migration] = {
    1: _add_run_changes,
    2: _add_questions,
    3: _add_run_process_group,
    4: _add_agent_runs,
    5: _add_run_cancel_requested,
    6: _loaded_requests_by_no_one,
    7: _add_question_closed_at,
    8: _add_task_key_order,
}


def read_version(conn: Connection) -> int | None:
    names = set(inspect(conn).get_table_names())
    if "schema_meta" not in names:
        return None if names else 0
    table = SchemaMeta.__table__
    row = conn.execute(select(table.c.value).where(table.c.key == "schema_version")).first()
    if row is None:
        return None
    raw = str(row[0]).strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationFailed(
            f"schema version {str(row[0])[:40]!r} is not a version this program can read "
            "(a whole number from 1); the database was not opened"
        )
    return int(raw)


def _write_version(conn: Connection, version: int) -> None:
    table = SchemaMeta.__table__
    conn.execute(table.delete().where(table.c.key == "schema_version"))
    conn.execute(table.insert().values(key="schema_version", value=str(version)))


#: `schema_meta`'s key for a fresh random value written whenever the database is
#: created or emptied (`db reset`, `db copy --replace`), in that same transaction:
#: the mark by which a reader or a runner that knew the database before sees that
#: its rows are gone, whatever was written since (ids start over from 1).
GENERATION_KEY = "generation"
_META = SchemaMeta.__table__
#: The generation (a scalar subquery: no row, as in a database older than the mark
#: that was never reset, reads None).
GENERATION = select(_META.c.value).where(_META.c.key == GENERATION_KEY).scalar_subquery()


_READ_GENERATION = Prepared(select(GENERATION))  # before each of a runner's writes


def read_generation(conn: Connection) -> str | None:
    return _READ_GENERATION.scalars(conn, {})[0]


def new_generation(conn: Connection) -> None:
    """Mark the database as emptied or replaced (see `GENERATION_KEY`)."""
    conn.execute(_META.delete().where(_META.c.key == GENERATION_KEY))
    conn.execute(_META.insert().values(key=GENERATION_KEY, value=uuid.uuid4().hex))


def lock_for_replacing(conn: Connection) -> None:
    """Call first in a transaction that empties or replaces every table (then
    `new_generation`): on PostgreSQL, runners' writes, which read the generation
    first (`refuse_writes_after_reset`), wait for it to end, then find the new one;
    taken table by table instead, it deadlocked with them. SQLite's BEGIN IMMEDIATE
    already keeps every other writer out."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"LOCK TABLE {_META.name} IN ACCESS EXCLUSIVE MODE"))


def refuse_writes_after_reset(db: Database, known: str | None = None) -> None:
    """From now on every write transaction of `db` first checks that the database was
    not emptied since (`db reset`, `db copy --replace`): if it was, `DatabaseReset`
    and nothing written. For a runner, whose runs would vanish under it (and whose
    run ids would name other runs), and for a program showing rows (the TUI, the MCP
    server), whose keys and ids would name others. `known`: the generation the
    program saw (default: the one now). The check is the transaction's first
    statement, so on PostgreSQL a reset taking `schema_meta` first never deadlocks
    with it."""
    if known is None:
        with db.read() as conn:
            known = read_generation(conn)
    where = db.describe()

    def check(conn: Connection) -> None:
        if read_generation(conn) != known:
            raise DatabaseReset.of(where, "meanwhile")

    db.before_write = check


def backup_sqlite(db: Database, destination: Path) -> Path:
    """A consistent copy of a SQLite database file (online backup API)."""
    source = db.path
    if source is None:
        raise ValidationFailed("backup works on SQLite files; use your server's tools for others")
    require_folder(destination.parent)
    if destination.exists():
        raise ValidationFailed(f"backup target {destination} already exists")
    if on_read_only_filesystem(source):
        src = sqlite3.connect(read_only_uri(source), uri=True)
    else:
        src = sqlite3.connect(source)
    with src, sqlite3.connect(destination) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    return destination


def ensure_schema(
    db: Database,
    migrations: Mapping[int, Migration] | None = None,
    target: int = SCHEMA_VERSION,
) -> int:
    """Bring `db` to `target`, creating or migrating as needed; the version it had."""
    migrations = MIGRATIONS if migrations is None else migrations
    # Look first without the write lock: opening a current database must not
    # queue behind another process's write transaction.
    with db.read() as conn:
        version = read_version(conn)
    if version == 0:
        with db.write() as conn:
            version = read_version(conn)  # someone may have created it meanwhile
            if version == 0:
                _create(conn, target)
                return 0
    if version is None:
        raise ValidationFailed(
            f"{db.describe()} has tables but is not an orchestrator-tui database "
            "(no schema version); use `orchestrator-tui import` to bring its data in"
        )
    if version > target:
        raise SchemaTooNew(
            f"{db.describe()} has schema version {version}, newer than this "
            f"program's {target}; upgrade orchestrator-tui to open it"
        )
    if version < target:
        return _migrate(db, version, target, migrations)
    return version


def _create(conn: Connection, version: int) -> None:
    metadata.create_all(conn)
    _write_version(conn, version)
    conn.execute(SchemaMeta.__table__.insert().values(key="created_at", value=utcnow().isoformat()))
    new_generation(conn)


def recreate(db: Database) -> None:
    """Drop every table and create the current schema in one transaction: others using
    the database (a team's runners and TUIs) find its tables empty, never missing."""
    with db.write() as conn:
        lock_for_replacing(conn)
        metadata.drop_all(conn)
        _create(conn, SCHEMA_VERSION)


def _migrate(db: Database, version: int, target: int, migrations: Mapping[int, Migration]) -> int:
    """Run each step in its own write transaction, one opener at a time: a step another
    process ran meanwhile (runners and TUIs started together after an upgrade) is not
    run again. The version this process found, or `target` if others migrated it."""
    missing = [v for v in range(version, target) if v not in migrations]
    if missing:
        raise SchemaTooNew(f"no migration from schema version {missing[0]}")
    found = target
    for step in range(version, target):
        with db.write() as conn:
            take_turns(conn, "schema")
            if (read_version(conn) or 0) > step:
                continue
            if found == target and db.path is not None and db.path.exists():
                # under the write lock, so the copy is of this version and made once
                stamp = utcnow().strftime("%Y%m%dT%H%M%S")
                backup_sqlite(db, db.path.with_name(f"{db.path.name}.v{step}-{stamp}.bak"))
            found = min(found, step)
            migrations[step](conn)
            _write_version(conn, step + 1)
    return found


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows per table, for `db status`."""
    counts = {}
    for name in sorted(metadata.tables):
        counts[name] = conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
    return counts


def validate(conn: Connection) -> list[str]:
    """Integrity problems found (empty when healthy)."""
    problems: list[str] = []
    existing = set(inspect(conn).get_table_names())
    for name in metadata.tables:
        if name not in existing:
            problems.append(f"missing table {name}")
    if conn.dialect.name == "sqlite":
        for (msg,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
            if msg != "ok":
                problems.append(f"integrity: {msg}")
        for row in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
            problems.append(f"foreign key: table {row[0]} row {row[1]} -> {row[2]}")
    orphans = conn.execute(
        text(
            "SELECT COUNT(*) FROM task_dependencies d LEFT JOIN tasks t "
            "ON t.id = d.depends_on_id WHERE t.id IS NULL"
        )
    ).scalar_one()
    if orphans:
        problems.append(f"{orphans} dependencies point at missing tasks")
    tasks = Task.__table__.c
    misplaced = [
        key
        for key, order in conn.execute(select(tasks.key, tasks.key_order))
        if order != KEY_ORDER.rule(key)
    ]
    if misplaced:
        problems.append(
            f"{len(misplaced)} tasks lack their key's natural-order form (key_order), so the "
            f"list shows them out of place, e.g. {misplaced[0]!r}; written by another program?"
        )
    problems += _unknown_words(conn)
    return problems


_WORD_COLUMNS: dict[str, type[StrEnum]] = {
    "status": TaskStatus,
    "priority": Priority,
    "complexity": Complexity,
    "component_area": ComponentArea,
    "agent_type": AgentType,
}


def _unknown_words(conn: Connection) -> list[str]:
    """Task columns holding a word this version does not know (see
    `rules.UNKNOWN_WORD_READS_AS`), one problem per column."""
    tasks = Task.__table__.c
    found = []
    for name, kind in _WORD_COLUMNS.items():
        column = tasks[name]
        odd = select(tasks.key, column).where(
            column.is_not(None), column.not_in([k.value for k in kind])
        )
        rows = conn.execute(odd.order_by(tasks.id)).all()
        if not rows:
            continue
        key, word = rows[0]
        known = ", ".join(k.value for k in kind)
        reading = UNKNOWN_WORD_READS_AS.get(kind)
        shown = (
            f"taken for {reading.value}; `task edit` sets a known one"
            if reading
            else "the task cannot be read until SQL sets a known one"
        )
        found.append(
            f"{counted(len(rows), 'task')} whose {name.replace('_', ' ')} is a word this "
            f"version does not know, e.g. {key}'s {word!r} ({shown}; known: {known})"
        )
    return found
