from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator_tui.services import Orchestrator

from .support import open_db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "orchestrator.db"


@pytest.fixture
def orch(db_url: str) -> Iterator[Orchestrator]:
    o = open_db(db_url)
    yield o
    o.close()
