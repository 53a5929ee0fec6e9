"""Engines and transactions.

SQLite connections run in WAL mode with a busy timeout and foreign keys on.
Write transactions on SQLite start with ``BEGIN IMMEDIATE`` so that a
read-then-write never fails half-way with a stale snapshot; on other backends
a plain transaction plus compare-and-set updates does the same job.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, CursorResult, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from ..domain.errors import DatabaseLocked, DatabaseUnavailable, ReadStopped, ValidationFailed
from .stoppable import StopReads

DEFAULT_BUSY_TIMEOUT_MS = 8000
BUSY_TIMEOUT_ENV = "ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS"
#: A long-running reader's page cache per SQLite connection (the TUI's): SQLite's
#: default of 2 MiB filled on each of its connections at 100k tasks, while the file's
#: pages stay in the OS's cache anyway. Measured: no slower reloads, 3-4 MB less peak.
READER_CACHE_KIB = 256


def busy_timeout_ms(explicit: int | None = None) -> int:
    """How long a write waits for another writer: the argument, else
    $ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS, else eight seconds."""
    if explicit is not None:
        return explicit
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_BUSY_TIMEOUT_MS
    if not raw.isdigit():
        raise ValidationFailed(f"${BUSY_TIMEOUT_ENV} must be milliseconds (0 or more), not {raw!r}")
    return int(raw)


def normalise_url(db: str) -> str:
    """A SQLAlchemy URL for a URL or a plain file path. A path that starts like a URL
    with a slash or colon missing (`postgresql:/...`, `postgresql//...`) is refused,
    never made a SQLite file named after the URL."""
    if "://" in db:
        return db
    if _URL_TYPO.match(db):
        shown = _PASSWORD_IN_USER.sub(r"\1***@", db[:200])
        raise ValidationFailed(
            f"{shown!r} looks like a database URL with a typo; a URL reads "
            "SCHEME://user@host/db (like postgresql+psycopg://user@host/db)"
        )
    return f"sqlite:///{Path(db).expanduser().resolve()}"


#: At the very start, a scheme of two letters or more (one would be a Windows drive)
#: and `:/`, or a database's scheme and `//`: a URL missing a character, not a path.
_URL_TYPO = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]+:/|(postgres|sqlite|mysql)[A-Za-z0-9+.-]*//", re.IGNORECASE
)
_PASSWORD_IN_USER = re.compile(r"(:)[^:/@]*@")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def on_read_only_filesystem(path: Path) -> bool:
    """Whether the existing file at `path` lives on a file system mounted read-only."""
    try:
        return path.exists() and bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 1))
    except OSError:
        return False


def read_only_uri(path: Path) -> str:
    """A SQLite URI opening `path` read-only and immutable: on a read-only file
    system nobody can change it, and a WAL database needs no -shm file then."""
    return f"file:{quote(str(path))}?mode=ro&immutable=1"


def missing_database(url: str) -> Path | None:
    """The SQLite file `url` names, if it does not exist yet (None otherwise)."""
    try:
        path = sqlite_path(normalise_url(url))
    except ArgumentError:
        return None  # not a URL at all: opening it says so
    return path if path is not None and not path.exists() else None


def _install_sqlite_hooks(
    engine: Engine,
    busy_timeout_ms: int,
    read_only: bool = False,
    cache_kib: int | None = None,
    name: str = "the file",
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        # WAL is a property of the file: switch only empty files and our own
        # databases, never a foreign file we are about to refuse.
        try:
            cur.execute(
                "SELECT COUNT(*), COALESCE(SUM(name = 'schema_meta'), 0) "
                "FROM sqlite_master WHERE type = 'table'"
            )
        except sqlite3.DatabaseError as exc:
            if "not a database" not in str(exc):
                raise
            # Not a DBAPI error, so SQLAlchemy lets it through as it is: one line.
            raise ValidationFailed(
                f"{name} is not a SQLite database; nothing was read or written"
            ) from None
        tables, ours = cur.fetchone()
        if (tables == 0 or ours) and not read_only:
            cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        if cache_kib is not None:
            cur.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _backend(url: str) -> str:
    try:
        return make_url(url).get_backend_name()
    except ArgumentError:
        raise ValidationFailed(
            f"{url[:200]!r} is neither a file path nor a database URL "
            "(like postgresql+psycopg://user@host/db)"
        ) from None


def make_engine(url: str, timeout_ms: int | None = None, cache_kib: int | None = None) -> Engine:
    """`cache_kib`: on SQLite, each connection's page cache in KiB (default: SQLite's,
    2 MiB); other backends ignore it."""
    url = normalise_url(url)
    timeout = busy_timeout_ms(timeout_ms)
    is_sqlite = _backend(url) == "sqlite"
    kwargs: dict[str, Any] = {}
    read_only = False
    if is_sqlite:
        path = sqlite_path(url)
        if path is not None and on_read_only_filesystem(path):
            read_only = True
            url = f"sqlite:///{read_only_uri(path)}&uri=true"
        elif path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(
                    f"cannot create the folder of {path}: {exc.strerror}"
                ) from None
        kwargs["connect_args"] = {
            "check_same_thread": False,
            "timeout": timeout / 1000,
        }
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except ImportError as exc:
        backend = make_url(url).drivername
        if getattr(exc, "name", None) == "psycopg":  # the driver of the postgres extra
            raise ValidationFailed(
                f"cannot use {masked_url(url)}: the PostgreSQL driver is not installed "
                f"({exc}); install it with `pip install 'orchestrator-tui[postgres]'`"
            ) from None
        raise ValidationFailed(
            f"cannot use a {backend!r} database ({type(exc).__name__}: {exc}); "
            "use a SQLite file path or a postgresql+psycopg:// URL"
        ) from None
    except ArgumentError as exc:
        backend = make_url(url).drivername
        raise ValidationFailed(
            f"cannot use a {backend!r} database ({type(exc).__name__}: {exc}); "
            "use a SQLite file path or a postgresql+psycopg:// URL"
        ) from None
    if is_sqlite:
        _install_sqlite_hooks(engine, timeout, read_only, cache_kib, str(path or url))
    elif engine.dialect.name == "postgresql":
        from .feed import install_notify_hook

        install_notify_hook(engine)
    return engine


#: PostgreSQL's SQLSTATE for a transaction it stopped to end a deadlock.
_DEADLOCK_DETECTED = "40P01"


def _is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def masked_url(url: str) -> str:
    """The URL as people may see it: a password, in the user part or given to libpq
    as a `password=` query parameter, shows as ***."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url  # not a URL, so no password in it
    return _QUERY_PASSWORD.sub(r"\1***", shown)


_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*", re.IGNORECASE)


class Database:
    """One database: an engine plus the two kinds of transaction we use."""

    def __init__(
        self, url: str, busy_timeout_ms: int | None = None, cache_kib: int | None = None
    ) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, busy_timeout_ms, cache_kib)
        # Parsed once: every transaction checks the file (parsing the URL each time
        # cost a runner's round more than some of its statements).
        self._path = sqlite_path(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._thread = threading.local()  # `stop`: what stops this thread's reads
        self._file_id: tuple[int, int] | None = None
        #: Run first in every write transaction; raising there writes nothing
        #: (see `schema.refuse_writes_after_reset`).
        self.before_write: Callable[[Connection], None] | None = None

    def remember_file(self) -> None:
        """Note which file is open, so that its deletion or replacement is noticed
        (SQLite would go on reading and writing the unlinked file)."""
        path = self.path
        if path is not None:
            try:
                info = os.stat(path)
            except OSError:
                return
            self._file_id = (info.st_dev, info.st_ino)

    def check_file(self) -> None:
        """DatabaseUnavailable if the file at the path is not the one opened."""
        if self._file_id is None or self.path is None:
            return
        try:
            info = os.stat(self.path)
            same = (info.st_dev, info.st_ino) == self._file_id
        except OSError:
            same = False
        if not same:
            raise DatabaseUnavailable(
                f"the database file {self.path} was deleted or replaced after it was opened; "
                "nothing was read or written. Restart to open the file now at that path"
            )

    @property
    def path(self) -> Path | None:
        return self._path

    def describe(self) -> str:
        """The URL with any password hidden."""
        return masked_url(self.url)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction: one consistent snapshot, never writes."""
        self.check_file()
        stop: StopReads | None = getattr(self._thread, "stop", None)
        try:
            with self.engine.connect() as conn, conn.begin():
                if stop is None:
                    yield conn
                else:
                    raw = conn.connection.dbapi_connection if self.is_sqlite else None
                    with stop.running(raw):
                        yield conn
        except OperationalError as exc:
            if stop is not None and stop.stopped:
                raise ReadStopped("the read was stopped: its answer is no longer wanted") from exc
            raise self._unavailable(exc) from exc

    @contextmanager
    def stoppable(self, stop: StopReads) -> Iterator[None]:
        """The reads this thread makes inside are stopped by `stop.stop()` from any
        thread (see `store.stoppable`)."""
        before = getattr(self._thread, "stop", None)
        self._thread.stop = stop
        try:
            yield
        finally:
            self._thread.stop = before

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed on success, rolled back on any error."""
        self.check_file()
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(immediate=True)
                with conn.begin():
                    if self.before_write is not None:
                        self.before_write(conn)
                    yield conn
        except OperationalError as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: OperationalError) -> DatabaseUnavailable:
        if getattr(exc.orig, "sqlstate", None) == _DEADLOCK_DETECTED:
            return DatabaseLocked(
                f"database {self.describe()}: this write and another waited for each "
                "other, and the server stopped this one (nothing was written); try again"
            )
        if _is_lock_error(exc):
            return DatabaseLocked(
                f"database {self.describe()} is locked by another process; "
                "gave up waiting (nothing was written)"
            )
        return DatabaseUnavailable(f"database {self.describe()}: {exc.orig}")

    def dispose(self) -> None:
        self.engine.dispose()


def take_turns(conn: Connection, topic: str) -> None:
    """Writers of `topic` (say, the dependency graph) take turns until this
    transaction ends, so a check made on what they read still holds when they
    write. SQLite's BEGIN IMMEDIATE already makes every writer take turns; on
    PostgreSQL this is a transaction-scoped advisory lock. Call it first thing."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:topic))"),
            {"topic": f"orchestrator_tui:{topic}"},
        )


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key of the row a single-row INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the INSERT gave back no primary key")
    return int(key[0])
