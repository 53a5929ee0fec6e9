"""Every writing service on a real database: what it stores, what it records,
and that a refused write leaves nothing behind."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from orchestrator_tui.domain.enums import (
    AgentStatus,
    AgentType,
    DependencyType,
    EventKind,
    TaskStatus,
)
from orchestrator_tui.domain.errors import (
    Conflict,
    CycleError,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from orchestrator_tui.domain.models import CommandSpec, TaskPatch, TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.store.tables import (
    Agent,
    Feedback,
    Note,
    Participant,
    ProgressRecord,
    Task,
    TaskContext,
    TaskDependency,
)

from .support import add, count_rows, events_of, kinds, open_db, task_row

# -- create and edit -------------------------------------------------------------------


def test_create_stores_every_field(orch: Orchestrator) -> None:
    add(orch, "P")
    add(orch, "A")
    deadline = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    detail = orch.tasks.create(
        TaskSpec(
            key="B",
            title="Build it",
            description="all of it",
            priority="high",
            complexity="very_high",
            component_area="database",
            phase=2,
            parent="P",
            assignee="coder-1",
            agent_type="coding",
            estimated_hours=3.5,
            deadline=deadline,
            success_criteria=["tests pass"],
            requires_approval=True,
            command=CommandSpec(argv=["make", "test"], cwd="/tmp", timeout_seconds=5),
            max_retries=2,
            tags=["x"],
            extra={"jira": "AB-1"},
            depends_on=["A", {"key": "P", "type": "enhances"}],
        )
    )
    assert detail.parent == "P"
    assert detail.deadline == deadline
    assert detail.command is not None and detail.command.argv == ["make", "test"]
    assert [(b.key, b.type) for b in detail.blockers] == [
        ("P", DependencyType.ENHANCES),
        ("A", DependencyType.BLOCKS),
    ]
    assert detail.readiness == "waiting"
    row = task_row(orch, "B")
    assert (row.priority, row.complexity, row.component_area, row.phase) == (
        "high",
        "very_high",
        "database",
        2,
    )
    assert row.extra == {"jira": "AB-1"} and row.version == 1
    [created] = events_of(orch, "B")
    assert (created.kind, created.actor, created.data["title"]) == (
        "task_created",
        "alice",
        "Build it",
    )
    assert orch.queries.get_task("A").dependents[0].key == "B"


def test_create_generates_keys(orch: Orchestrator) -> None:
    keys = [orch.tasks.create(TaskSpec(title=f"t{i}")).key for i in range(3)]
    assert keys == ["T-1", "T-2", "T-3"]
    add(orch, "T-10")
    assert orch.tasks.create(TaskSpec(title="next")).key == "T-11"


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ({"key": "A", "title": "again"}, ValidationFailed, "taken"),
        ({"key": "N", "title": "x", "depends_on": ["nope"]}, NotFound, "nope"),
        ({"key": "N", "title": "x", "parent": "nope"}, NotFound, "nope"),
        ({"key": "N", "title": "x", "depends_on": ["N"]}, CycleError, "N -> N"),
        ({"key": "N", "title": "x", "depends_on": ["A", "A"]}, ValidationFailed, "twice"),
    ],
)
def test_create_refusals_write_nothing(
    orch: Orchestrator, spec: dict, error: type, message: str
) -> None:
    add(orch, "A")
    before = events_of(orch)
    with pytest.raises(error, match=message):
        orch.tasks.create(TaskSpec(**spec))
    assert events_of(orch) == before
    assert count_rows(orch, Task) == 1
    assert count_rows(orch, TaskDependency) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"title": "x", "priority": "urgent"},
        {"title": "x", "phase": 0},
        {"title": "x", "estimated_hours": -1},
        {"title": "x", "key": "has space"},
        {"title": "x", "unknown_field": 1},
        {"title": "x", "progress": 101},
        {"title": "x", "command": {"argv": []}},
        {"title": "x", "command": {"argv": [" "]}},
    ],
)
def test_task_spec_validation(bad: dict) -> None:
    with pytest.raises(ValidationError):
        TaskSpec(**bad)


def test_edit_with_optimistic_version(orch: Orchestrator) -> None:
    add(orch, "A", priority="low")
    detail = orch.tasks.edit("A", TaskPatch(priority="high", title="New"), expected_version=1)
    assert (detail.priority, detail.title, detail.version) == ("high", "New", 2)
    edited = events_of(orch, "A")[-1]
    assert edited.kind == "task_edited"
    assert edited.data["before"] == {"priority": "low", "title": "task A"}
    assert edited.data["after"] == {"priority": "high", "title": "New"}
    before = events_of(orch)
    with pytest.raises(Conflict, match="changed by someone else"):
        orch.tasks.edit("A", TaskPatch(title="Stale"), expected_version=1)
    with pytest.raises(ValidationFailed, match="nothing to change"):
        orch.tasks.edit("A", TaskPatch())
    with pytest.raises(NotFound):
        orch.tasks.edit("B", TaskPatch(title="x"))
    assert events_of(orch) == before
    assert task_row(orch, "A").title == "New" and task_row(orch, "A").version == 2
    cmd = orch.tasks.edit("A", TaskPatch(command=CommandSpec(argv=["echo", "hi"]))).command
    assert cmd is not None and cmd.argv == ["echo", "hi"]


# -- dependencies -------------------------------------------------------------------------


def test_dependencies(orch: Orchestrator) -> None:
    for key in "ABCD":
        add(orch, key)
    orch.deps.add("B", "A")
    orch.deps.add("C", "B")
    orch.deps.add("D", "C", DependencyType.ENABLES)
    assert [e.kind for e in events_of(orch, "B")][-1] == "dependency_added"
    assert events_of(orch, "D")[-1].data == {"on": "C", "type": "enables"}
    before = events_of(orch)

    with pytest.raises(CycleError) as info:
        orch.deps.add("A", "D")
    assert info.value.cycle == ["A", "D", "C", "B", "A"]
    assert "A -> D -> C -> B -> A" in str(info.value)
    with pytest.raises(CycleError, match="A -> A"):
        orch.deps.add("A", "A")
    with pytest.raises(ValidationFailed, match="already depends"):
        orch.deps.add("B", "A")
    with pytest.raises(NotFound):
        orch.deps.add("B", "Z")
    with pytest.raises(NotFound, match="does not depend"):
        orch.deps.remove("A", "B")
    assert events_of(orch) == before
    assert count_rows(orch, TaskDependency) == 3

    orch.deps.remove("C", "B")
    assert kinds(orch, "C")[-2:] == ["dependency_removed", "unblocked"]
    assert events_of(orch, "C")[-1].data["by"] == "B"
    assert orch.queries.get_task("C").readiness == "ready"


def test_removing_one_of_two_blockers_does_not_unblock(orch: Orchestrator) -> None:
    for key in "AB":
        add(orch, key)
    add(orch, "C", deps=["A", "B"])
    orch.deps.remove("C", "A")
    assert kinds(orch, "C")[-1] == "dependency_removed"


@pytest.mark.parametrize(
    ("blocker_status", "dep_type"),
    [
        (TaskStatus.DONE, DependencyType.BLOCKS),  # finished: it held nothing back
        (TaskStatus.PENDING, DependencyType.ENABLES),  # an informational link never gates
    ],
)
def test_removing_a_link_that_held_nothing_back_does_not_unblock(
    orch: Orchestrator, blocker_status: TaskStatus, dep_type: DependencyType
) -> None:
    """`unblocked` says a task became ready; one that was ready already did not."""
    add(orch, "A", status=blocker_status)
    add(orch, "C")
    orch.deps.add("C", "A", dep_type)
    assert orch.queries.get_task("C").readiness == "ready"
    orch.deps.remove("C", "A")
    assert kinds(orch, "C")[-1] == "dependency_removed"


# -- progress, notes, context, feedback, participants ---------------------------------------


def test_progress(orch: Orchestrator) -> None:
    add(orch, "A")
    orch.collab.progress("A", 40, "halfway-ish")
    orch.as_actor("bob").collab.progress("A", 60)
    assert [(p.percent, p.message, p.actor) for p in orch.queries.progress_for("A")] == [
        (40, "halfway-ish", "alice"),
        (60, "", "bob"),
    ]
    row = task_row(orch, "A")
    assert (row.progress, row.version) == (60, 3)
    assert kinds(orch, "A")[-2:] == ["progress", "progress"]
    before = events_of(orch)
    for bad in (-1, 101):
        with pytest.raises(ValidationFailed, match="0-100"):
            orch.collab.progress("A", bad)
    assert events_of(orch) == before and count_rows(orch, ProgressRecord) == 2


def test_notes_are_per_author(orch: Orchestrator) -> None:
    add(orch, "A")
    orch.collab.note("A", "# plan\nstep 1")
    orch.collab.note("A", "step 2")
    orch.as_actor("bob").collab.note("A", "mine")
    notes = {n.author: n.body for n in orch.queries.notes_for("A")}
    assert notes == {"alice": "# plan\nstep 1\n\nstep 2", "bob": "mine"}
    orch.collab.note("A", "fresh", replace=True)
    assert orch.queries.notes_for("A")[0].body == "fresh"
    with pytest.raises(ValidationFailed):
        orch.collab.note("A", "  ")
    assert count_rows(orch, Note) == 2
    assert kinds(orch, "A").count("note") == 4


def test_context_is_a_safe_yaml_mapping(orch: Orchestrator, tmp_path: Path) -> None:
    add(orch, "A")
    orch.collab.set_context("A", "api: v2\nretries: 3\n")
    assert orch.queries.context_data("A") == {"api": "v2", "retries": 3}
    orch.collab.share("A", "owner", "bob")
    assert orch.queries.context_data("A") == {"api": "v2", "retries": 3, "owner": "bob"}
    before = events_of(orch)
    marker = tmp_path / "pwned"
    hostile = f"!!python/object/apply:os.system ['touch {marker}']\n"
    for bad, message in [
        ("- a\n- b\n", "mapping"),
        ("just text", "mapping"),
        ("a: [unclosed", "not valid YAML"),
        (hostile, "not valid YAML"),
        ("x: !!python/object:os.system {}\n", "not valid YAML"),
    ]:
        with pytest.raises(ValidationFailed, match=message):
            orch.collab.set_context("A", bad)
    assert not marker.exists()
    assert events_of(orch) == before
    assert orch.queries.context_data("A")["owner"] == "bob"
    assert count_rows(orch, TaskContext) == 1
    assert kinds(orch, "A")[-2:] == ["context", "context"]


def test_concurrent_shares_keep_every_key(db_url: str) -> None:
    """`share` reads and rewrites the context: it must not lose a racing update."""
    orch = open_db(db_url)
    add(orch, "A")
    orch.collab.set_context("A", "start: 0\n")
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        me = open_db(db_url, f"agent-{n}")
        try:
            for i in range(15):
                me.collab.share("A", f"k{n}-{i}", i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            me.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    data = orch.queries.context_data("A")
    assert len(data) == 1 + 4 * 15
    orch.close()


def test_feedback(orch: Orchestrator) -> None:
    add(orch, "A", status=TaskStatus.DONE)
    orch.collab.feedback("A", 5, 3, "solid")
    [fb] = orch.queries.feedback_for("A")
    assert (fb.quality, fb.timeliness, fb.notes, fb.actor) == (5, 3, "solid", "alice")
    before = events_of(orch)
    for q, t in ((0, 3), (6, 3), (3, 0), (3, 6)):
        with pytest.raises(ValidationFailed, match="1-5"):
            orch.collab.feedback("A", q, t)
    assert events_of(orch) == before and count_rows(orch, Feedback) == 1
    assert kinds(orch, "A")[-1] == "feedback"


def test_feedback_refused_until_the_work_is_done(orch: Orchestrator) -> None:
    for status in TaskStatus:
        if status is not TaskStatus.DONE:
            add(orch, status.name, status=status)
    before = events_of(orch)
    for status in TaskStatus:
        if status is not TaskStatus.DONE:
            with pytest.raises(InvalidTransition, match="only finished"):
                orch.collab.feedback(status.name, 4, 4)
    assert events_of(orch) == before and count_rows(orch, Feedback) == 0


def test_participants(orch: Orchestrator) -> None:
    add(orch, "A")
    orch.collab.join("A", "coder-1", "implementer")
    orch.collab.join("A", "qa-1")
    assert [(p.agent, p.role) for p in orch.queries.participants_for("A")] == [
        ("coder-1", "implementer"),
        ("qa-1", ""),
    ]
    with pytest.raises(ValidationFailed, match="already takes part"):
        orch.collab.join("A", "coder-1", "reviewer")
    assert count_rows(orch, Participant) == 2
    assert events_of(orch, "A")[-1].data == {"agent": "qa-1", "role": ""}


def test_writes_on_unknown_tasks(orch: Orchestrator) -> None:
    before = events_of(orch)
    for call in (
        lambda: orch.collab.progress("X", 1),
        lambda: orch.collab.note("X", "n"),
        lambda: orch.collab.set_context("X", "a: 1"),
        lambda: orch.collab.feedback("X", 1, 1),
        lambda: orch.collab.join("X", "a"),
        lambda: orch.tasks.start("X"),
        lambda: orch.approvals.approve("X"),
    ):
        with pytest.raises(NotFound):
            call()
    assert events_of(orch) == before


# -- agents -------------------------------------------------------------------------------


def test_agents_register_and_heartbeat(db_url: str) -> None:
    from orchestrator_tui.services import open_orchestrator

    now = [datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)]
    orch = open_orchestrator(db_url, "ops", clock=lambda: now[0])
    view = orch.agents.register("coder-1", AgentType.CODING, ["python"])
    assert (view.name, view.status, view.capabilities) == ("coder-1", "active", ["python"])
    now[0] = datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)
    orch.agents.heartbeat("coder-1", AgentStatus.IDLE)
    now[0] = datetime(2030, 1, 1, 12, 1, 30, tzinfo=UTC)
    [agent] = orch.agents.list()
    assert agent.status is AgentStatus.IDLE
    assert agent.heartbeat_age_seconds == 60.0
    with pytest.raises(NotFound):
        orch.agents.heartbeat("ghost")
    again = orch.agents.register("coder-1", AgentType.TESTING)  # idempotent refresh
    assert again.agent_type is AgentType.TESTING
    assert count_rows(orch, Agent) == 1
    assert [e.kind for e in events_of(orch)] == [EventKind.AGENT_REGISTERED]
    orch.close()
