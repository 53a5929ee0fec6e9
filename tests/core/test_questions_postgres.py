"""Questions and agent claims on PostgreSQL, when a server is available (see
tests/test_postgres.py for ORCHESTRATOR_TUI_TEST_PG_URL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from orchestrator_tui.domain.errors import Conflict
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator

from ..test_postgres import pg, pytestmark  # noqa: F401  (the fixture and the skip)


def test_questions_and_agent_claims_on_postgres(pg: Orchestrator) -> None:  # noqa: F811
    for n in range(8):
        pg.tasks.create(TaskSpec(key=f"Q-{n}", title=f"task {n}"))
    agents = [pg.as_actor(f"agent-{n}") for n in range(4)]
    with ThreadPoolExecutor(4) as pool:
        won = list(pool.map(lambda a: [a.runs.claim_for_agent(a.actor) for _ in range(3)], agents))
    keys = [k for per_agent in won for k in per_agent if k]
    assert sorted(keys) == sorted(f"Q-{n}" for n in range(8))  # each task once
    asked = agents[0].questions.ask(keys[0], "which region?")
    assert pg.queries.list_tasks()[0].open_questions + pg.questions.count_open() >= 1
    people = [pg.as_actor(name) for name in ("maria", "omar")]

    def answer(person: Orchestrator) -> str:
        try:
            person.questions.answer(keys[0], f"{person.actor}: eu", asked.id)
            return "won"
        except Conflict:
            return "lost"

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(answer, people)) == ["lost", "won"]
    assert [e.key for e in pg.questions.inbox()] == []
