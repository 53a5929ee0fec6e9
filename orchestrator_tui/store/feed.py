"""Noticing other writers cheaply: PostgreSQL pushes (writers NOTIFY, readers
LISTEN); SQLite has a counter of other connections' commits.

Every transaction that inserts event rows (the audit log and change feed) also
sends `NOTIFY orchestrator_tui_events` on the same connection, so the
notification is delivered when, and only if, the events commit. The hook sits
on the engine: whichever service writes events, the feed hears about it.

A `ChangeListener` holds one psycopg connection in LISTEN mode on a thread of
its own and calls back on every notification (and after every reconnect, in
case it missed one). Readers still poll as a fallback.

SQLite has no push; a `CommitCounter` tells a poller whether anyone committed
since its last look for a few microseconds, so that it reads the feed itself (a
transaction through SQLAlchemy, ~0.2 ms of the interpreter) only when something
changed.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from ..domain.errors import DatabaseUnavailable
from ..domain.text import printable

if TYPE_CHECKING:
    from .engine import Database

log = logging.getLogger("orchestrator_tui.feed")

CHANNEL = "orchestrator_tui_events"
_NOTIFY = f"NOTIFY {CHANNEL}"
_PENDING = "orchestrator_tui_feed_pending"


def install_notify_hook(engine: Engine) -> None:
    """Make every transaction that inserts events NOTIFY the feed (PostgreSQL)."""

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO events") and not conn.info.get(_PENDING):
            # A cursor of its own: the insert's RETURNING rows are still unread.
            conn.info[_PENDING] = True
            with conn.connection.dbapi_connection.cursor() as notify:
                notify.execute(_NOTIFY)

    @event.listens_for(engine, "commit")
    def _committed(conn: Any) -> None:
        conn.info.pop(_PENDING, None)

    @event.listens_for(engine, "rollback")
    def _rolled_back(conn: Any) -> None:
        if conn.invalidated:
            # The server went away mid-transaction: the DBAPI connection and its
            # mark are gone, and reading `info` would raise instead of the error
            # the caller waits for (its database being unreachable).
            return
        conn.info.pop(_PENDING, None)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection URI (for psycopg.connect)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


class ChangeListener:
    """LISTENs for committed events on a thread; calls `on_change` for each batch."""

    def __init__(self, url: str, on_change: Callable[[], None], retry_seconds: float = 1.0) -> None:
        self.url = url
        self.on_change = on_change
        self.retry_seconds = retry_seconds
        self.listening = threading.Event()  # set while a LISTEN connection is up
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="change-listener", daemon=True)

    def start(self) -> ChangeListener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        failing = False  # said so once; said again only after it listened again
        while not self._stop.is_set():
            try:
                with psycopg.connect(libpq_url(self.url), autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    if failing:
                        failing = False
                        log.warning("change feed: listening again")
                    self.on_change()  # whatever happened while we were not listening
                    while not self._stop.is_set():
                        if any(True for _ in conn.notifies(timeout=0.25, stop_after=1)):
                            self.on_change()
            except psycopg.Error as exc:
                if not failing:
                    failing = True
                    why = printable(str(exc))
                    log.warning("change feed: %s; polling until it reconnects", why)
            except Exception:  # a callback failing must not end the feed
                log.exception("change feed callback failed")
            finally:
                self.listening.clear()
            self._stop.wait(self.retry_seconds)


class CommitCounter:
    """A number that changes whenever another connection commits to a SQLite database
    (in this process or another): `PRAGMA data_version` on a connection of its own,
    which never writes and is never left inside a transaction. A look costs a few
    microseconds, against ~0.2 ms for a read of the feed through SQLAlchemy."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # The engine's own connection (its hooks: busy timeout, a read-only file).
        try:
            self._conn = db.engine.raw_connection()
        except DBAPIError as exc:
            raise DatabaseUnavailable(f"database {db.describe()}: {exc.orig}") from exc
        self._cursor = self._conn.cursor()

    def count(self) -> int:
        """The counter now; DatabaseUnavailable if the file was deleted or replaced
        (which no commit would tell)."""
        self._db.check_file()
        try:
            self._cursor.execute("PRAGMA data_version")
            (version,) = self._cursor.fetchone() or (0,)  # (it always gives one row)
            return int(version)
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(f"database {self._db.describe()}: {exc}") from exc

    def close(self) -> None:
        self._cursor.close()
        self._conn.close()
