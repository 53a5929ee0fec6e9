"""Shared fixtures: every test gets its own database file under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrator_tui.services import Orchestrator, open_orchestrator

FIXED_NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def orch(db_url: str) -> Iterator[Orchestrator]:
    o = open_orchestrator(db_url, "tester")
    yield o
    o.close()
