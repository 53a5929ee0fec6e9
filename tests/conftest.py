"""Shared fixtures: every test gets its own database, on each backend it asks for.

A test that uses `backend` (directly or through `databases`, `db_url` or `orch`)
runs on SQLite and, when $ORCHESTRATOR_TUI_TEST_PG_URL names a server, on
PostgreSQL too (see tests/databases.py). `@pytest.mark.sqlite_only` keeps a test
about SQLite files (pragmas, backups, the quick first page) to SQLite;
`@pytest.mark.postgres_only` one about PostgreSQL (row locks, LISTEN) to it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrator_tui.services import Orchestrator, open_orchestrator

from .databases import BACKENDS, PG_URL_ENV, Databases, PgServer

FIXED_NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
_ON_POSTGRES = re.compile(r"[\[-]postgres[\]-]")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a test about SQLite itself")
    config.addinivalue_line("markers", "postgres_only: a test about PostgreSQL itself")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = BACKENDS
        if metafunc.definition.get_closest_marker("sqlite_only"):
            backends = ("sqlite",)
        if metafunc.definition.get_closest_marker("postgres_only"):
            backends = tuple(b for b in BACKENDS if b == "postgres")
        metafunc.parametrize("backend", backends, scope="function")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    passed = terminalreporter.stats.get("passed", [])
    on_pg = sum(1 for r in passed if r.when == "call" and _ON_POSTGRES.search(r.nodeid))
    if "postgres" in BACKENDS:
        terminalreporter.write_line(f"PostgreSQL: {on_pg} tests passed against a real server")
    else:
        terminalreporter.write_line(f"PostgreSQL: not tested (${PG_URL_ENV} is not set)")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer | None]:
    if "postgres" not in BACKENDS:
        yield None
        return
    server = PgServer(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    yield server
    server.close()


@pytest.fixture
def databases(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Databases]:
    """Fresh databases on this test's backend: `databases.url(name)`."""
    server = request.getfixturevalue("pg_server") if backend == "postgres" else None
    dbs = Databases(backend, tmp_path, server)
    yield dbs
    dbs.close()


@pytest.fixture
def db_url(databases: Databases) -> str:
    return databases.url()


@pytest.fixture
def orch(db_url: str) -> Iterator[Orchestrator]:
    o = open_orchestrator(db_url, "tester")
    yield o
    o.close()


@pytest.fixture
def a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line believes it runs in a terminal (pytest's streams are not
    one), for tests that open the TUI through it with `run_app` replaced."""
    monkeypatch.setattr("orchestrator_tui.cli.terminal.is_terminal", lambda stream: True)
