"""A database shared by a team's runners and TUIs: opened by several at once after an
upgrade (one migrates it, the others wait and find it current), reset under them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from orchestrator_tui.domain.errors import DatabaseReset
from orchestrator_tui.store.copy import copy_database
from orchestrator_tui.store.engine import Database
from orchestrator_tui.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    ensure_schema,
    read_version,
    recreate,
    refuse_writes_after_reset,
)

from .support import add, make_version_8_at, open_db


def test_two_processes_opening_a_version_8_database_at_once_migrate_it_once(
    db_url: str,
) -> None:
    orch = open_db(db_url)
    for key in ("PAY-10", "PAY-2"):
        add(orch, key)
    orch.close()
    make_version_8_at(db_url)

    calls: list[int] = []

    def slow_key_order(conn: Connection) -> None:
        calls.append(1)
        time.sleep(0.3)  # long enough for the other opener to read version 8 too
        MIGRATIONS[8](conn)

    migrations = {**MIGRATIONS, 8: slow_key_order}
    found: list[int] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        db = Database(db_url)
        try:
            found.append(ensure_schema(db, migrations))
        except BaseException as exc:  # the test reports it below
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(calls) == 1
    assert sorted(found) == [8, SCHEMA_VERSION]  # the one that migrated says so
    db = Database(db_url)
    with db.read() as conn:
        assert read_version(conn) == SCHEMA_VERSION
        rows = conn.execute(text("SELECT COUNT(*) FROM tasks WHERE key_order IS NULL"))
        assert rows.scalar_one() == 0
    db.dispose()


def test_the_change_feed_after_a_reset_asks_for_everything_again(db_url: str) -> None:
    """A reader that saw events up to N, after `db reset` and a new task (event ids
    start again from 1): told to reload everything, and where the feed now stands."""
    orch = open_db(db_url)
    for key in ("A", "B", "C"):
        add(orch, key)
    seen = orch.queries.last_event_id()
    recreate(orch.db)
    add(orch, "D")
    now = orch.queries.last_event_id()
    assert now < seen
    changes = orch.queries.changes_since(seen)
    assert changes.keys is None and changes.last_id == now
    orch.close()


def test_a_reset_or_a_replacing_copy_gives_the_database_a_new_generation(
    db_url: str, tmp_path: Path
) -> None:
    """The mark a reader compares, whatever the event ids did meanwhile."""
    orch = open_db(db_url)
    add(orch, "A")
    first = orch.queries.feed_marks().generation
    recreate(orch.db)
    second = orch.queries.feed_marks().generation
    assert None not in (first, second) and first != second
    add(orch, "B")
    copy = open_db(tmp_path / "copy.db")
    seen = {copy.queries.feed_marks().generation}
    for _ in range(2):
        copy_database(orch.db, copy.db, replace=True)
        seen.add(copy.queries.feed_marks().generation)
    assert len(seen) == 3 and second not in seen
    copy.close()
    orch.close()


def test_a_writer_pinned_before_a_reset_writes_nothing_after_it(db_url: str) -> None:
    """A runner's writes (`refuse_writes_after_reset`): refused once the database was
    reset, with nothing written; reads go on."""
    runner = open_db(db_url, "runner")
    refuse_writes_after_reset(runner.db)
    add(runner, "A")
    other = Database(db_url)
    recreate(other)
    other.dispose()
    with pytest.raises(DatabaseReset, match="was reset"):
        add(runner, "B")
    assert runner.queries.list_tasks() == []
    person = open_db(db_url)
    add(person, "C")  # others write as before
    assert [t.key for t in runner.queries.list_tasks()] == ["C"]
    person.close()
    runner.close()


@pytest.mark.parametrize("replace", ["reset", "copy"])
def test_a_reset_while_a_pinned_writer_writes_all_along_stops_it_cleanly(
    db_url: str, tmp_path: Path, replace: str
) -> None:
    """Writes racing a reset or a replacing copy (on PostgreSQL, locks taken table by
    table): each one is written before it, or refused after it; no other error, no
    deadlock."""
    source = open_db(tmp_path / "source.db")
    add(source, "FROM-COPY")
    runner = open_db(db_url, "runner")
    refuse_writes_after_reset(runner.db)
    errors: list[BaseException] = []
    written: list[int] = []
    stop = threading.Event()

    def write_all_along() -> None:
        n = 0
        while not stop.is_set():
            try:
                add(runner, f"T-{n}")
                written.append(n)
                n += 1
            except BaseException as exc:  # the test reports it below
                errors.append(exc)
                return

    writer = threading.Thread(target=write_all_along)
    writer.start()
    time.sleep(0.3)
    other = Database(db_url)
    if replace == "reset":
        recreate(other)
    else:
        copy_database(source.db, other, replace=True)
    other.dispose()
    writer.join(timeout=30)
    stop.set()
    assert written
    assert [type(e) for e in errors] == [DatabaseReset], errors
    kept = [] if replace == "reset" else ["FROM-COPY"]
    assert [t.key for t in runner.queries.list_tasks()] == kept
    runner.close()
    source.close()
