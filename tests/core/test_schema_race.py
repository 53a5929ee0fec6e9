"""Processes opening an older database at once (a team's runners and TUIs started
after an upgrade): one migrates it, the others wait and find it current."""

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
