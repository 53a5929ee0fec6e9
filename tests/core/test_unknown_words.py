"""A task whose descriptive columns hold words this version does not know (edited
into the database by hand, or by another program) is still shown, sorted and
claimed, as the one rule reads it (`rules.UNKNOWN_WORD_READS_AS`); `db validate`
names each word. Every view crashed on the first such row."""

from __future__ import annotations

from sqlalchemy import update

from orchestrator_tui.domain.enums import AgentType, Complexity, ComponentArea, Priority
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.store.schema import validate
from orchestrator_tui.store.tables import Task

T = Task.__table__.c


def _odd(orch: Orchestrator) -> None:
    for key in ("A", "B"):
        orch.tasks.create(TaskSpec(key=key, title=key, command=CommandSpec(argv=["true"])))
    with orch.db.write() as conn:
        conn.execute(
            update(Task.__table__)
            .where(T.key == "A")
            .values(priority="urgent", complexity="huge", component_area="mobile")
        )
        conn.execute(update(Task.__table__).where(T.key == "B").values(agent_type="robot"))


def test_unknown_words_are_read_as_the_rule_says_everywhere(orch: Orchestrator) -> None:
    _odd(orch)
    (a,) = [row for row in orch.queries.list_tasks() if row.key == "A"]
    assert a.priority is Priority.MEDIUM
    detail = orch.queries.get_task("A")
    assert (detail.priority, detail.complexity, detail.component_area) == (
        Priority.MEDIUM,
        Complexity.MEDIUM,
        ComponentArea.GENERAL,
    )
    assert orch.queries.get_task("B").agent_type is AgentType.HUMAN
    # As a human task is, B is left to a person by a runner serving machine types.
    assert [c.key for c in orch.runs.claim("r", 30, limit=5)] == ["A"]


def test_db_validate_names_each_unknown_word(orch: Orchestrator) -> None:
    _odd(orch)
    with orch.db.read() as conn:
        problems = [p for p in validate(conn) if "does not know" in p]
    assert problems == [
        "1 task whose priority is a word this version does not know, e.g. A's 'urgent' "
        "(taken for medium; `task edit` sets a known one; known: low, medium, high, critical)",
        "1 task whose complexity is a word this version does not know, e.g. A's 'huge' "
        "(taken for medium; `task edit` sets a known one; known: low, medium, high, very_high)",
        "1 task whose component area is a word this version does not know, e.g. A's 'mobile' "
        "(taken for general; `task edit` sets a known one; known: environment, dependencies, "
        "configuration, architecture, database, services, ui, testing, documentation, "
        "security, general)",
        "1 task whose agent type is a word this version does not know, e.g. B's 'robot' "
        "(taken for human; `task edit` sets a known one; known: research, coding, testing, "
        "documentation, human)",
    ]
