"""A database reset (`db reset`, `db copy --replace`) under a running MCP server: the
client's keys and ids are stale, so the next call is refused saying so, nothing is
written for it, and later calls serve the database as it is now."""

from __future__ import annotations

from pathlib import Path

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator

from ..runner.helpers import reset_elsewhere
from .conftest import call, refused, session

RESET = "was reset (emptied) since your last call"


def _refilled(db: Path) -> None:
    """Reset, then another task A and another question 1 (ids start over)."""
    reset_elsewhere(f"sqlite:///{db}")
    again = open_orchestrator(str(db), "bob")
    again.tasks.create(TaskSpec(key="A", title="another A"))
    again.questions.ask("A", "someone else's question")
    again.close()


async def test_a_read_after_a_reset_is_refused_once_then_served_anew(
    db: Path, orch: Orchestrator
) -> None:
    orch.tasks.create(TaskSpec(key="A", title="the first A"))
    async with session(db) as client:
        assert (await call(client, "get_task", key="A"))["title"] == "the first A"
        asked = await call(client, "ask_question", key="A", question="which branch?")
        _refilled(db)
        said = await refused(client, "get_answer", question_id=asked["id"])
        assert said.startswith("error: the database ") and RESET in said
        found = await call(client, "get_answer", question_id=asked["id"])
        assert found["question"] == "someone else's question"  # asked after the reset
        assert (await call(client, "get_task", key="A"))["title"] == "another A"


async def test_a_write_after_a_reset_is_refused_and_writes_nothing(
    db: Path, orch: Orchestrator
) -> None:
    orch.tasks.create(TaskSpec(key="A", title="the first A"))
    async with session(db) as client:
        await call(client, "get_task", key="A")
        _refilled(db)
        said = await refused(client, "set_status", key="A", to="start")
        assert RESET in said
    fresh = open_orchestrator(str(db), "alice")
    try:
        assert fresh.queries.get_task("A").status.value == "pending"
    finally:
        fresh.close()
