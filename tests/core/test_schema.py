"""Creating, recognising, refusing and migrating databases."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, text

from orchestrator_tui.domain import rules
from orchestrator_tui.domain.enums import RunStatus
from orchestrator_tui.domain.errors import DatabaseUnavailable, SchemaTooNew, ValidationFailed
from orchestrator_tui.domain.models import CommandSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.store.engine import READER_CACHE_KIB, Database, make_engine
from orchestrator_tui.store.schema import (
    SCHEMA_VERSION,
    backup_sqlite,
    ensure_schema,
    read_version,
    table_counts,
    text_while_sql,
    validate,
)

from .support import (
    add,
    make_version_1,
    make_version_1_at,
    make_version_5_at,
    make_version_7_at,
    make_version_8_at,
    open_db,
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version_in(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT value FROM schema_meta WHERE key='schema_version'").fetchone()[
            0
        ]


def migrate(url: str) -> int:
    """Migrate the database at `url` to the current schema, as opening it does; the
    version it had."""
    db = Database(url)
    try:
        return ensure_schema(db)
    finally:
        db.dispose()


def version_and_problems(orch: Orchestrator) -> tuple[int | None, list[str]]:
    """The schema version of an open database, and what `validate` finds wrong in it."""
    with orch.db.read() as conn:
        return read_version(conn), validate(conn)


def test_fresh_database(db_path: Path) -> None:
    db = Database(str(db_path))
    assert ensure_schema(db) == 0
    with db.read() as conn:
        assert read_version(conn) == SCHEMA_VERSION
        counts = table_counts(conn)
        assert validate(conn) == []
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    assert {"tasks", "task_dependencies", "events", "approvals", "runs", "log_lines"} <= set(counts)
    assert counts["schema_meta"] == 3  # version, creation time and generation
    assert ensure_schema(db) == SCHEMA_VERSION  # second open: already current
    db.dispose()


def test_newer_database_is_refused_untouched(db_path: Path) -> None:
    orch = open_db(db_path)
    add(orch, "A")
    orch.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE schema_meta SET value='99' WHERE key='schema_version'")
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = digest(db_path)
    with pytest.raises(SchemaTooNew) as info:
        open_orchestrator(str(db_path), "alice")
    message = str(info.value)
    assert "schema version 99" in message and f"program's {SCHEMA_VERSION}" in message
    assert "upgrade orchestrator-tui" in message
    assert digest(db_path) == before
    assert version_in(db_path) == "99"
    assert not list(db_path.parent.glob("*.bak"))


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    before = digest(path)
    with pytest.raises(ValidationFailed, match="not an orchestrator-tui database"):
        open_orchestrator(str(path), "alice")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"notes"}
    assert digest(path) == before


def _add_column(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE tasks ADD COLUMN colour TEXT DEFAULT 'blue'"))


def test_migration_runner_backs_up_and_keeps_rows(db_path: Path) -> None:
    orch = open_db(db_path)
    for key in ("A", "B", "C"):
        add(orch, key)
    orch.deps.add("B", "A")
    orch.close()

    db = Database(str(db_path))
    target = SCHEMA_VERSION + 1
    assert ensure_schema(db, migrations={SCHEMA_VERSION: _add_column}, target=target) == (
        SCHEMA_VERSION
    )
    db.dispose()

    [backup] = db_path.parent.glob(f"{db_path.name}.v{SCHEMA_VERSION}-*.bak")
    assert version_in(backup) == str(SCHEMA_VERSION)
    with sqlite3.connect(backup) as conn:
        assert [r[0] for r in conn.execute("SELECT key FROM tasks ORDER BY id")] == ["A", "B", "C"]
    assert version_in(db_path) == str(target)
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT key, colour FROM tasks ORDER BY id").fetchall()
        assert rows == [("A", "blue"), ("B", "blue"), ("C", "blue")]
        assert conn.execute("SELECT COUNT(*) FROM task_dependencies").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 4


def test_failing_migration_leaves_the_database_as_it_was(db_path: Path) -> None:
    orch = open_db(db_path)
    add(orch, "A")
    orch.close()

    def broken(conn: Connection) -> None:
        conn.execute(text("UPDATE tasks SET title = 'half-migrated'"))
        raise RuntimeError("migration bug")

    db = Database(str(db_path))
    with pytest.raises(RuntimeError, match="migration bug"):
        ensure_schema(db, migrations={SCHEMA_VERSION: broken}, target=SCHEMA_VERSION + 1)
    db.dispose()
    assert version_in(db_path) == str(SCHEMA_VERSION)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT title FROM tasks").fetchone()[0] == "task A"
    assert len(list(db_path.parent.glob("*.bak"))) == 1


def test_missing_migration_is_refused(db_path: Path) -> None:
    open_db(db_path).close()
    db = Database(str(db_path))
    with pytest.raises(SchemaTooNew, match=f"no migration from schema version {SCHEMA_VERSION}$"):
        ensure_schema(db, migrations={}, target=SCHEMA_VERSION + 1)
    db.dispose()
    assert version_in(db_path) == str(SCHEMA_VERSION)


def test_backup_and_validate(db_path: Path, tmp_path: Path) -> None:
    orch = open_db(db_path)
    add(orch, "A")
    add(orch, "B", deps=["A"])
    (tmp_path / "copies").mkdir()
    copy = backup_sqlite(orch.db, tmp_path / "copies" / "b.db")
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 2
    with pytest.raises(ValidationFailed, match="already exists"):
        backup_sqlite(orch.db, copy)
    orch.close()
    with sqlite3.connect(db_path) as conn:  # break it behind the app's back
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DELETE FROM tasks WHERE key = 'A'")
    db = Database(str(db_path))
    with db.read() as conn:
        problems = validate(conn)
    db.dispose()
    assert any("dependencies point at missing tasks" in p for p in problems)
    assert any(p.startswith("foreign key: table task_dependencies") for p in problems)


def test_opening_a_current_database_does_not_wait_for_writers(db_path: Path) -> None:
    """Readers must not queue behind a writer just to check the schema version."""
    open_db(db_path).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        reader = open_orchestrator(str(db_path), "alice", busy_timeout_ms=200)
        assert reader.queries.list_tasks() == []
        with pytest.raises(DatabaseUnavailable, match="locked by another process"):
            add(reader, "A")
        reader.close()
    finally:
        holder.rollback()
        holder.close()
    assert open_db(db_path).queries.count_tasks() == 0


def test_page_cache_per_connection_on_sqlite(db_path: Path) -> None:
    """A reader that asks for a small page cache gets it on every connection of its
    pool (each opened while another is busy); without asking, SQLite's default stays."""
    small = Database(str(db_path), cache_kib=READER_CACHE_KIB)
    with small.read() as first, small.read() as second:
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -READER_CACHE_KIB
    small.dispose()
    plain = Database(str(db_path))
    with plain.read() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000
    plain.dispose()


def test_page_cache_leaves_postgresql_untouched() -> None:
    """No SQLite setting (nor any hook on connecting) reaches a PostgreSQL engine."""
    url = "postgresql+psycopg://someone@localhost/x"
    asked, plain = make_engine(url, cache_kib=READER_CACHE_KIB), make_engine(url)
    assert asked.dialect.name == "postgresql"
    assert len(asked.pool.dispatch.connect) == len(plain.pool.dispatch.connect)
    assert len(asked.dispatch.begin) == len(plain.dispatch.begin)
    asked.dispose()
    plain.dispose()


def test_busy_timeout_from_the_environment(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS", "1234")
    db = Database(str(db_path))
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
    db.dispose()
    monkeypatch.setenv("ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS", "soon")
    with pytest.raises(ValidationFailed, match="ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS"):
        Database(str(db_path))


def test_a_version_1_database_gains_run_process_columns_keeping_its_rows(db_path: Path) -> None:
    orch = open_db(db_path)
    add(orch, "A")
    orch.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO runs (execution_id, task_id, attempt, status, outputs) "
            "VALUES ('e1', 1, 1, 'succeeded', '{}')"
        )
    conn.close()
    make_version_1(db_path)

    assert migrate(str(db_path)) == 1

    assert version_in(db_path) == str(SCHEMA_VERSION)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT key FROM tasks").fetchall() == [("A",)]
        row = conn.execute("SELECT execution_id, status, pid, pgid, host, proc_start FROM runs")
        assert row.fetchall() == [("e1", "succeeded", None, None, None, None)]
    conn.close()
    assert list(db_path.parent.glob(f"{db_path.name}.v1-*.bak"))


def test_a_version_1_database_migrates_on_either_backend_keeping_its_rows(db_url: str) -> None:
    """Every migration's SQL runs on SQLite and on PostgreSQL alike."""
    orch = open_db(db_url)
    add(orch, "A")
    add(orch, "B", deps=["A"])
    orch.tasks.start("A")
    orch.close()
    make_version_1_at(db_url)

    assert migrate(db_url) == 1
    migrated = open_db(db_url)
    assert version_and_problems(migrated) == (SCHEMA_VERSION, [])
    assert [t.key for t in migrated.queries.list_tasks()] == ["A", "B"]
    assert [b.key for b in migrated.queries.get_task("B").blockers] == ["A"]
    assert migrated.as_actor("bot").questions.ask("A", "works?").is_open  # a new table
    migrated.close()


def _runs_as_seen(orch: Orchestrator) -> dict[str, Any]:
    """What a person sees of every task and its runs: status, state with who asked
    for a stop, error; and `task show`'s last-run line."""
    seen: dict[str, Any] = {}
    for row in orch.queries.list_tasks():
        runs = [
            (r.id, r.status, r.state, r.state_text, r.error) for r in orch.queries.runs_for(row.key)
        ]
        seen[row.key] = (row.status, runs, orch.queries.last_run_state(row.key))
    return seen


def test_a_version_5_database_moves_who_asked_a_run_to_stop_to_its_own_column(
    db_url: str,
) -> None:
    """Version 5 kept who asked an open run to stop in its `error`; version 6 gives it
    `cancel_requested`. Every row stays and every run reads as it did."""
    orch = open_db(db_url)
    for key in ("STOP", "CLOSED", "LOST", "RUN"):
        add(orch, key, command=CommandSpec(argv=["true"]))
    claims = {c.key: c for c in orch.runs.claim("r1", 30, limit=4)}
    bob = orch.as_actor("bob")
    bob.runs.cancel("STOP", "wrong branch")  # open: stopping
    bob.runs.cancel("CLOSED", "not needed")
    bob.runs.close_cancelled(claims["CLOSED"].run_id)  # closed: cancelled
    bob.runs.cancel("LOST", "too slow")
    bob.runs.close_abandoned([claims["LOST"].task_id])  # closed: lost, after the cancel
    before = _runs_as_seen(orch)
    assert (
        before["STOP"][2]
        == f"#{claims['STOP'].run_id} stopping (run cancelled by bob: wrong branch)"
    )
    assert before["RUN"][2] == f"#{claims['RUN'].run_id} running"
    orch.close()
    make_version_5_at(db_url)
    engine = create_engine(db_url)
    with engine.connect() as conn:  # the way version 5 wrote it
        stored = conn.execute(
            text("SELECT error FROM runs WHERE id = :id"), {"id": claims["STOP"].run_id}
        )
        assert stored.scalar_one() == "run cancelled by bob: wrong branch"
    engine.dispose()

    assert migrate(db_url) == 5
    migrated = open_db(db_url)
    assert version_and_problems(migrated) == (SCHEMA_VERSION, [])
    assert _runs_as_seen(migrated) == before
    (stopping,) = migrated.queries.runs_for("STOP")
    assert (stopping.error, stopping.cancel_requested) == (
        None,
        "run cancelled by bob: wrong branch",
    )
    (running,) = migrated.queries.runs_for("RUN")
    assert (running.error, running.cancel_requested) == (None, None)
    # Once its processes are gone it closes as before: the reason becomes its error.
    closed = migrated.runs.close_cancelled(stopping.id)
    assert (closed.status, closed.state_text) == (RunStatus.CANCELLED, "cancelled")
    assert closed.error == "run cancelled by bob: wrong branch"
    assert migrated.runs.close_cancelled(running.id).status is RunStatus.RUNNING  # not asked
    migrated.close()


def test_a_version_6_database_lets_the_loader_decide_the_tasks_it_loaded_awaiting(
    db_url: str, tmp_path: Path
) -> None:
    """Version 6 recorded a loaded task's approval request under whoever loaded it,
    marked `on_creation`; version 7 records it under no one. Migrated, the loader may
    approve it, and the rest of the task's timeline is as it was."""
    import yaml

    plan = tmp_path / "gate.yaml"
    plan.write_text(
        yaml.safe_dump(
            {"tasks": [{"key": "GATE", "title": "review me", "status": "awaiting_approval"}]}
        )
    )
    orch = open_db(db_url, actor="alice")
    orch.plans.load_file(plan)
    orch.close()
    engine = create_engine(db_url)
    with engine.begin() as conn:  # the way version 6 wrote it
        conn.execute(
            text(
                "UPDATE events SET actor = 'alice', data = :data WHERE kind = 'approval_requested'"
            ),
            {"data": '{"on_creation": true}'},
        )
        conn.execute(text("UPDATE schema_meta SET value = '6' WHERE key = 'schema_version'"))
    engine.dispose()

    migrated = open_db(db_url, actor="alice")
    assert version_and_problems(migrated) == (SCHEMA_VERSION, [])
    created, requested = migrated.queries.timeline("GATE")
    assert (created.actor, requested.kind, requested.actor) == (
        "alice",
        "approval_requested",
        "",
    )
    assert migrated.approvals.approval_refusal("GATE") is None
    assert migrated.approvals.approve("GATE").status.value == "done"
    migrated.close()


def test_a_version_7_database_closes_questions_left_open_on_ended_tasks(db_url: str) -> None:
    """Version 7 left a question open after its task ended; version 8 closes those
    (dated by the task's last change) and keeps every other question as it was."""
    orch = open_db(db_url)
    for key in ("GONE", "WORK", "DONE"):
        add(orch, key)
        orch.tasks.start(key)
    bot = orch.as_actor("bot")
    stale = bot.questions.ask("GONE", "still needed?")
    waiting = bot.questions.ask("WORK", "which database?")
    answered = bot.questions.ask("DONE", "ship it?")
    orch.questions.answer("DONE", "yes")
    orch.close()
    make_version_7_at(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:  # how version 7 ended a task: its question stayed open
        conn.execute(text("UPDATE tasks SET status = 'cancelled' WHERE key = 'GONE'"))
        conn.execute(text("UPDATE tasks SET status = 'done' WHERE key = 'DONE'"))
    engine.dispose()

    assert migrate(db_url) == 7
    migrated = open_db(db_url)
    assert version_and_problems(migrated) == (SCHEMA_VERSION, [])
    closed = migrated.questions.get(stale.id)
    assert closed.is_closed and closed.closed_at == migrated.queries.get_task("GONE").updated_at
    assert [q.id for q in migrated.questions.open_questions()] == [waiting.id]
    kept = migrated.questions.get(answered.id)
    assert (kept.answer, kept.answered_by, kept.is_closed) == ("yes", "alice", False)
    assert [t.key for t in migrated.queries.list_tasks()] == ["GONE", "WORK", "DONE"]
    migrated.close()


def test_a_version_8_database_gets_each_task_s_natural_order_key(db_url: str) -> None:
    """Version 8 sorted the list by a key computed for every task; version 9 keeps it
    with the task (`key_order`, `natural_key` of its key) under an index. Every task
    stays, each gets its key, and the list sorts as before (PAY-2 before PAY-10),
    in pages too; tasks created afterwards get theirs as they are written."""
    from orchestrator_tui.domain.natural import natural_key

    orch = open_db(db_url)
    keys = ["PAY-10", "ZZ-1", "pay-2", "PAY-1", "PAY-2.10", "PAY-2.9", "PAY-007"]
    for key in keys:
        add(orch, key)
    before = [t.key for t in orch.queries.list_tasks(sort="key")]
    orch.close()
    make_version_8_at(db_url)

    db = Database(db_url)
    assert ensure_schema(db) == 8
    db.dispose()
    migrated = open_db(db_url)
    with migrated.db.read() as conn:
        assert read_version(conn) == SCHEMA_VERSION
        assert validate(conn) == []
        stored = dict(conn.execute(text("SELECT key, key_order FROM tasks")).all())
    assert stored == {key: natural_key(key) for key in keys}
    natural = ["PAY-1", "pay-2", "PAY-2.9", "PAY-2.10", "PAY-007", "PAY-10", "ZZ-1"]
    assert before == natural
    assert [t.key for t in migrated.queries.list_tasks(sort="key")] == natural
    assert [t.key for t in migrated.queries.list_tasks(sort="key", limit=2, offset=2)] == [
        "PAY-2.9",
        "PAY-2.10",
    ]
    add(migrated, "PAY-3")
    assert [t.key for t in migrated.queries.list_tasks(sort="key")][3:6] == [
        "PAY-2.10",
        "PAY-3",
        "PAY-007",
    ]
    assert migrated.queries.keys_starting_with("pay-1", 5) == ["PAY-1", "PAY-10"]
    migrated.close()


@pytest.mark.sqlite_only  # another program writing the file directly
def test_validate_names_tasks_written_without_their_natural_order_key(db_path: Path) -> None:
    orch = open_db(db_path)
    add(orch, "A-1")
    orch.close()
    with sqlite3.connect(db_path) as conn:  # as the sqlite3 shell would write a task
        conn.execute(
            "INSERT INTO tasks (key, title, description, status, priority, complexity, "
            "component_area, phase, success_criteria, requires_approval, max_retries, "
            "attempts, tags, extra, progress, completion_summary, created_at, updated_at, "
            "version) VALUES ('A-2', 't', '', 'pending', 'medium', 'medium', 'general', 1, "
            "'[]', 0, 0, 0, '[]', '{}', 0, '', '2026-01-01', '2026-01-01', 1)"
        )
    conn.close()
    reopened = open_db(db_path)
    with reopened.db.read() as conn:
        assert validate(conn) == [
            "1 tasks lack their key's natural-order form (key_order), so the list shows "
            "them out of place, e.g. 'A-2'; written by another program?"
        ]
    reopened.close()


def test_the_version_5_stop_rule_finds_the_same_runs_in_python_and_in_sql() -> None:
    """`rules.STOP_ASKED_BEFORE_V6` is one definition: the import of a version-5
    export applies it in Python, the schema-6 migration in SQL; over every status
    (and a word no version knows) and every kind of error they pick the same runs."""
    rule = rules.STOP_ASKED_BEFORE_V6
    rows = [
        {"id": i, "status": status, rule.column: error}
        for i, (status, error) in enumerate(
            (status, error)
            for status in [*(s.value for s in RunStatus), "paused"]
            for error in (None, "", " ", "run cancelled by bob: wrong branch")
        )
    ]
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE runs (id INTEGER, status VARCHAR, {rule.column} VARCHAR)")
    conn.executemany(f"INSERT INTO runs VALUES (:id, :status, :{rule.column})", rows)
    in_sql = [r[0] for r in conn.execute(f"SELECT id FROM runs WHERE {text_while_sql(rule)}")]
    in_python = [r["id"] for r in rows if rules.text_while(rule, r) is not None]
    assert in_sql == in_python
    assert [(rows[i]["status"], rows[i][rule.column]) for i in in_python] == [
        ("running", " "),
        ("running", "run cancelled by bob: wrong branch"),
    ]
