"""A database shared by a team's runners and TUIs: opened by several at once after an
upgrade (one migrates it, the others wait and find it current), reset under them."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Connection, text

from orchestrator_tui.store.engine import Database
from orchestrator_tui.store.schema import MIGRATIONS, SCHEMA_VERSION, ensure_schema, read_version

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
    from orchestrator_tui.store.schema import recreate

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
