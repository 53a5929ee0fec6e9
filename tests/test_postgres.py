"""The same services against PostgreSQL, when a server is available.

Set ORCHESTRATOR_TUI_TEST_PG_URL to a superuser URL such as
postgresql+psycopg://orch:orch@127.0.0.1/postgres (`.ci/run` starts a local server
when it can); without it these tests are skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from orchestrator_tui.domain.errors import Conflict, CycleError, OrchestratorError
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.services.plans import sample_plan_path

PG_URL = os.environ.get("ORCHESTRATOR_TUI_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="ORCHESTRATOR_TUI_TEST_PG_URL not set")


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Iterator[Orchestrator]:
    assert PG_URL
    name = f"orch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    orch = open_orchestrator(url, "tester")
    yield orch
    orch.close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_demo_plan_and_queries_on_postgres(pg: Orchestrator) -> None:
    pg.plans.load_file(sample_plan_path())
    stats = pg.dashboard.stats()
    assert stats.total >= 40 and stats.awaiting_approval == 2
    assert stats.critical_path[0] == "PAY-11"
    assert pg.queries.next_ready() is not None
    with pytest.raises(CycleError, match="PAY-1 -> PAY-46"):
        pg.deps.add("PAY-1", "PAY-46")


def test_racing_decisions_on_postgres_give_one_winner(pg: Orchestrator) -> None:
    pg.plans.load_file(sample_plan_path())
    people = [pg.as_actor(name) for name in ("maria", "omar", "zoe", "kim")]

    def decide(i: int) -> str:
        who = people[i % 4]
        try:
            if i % 2:
                who.approvals.approve("PAY-14")
            else:
                who.approvals.reject("PAY-14", "not yet")
            return "won"
        except (Conflict, OrchestratorError):
            return "lost"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(decide, range(8)))
    assert outcomes.count("won") == 1
    assert len(pg.queries.approvals_for("PAY-14")) == 1


def test_natural_key_and_workflow_status_sorts_on_postgres(pg: Orchestrator) -> None:
    from .core.test_natural_sort import check_sorts

    check_sorts(pg)
