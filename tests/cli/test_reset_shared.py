"""`db reset` of a database others are using (a team's runners and TUIs): they never
find its tables missing, only emptied."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from .conftest import Cli


def test_others_never_see_the_tables_missing_during_a_reset(cli: Cli) -> None:
    cli.ok("db", "init")
    cli.ok("task", "add", "Design", "--key", "A")
    engine = create_engine(cli.url)
    errors: list[str] = []
    seen: set[int] = set()
    done = threading.Event()

    def read_all_along() -> None:
        with engine.connect() as conn:
            while not done.is_set():
                try:
                    seen.add(conn.execute(text("SELECT COUNT(*) FROM tasks")).scalar_one())
                    conn.commit()
                except DBAPIError as exc:
                    errors.append(str(exc.orig).splitlines()[0])
                    conn.rollback()

    reader = threading.Thread(target=read_all_along)
    reader.start()
    try:
        for _ in range(3):
            cli.ok("db", "reset", "--yes")
            cli.ok("task", "add", "Design", "--key", "A")
    finally:
        done.set()
        reader.join(timeout=30)
        engine.dispose()
    assert errors == []
    assert seen <= {0, 1}
    assert cli.count("SELECT COUNT(*) FROM tasks") == 1
