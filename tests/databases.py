"""Fresh databases for tests, on SQLite and on PostgreSQL.

Every test that asks for `backend` (directly or through `db_url`, `orch` or
`databases`) runs once per backend: on SQLite, a file in the test's tmp_path; on
PostgreSQL, a database of its own copied from a template that already holds the
schema (`CREATE DATABASE ... TEMPLATE`), emptied afterwards for the next test.

PostgreSQL is reached through $ORCHESTRATOR_TUI_TEST_PG_URL, a superuser URL such
as postgresql+psycopg://orch:orch@127.0.0.1/postgres (`.ci/start_postgres.sh`
starts a local server and prints one). Without it the PostgreSQL runs are left
out and the summary says so; `.ci/run` refuses to run without a server.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

PG_URL_ENV = "ORCHESTRATOR_TUI_TEST_PG_URL"
PG_URL = os.environ.get(PG_URL_ENV, "").strip() or None
BACKENDS: tuple[str, ...] = ("sqlite", "postgres") if PG_URL else ("sqlite",)


def pg_url_for(database: str) -> str:
    assert PG_URL
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


class PgServer:
    """The test server: a template database with the schema, copied per test.

    A database a test is done with is emptied (its connections ended, every table
    truncated, ids restarted) and handed to the next test: a few times cheaper
    than creating one, and the same as new for the test."""

    def __init__(self, tag: str) -> None:
        self.admin: Engine = create_engine(PG_URL or "", isolation_level="AUTOCOMMIT")
        self.template = f"orch_tpl_{tag}_{uuid.uuid4().hex[:8]}"
        self._sql(f'CREATE DATABASE "{self.template}"')
        from orchestrator_tui.services import open_orchestrator

        open_orchestrator(pg_url_for(self.template), "template").close()
        self.free: list[str] = []
        self.made: list[str] = []
        self._emptiers: dict[str, Engine] = {}

    def _sql(self, statement: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(statement))

    def create(self) -> str:
        """A database holding the empty schema (a reused one when there is one); its name."""
        if self.free:
            return self.free.pop()
        name = f"orch_t_{uuid.uuid4().hex[:16]}"
        self._sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY FILE_COPY')
        self.made.append(name)
        return name

    def release(self, name: str) -> None:
        """Empty the database for the next test; drop it if it cannot be emptied."""
        from orchestrator_tui.store.schema import SCHEMA_VERSION
        from orchestrator_tui.store.tables import metadata

        tables = ", ".join(f'"{t}"' for t in sorted(metadata.tables) if t != "schema_meta")
        engine = self._emptiers.get(name)
        if engine is None:
            engine = create_engine(
                pg_url_for(name), isolation_level="AUTOCOMMIT", poolclass=NullPool
            )
            self._emptiers[name] = engine
        try:
            self._sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            with engine.connect() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                version = conn.execute(
                    text("SELECT value FROM schema_meta WHERE key = 'schema_version'")
                ).scalar()
            if version == str(SCHEMA_VERSION):
                self.free.append(name)
                return
        except Exception:  # a test changed the schema: start again from the template
            pass
        engine.dispose()
        self._emptiers.pop(name, None)
        self.drop(name)

    def drop(self, name: str) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for engine in self._emptiers.values():
            engine.dispose()
        for name in [*self.made, self.template]:
            self.drop(name)
        self.admin.dispose()


class Databases:
    """The fresh databases of one test on one backend: `url()` gives a new one."""

    def __init__(self, backend: str, tmp_path: Path, server: PgServer | None) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.server = server
        self.created: list[str] = []
        self.urls: dict[str, str] = {}

    @property
    def is_postgres(self) -> bool:
        return self.backend == "postgres"

    def url(self, name: str = "test") -> str:
        """The database called `name` in this test (made on first use)."""
        if name not in self.urls:
            if self.server is None:
                self.urls[name] = f"sqlite:///{self.tmp_path / f'{name}.db'}"
            else:
                database = self.server.create()
                self.created.append(database)
                self.urls[name] = pg_url_for(database)
        return self.urls[name]

    def close(self) -> None:
        if self.server is not None:
            for database in self.created:
                self.server.release(database)
