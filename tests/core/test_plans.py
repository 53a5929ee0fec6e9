"""The plan loader: a whole plan with history goes in, or nothing does, and a
refusal names the file, the record and the field."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from orchestrator_tui.domain.errors import CycleError, ValidationFailed
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.plans import sample_plan_path
from orchestrator_tui.store.quick_reads import open_reads
from orchestrator_tui.store.schema import table_counts

from .support import add

GOOD = {
    "name": "tiny",
    "agents": [
        {"name": "ada", "type": "coding", "capabilities": ["python"], "last_heartbeat": "-5s"},
        {"name": "maria", "type": "human"},
    ],
    "tasks": [
        {"key": "K-1", "title": "first", "status": "done", "estimated_hours": 2},
        {
            "key": "K-2",
            "title": "second",
            "depends_on": ["K-1"],
            "status": "failed",
            "created": "-2d",
            "updated": "2030-01-01T10:00:00",
            "runs": [
                {
                    "agent": "ada",
                    "status": "failed",
                    "exit_code": 1,
                    "started": "-1h",
                    "ended": "-50m",
                    "log": "\x1b[31mred\x1b[0m\nline two",
                    "stderr": "boom",
                }
            ],
            "progress_history": [{"percent": 30, "message": "started", "by": "ada", "at": "-1h"}],
            "notes": {"ada": "# notes"},
            "context": {"api": "v2"},
            "participants": [{"agent": "ada", "role": "implementer"}],
            "feedback": [{"quality": 4, "timeliness": 5, "by": "maria"}],
        },
        {"key": "K-3", "title": "third", "parent": "K-2", "depends_on": ["K-1", "K-2"]},
    ],
}


def write(tmp_path: Path, data: object, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def snapshot(orch: Orchestrator) -> dict[str, int]:
    with orch.db.read() as conn:
        return table_counts(conn)


def test_loads_a_plan_with_history(orch: Orchestrator, tmp_path: Path) -> None:
    result = orch.plans.load_file(write(tmp_path, GOOD))
    assert (result.tasks, result.dependencies, result.runs, result.log_lines) == (3, 3, 1, 3)
    q = orch.queries
    k2 = q.get_task("K-2")
    assert k2.status == "failed" and [b.key for b in k2.blockers] == ["K-1"]
    assert k2.attempts == 1 and k2.updated_at.isoformat() == "2030-01-01T10:00:00+00:00"
    assert (k2.created_at - k2.completed_at if k2.completed_at else None) is None
    assert q.get_task("K-3").parent == "K-2"
    [run] = q.runs_for("K-2")
    assert (run.agent, run.status, run.exit_code, run.line_count) == ("ada", "failed", 1, 3)
    assert run.duration_seconds == 600
    lines = q.log_lines(run.id)
    assert [(line.stream, line.text) for line in lines] == [
        ("stdout", "\x1b[31mred\x1b[0m"),
        ("stdout", "line two"),
        ("stderr", "boom"),
    ]
    assert [(p.percent, p.actor) for p in q.progress_for("K-2")] == [(30, "ada")]
    assert q.notes_for("K-2")[0].body == "# notes"
    assert q.context_data("K-2") == {"api": "v2"}
    assert q.participants_for("K-2")[0].role == "implementer"
    assert q.feedback_for("K-2")[0].quality == 4
    agents = {a.name: a for a in orch.agents.list()}
    assert agents["ada"].status == "active" and agents["maria"].last_heartbeat is None
    kinds = [e.kind for e in q.recent_events(10)]
    assert kinds[0] == "plan_imported" and kinds.count("task_created") == 3
    assert q.get_task("K-1").completed_at is not None


def test_demo_plan_covers_the_acceptance_list(orch: Orchestrator) -> None:
    result = orch.plans.load_file(sample_plan_path())
    rows = orch.queries.list_tasks()
    assert result.tasks == len(rows) >= 40
    assert len({r.phase for r in rows}) >= 3
    assert {a.agent_type.value for a in orch.agents.list()} == {
        "research",
        "coding",
        "testing",
        "documentation",
        "human",
    }
    stats = orch.dashboard.stats()
    assert stats.awaiting_approval >= 1 and stats.by_status["failed"] >= 1
    # a chain and a diamond of dependencies
    dependents: dict[str, list[str]] = {}
    blockers: dict[str, list[str]] = {}
    for r in rows:
        for b in orch.queries.links(r.key, upstream=True):
            blockers.setdefault(r.key, []).append(b.key)
            dependents.setdefault(b.key, []).append(r.key)
    diamonds = [
        (top, bottom)
        for top, kids in dependents.items()
        for bottom, ups in blockers.items()
        if len(set(ups) & set(kids)) >= 2
    ]
    assert diamonds, "the demo plan has a diamond"
    assert len(orch.queries.critical_path()[0]) >= 3, "and a chain"
    logs_with_colour = [
        line
        for r in rows
        if r.status == "failed"
        for run in orch.queries.runs_for(r.key)
        for line in orch.queries.log_lines(run.id)
        if "\x1b[" in line.text
    ]
    assert logs_with_colour
    with orch.db.read() as conn:
        counts = table_counts(conn)
    assert counts["progress"] > 0 and counts["notes"] > 0 and counts["task_context"] > 0


def _bad(**task_fields: object) -> dict:
    tasks = [dict(t) for t in GOOD["tasks"]]
    tasks[2].update(task_fields)
    return {**GOOD, "tasks": tasks}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_bad(priority="urgent"), r"tasks\[2\] \(K-3\)\.priority: Input should be"),
        (_bad(depends_on=["K-9"]), r"tasks\[2\] \(K-3\): depends_on: unknown task 'K-9'"),
        (_bad(parent="K-9"), r"tasks\[2\] \(K-3\): parent: unknown task 'K-9'"),
        (_bad(key="K-1"), r"tasks\[2\] \(K-1\): key: duplicate of tasks\[0\]"),
        (_bad(key="bad key"), r"tasks\[2\] \(bad key\)\.key: String should match"),
        (_bad(surprise=1), r"tasks\[2\] \(K-3\)\.surprise: Extra inputs"),
        (_bad(deadline="next tuesday"), r"tasks\[2\] \(K-3\)\.deadline: .*ISO 8601"),
        (_bad(depends_on=["K-1", "K-1"]), r"tasks\[2\] \(K-3\): depends_on: K-1 named twice"),
        (
            _bad(participants=[{"agent": "ada"}, {"agent": "ada", "role": "x"}]),
            r"tasks\[2\] \(K-3\): participants: ada named twice",
        ),
        (
            _bad(feedback=[{"quality": 9, "timeliness": 1}]),
            r"tasks\[2\] \(K-3\)\.feedback\[0\]\.quality: Input should be less",
        ),
        (
            {**GOOD, "agents": [*GOOD["agents"], {"name": "ada"}]},
            r"agents\[2\] \(ada\): name: duplicate of agents\[0\]",
        ),
        ({**GOOD, "version": 2}, r"version: Input should be less"),
        ([1, 2], "a plan is a mapping"),
        ("tasks: [unclosed", "invalid YAML"),
        ("!!python/object/apply:os.system ['true']", "invalid YAML"),
        ("a: &a [1]\n" + "".join(f"b{i}: *a\n" for i in range(300)), "aliases"),
    ],
)
def test_refusals_write_nothing(
    orch: Orchestrator, tmp_path: Path, data: object, message: str
) -> None:
    add(orch, "existing")
    before = snapshot(orch)
    path = write(tmp_path, data)
    with pytest.raises(ValidationFailed, match=message) as info:
        orch.plans.load_file(path)
    assert str(info.value).startswith(str(path))
    assert snapshot(orch) == before


def test_cycle_in_a_plan_is_named_with_its_file(orch: Orchestrator, tmp_path: Path) -> None:
    data = _bad(depends_on=["K-2"])
    data["tasks"][0] = {**data["tasks"][0], "depends_on": ["K-3"]}
    path = write(tmp_path, data)
    with pytest.raises(CycleError) as info:
        orch.plans.load_file(path)
    assert str(info.value).startswith(f"{path}: ")
    assert "K-1 -> K-3 -> K-2 -> K-1" in str(info.value) or set(info.value.cycle) >= {"K-1", "K-3"}
    assert orch.queries.count_tasks() == 0


def test_self_dependency_in_a_plan(orch: Orchestrator, tmp_path: Path) -> None:
    path = write(tmp_path, _bad(depends_on=["K-3"]))
    with pytest.raises(CycleError, match="K-3 -> K-3"):
        orch.plans.load_file(path)
    assert orch.queries.count_tasks() == 0


def test_loading_the_same_plan_again_changes_no_task(orch: Orchestrator, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = orch.plans.load_file(path)
    tasks_before = [t.model_dump() for t in orch.queries.list_tasks()]
    again = orch.plans.load_file(path)
    assert (again.added, again.changed, again.unchanged) == (0, 0, first.added)
    assert [t.model_dump() for t in orch.queries.list_tasks()] == tasks_before


def test_a_second_plan_may_reuse_agents_and_refer_to_existing_tasks(
    orch: Orchestrator, tmp_path: Path
) -> None:
    orch.plans.load_file(write(tmp_path, GOOD))
    more = {
        "agents": [{"name": "ada", "type": "coding"}],
        "tasks": [{"key": "M-1", "title": "more", "depends_on": ["K-3"], "parent": "K-1"}],
    }
    orch.plans.load_file(write(tmp_path, more, "more.yaml"))
    assert [b.key for b in orch.queries.get_task("M-1").blockers] == ["K-3"]
    assert orch.queries.get_task("M-1").parent == "K-1"
    assert [a.name for a in orch.agents.list()] == ["ada", "maria"]


def test_failure_late_in_a_big_plan_writes_nothing(orch: Orchestrator, tmp_path: Path) -> None:
    tasks = [{"key": f"B-{i}", "title": f"t{i}"} for i in range(5_200)]  # past one batch
    tasks[-1]["participants"] = [{"agent": "x"}, {"agent": "x"}]
    path = write(tmp_path, {"tasks": tasks})
    with pytest.raises(ValidationFailed, match=r"tasks\[5199\] \(B-5199\)"):
        orch.plans.load_file(path)
    assert orch.queries.count_tasks() == 0


def test_relative_times_and_plain_dates(orch: Orchestrator, tmp_path: Path) -> None:
    plan = textwrap.dedent(
        """
        tasks:
          - key: D-1
            title: dated
            deadline: 2031-05-06
            created: -1d4h30m
        """
    )
    orch.plans.load_file(write(tmp_path, plan))
    task = orch.queries.get_task("D-1")
    assert task.deadline is not None and task.deadline.isoformat() == "2031-05-06T00:00:00+00:00"
    age = task.updated_at - task.created_at
    assert age.total_seconds() == 0


def test_a_task_loaded_awaiting_approval_waits_since_the_plan_says(
    orch: Orchestrator, tmp_path: Path, db_url: str
) -> None:
    """Its approval request is dated by the plan (the inbox orders by that); the
    timeline lists events in the order they were written, the creation first."""
    gate = {"key": "GATE", "title": "review me", "status": "awaiting_approval", "updated": "-3d"}
    orch.plans.load_file(write(tmp_path, {"tasks": [gate]}))
    timeline = orch.queries.timeline("GATE")
    assert [e.kind for e in timeline] == ["task_created", "approval_requested"]
    [waiting] = orch.queries.waiting_approvals()
    requested = timeline[1].created_at
    assert waiting.waiting_since == requested == orch.queries.get_task("GATE").updated_at
    assert requested < timeline[0].created_at
    if db_url.startswith("sqlite"):  # the quick reads of `task show` say the same
        reads = open_reads(db_url)
        assert reads is not None
        try:
            assert reads.timeline("GATE") == timeline
        finally:
            reads.close()


def test_a_task_loaded_awaiting_approval_was_submitted_by_no_one(
    orch: Orchestrator, tmp_path: Path
) -> None:
    """Whoever loaded it did not submit it: its request names no actor, and the
    loader may approve it (the own-work rule finds no submitter)."""
    gate = {"key": "GATE", "title": "review me", "status": "awaiting_approval"}
    orch.plans.load_file(write(tmp_path, {"tasks": [gate]}))
    created, requested = orch.queries.timeline("GATE")
    assert (created.actor, requested.kind, requested.actor) == (
        orch.ctx.actor,
        "approval_requested",
        "",
    )
    assert orch.approvals.approval_refusal("GATE") is None
    assert orch.approvals.approve("GATE").status.value == "done"


def statements_of(orch: Orchestrator, job: Callable[[], object]) -> list[str]:
    """The SQL statements `job` sends to the database, whitespace collapsed and
    identifiers unquoted (SQLite's dialect quotes `"key"`, PostgreSQL's does not)."""
    from sqlalchemy import event

    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.replace('"', "").split()))

    event.listen(orch.ctx.db.engine, "before_cursor_execute", seen)
    try:
        job()
    finally:
        event.remove(orch.ctx.db.engine, "before_cursor_execute", seen)
    return statements


def test_a_load_reads_no_new_task_back(orch: Orchestrator, tmp_path: Path) -> None:
    """The load knows which of its new tasks wait for approval: after writing them
    it reads no status back (PostgreSQL's bulk copy reads the new ids by key, as
    it must: COPY returns none)."""
    tasks = [{"key": f"N-{i}", "title": "t", "requires_approval": True} for i in range(1000)]
    tasks[7]["status"] = "awaiting_approval"
    path = write(tmp_path, {"tasks": tasks})
    statements = statements_of(orch, lambda: orch.plans.load_file(path))
    first_insert = next(
        i for i, s in enumerate(statements) if s.startswith(("INSERT INTO tasks", "COPY tasks"))
    )
    reads = [
        s
        for s in statements[first_insert:]
        if s.startswith("SELECT") and "FROM tasks" in s and "status" in s
    ]
    assert reads == []
    assert [e.kind for e in orch.queries.timeline("N-7")] == ["task_created", "approval_requested"]
    assert [e.kind for e in orch.queries.timeline("N-8")] == ["task_created"]


def test_a_reimport_reads_each_task_once(orch: Orchestrator, tmp_path: Path) -> None:
    """Tasks matched by their source and id are not looked up again by key."""
    tasks = [
        {"key": f"R-{i}", "title": "t", "source": "s", "external_id": str(i)} for i in range(3)
    ]
    tasks[2]["depends_on"] = ["R-0"]
    path = write(tmp_path, {"tasks": tasks})
    orch.plans.load_file(path)
    tasks[1]["title"] = "changed"
    path = write(tmp_path, {"tasks": tasks})
    result = orch.plans.load_file(path)
    assert (result.added, result.changed, result.unchanged) == (0, 1, 2)
    statements = statements_of(orch, lambda: orch.plans.load_file(path))
    rows_read = [s for s in statements if s.startswith("SELECT tasks.id, tasks.key, tasks.title")]
    assert len(rows_read) == 1
    assert [b.key for b in orch.queries.get_task("R-2").blockers] == ["R-0"]


def test_a_task_without_a_command_stores_no_command(orch: Orchestrator, tmp_path: Path) -> None:
    """SQL NULL, whether loaded or created (not the JSON text 'null'); a database
    written before, with 'null', reads the same: no command to run."""
    from sqlalchemy import text

    plan = {
        "tasks": [
            {"key": "P-1", "title": "p"},
            {"key": "P-2", "title": "c", "command": {"argv": ["true"]}},
        ]
    }
    orch.plans.load_file(write(tmp_path, plan))
    add(orch, "C-1")
    add(orch, "C-2")
    with orch.ctx.db.write() as conn:
        stored = dict(conn.execute(text("SELECT key, command FROM tasks ORDER BY key")).all())
        assert stored == {"C-1": None, "C-2": None, "P-1": None, "P-2": stored["P-2"]}
        assert stored["P-2"] is not None
        conn.execute(text("UPDATE tasks SET command = 'null' WHERE key = 'C-2'"))
    for key in ("P-1", "C-1", "C-2"):
        assert orch.queries.get_task(key).command is None
    rows = {r.key: r.has_command for r in orch.queries.list_tasks()}
    assert rows == {"P-1": False, "P-2": True, "C-1": False, "C-2": False}


@pytest.mark.parametrize("scan_above", [1, 5000])
def test_a_reimport_makes_the_links_the_plans_whether_looked_up_or_scanned(
    orch: Orchestrator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scan_above: int
) -> None:
    """Large plans read the links of their matched tasks in one pass, small ones by
    id: either way the links end up as the plan says."""
    from orchestrator_tui.services import plans

    monkeypatch.setattr(plans, "_SCAN_ABOVE", scan_above)
    add(orch, "HERE")
    add(orch, "THERE", deps=["HERE"])  # links of tasks the plan does not have stay
    tasks = [
        {"key": f"L-{i}", "title": "t", "source": "s", "external_id": str(i)} for i in range(4)
    ]
    tasks[1]["depends_on"] = ["L-0"]
    tasks[2]["depends_on"] = ["L-0", "L-1"]
    orch.plans.load_file(write(tmp_path, {"tasks": tasks}))
    tasks[1]["depends_on"] = []
    tasks[2]["depends_on"] = ["L-1", {"key": "L-3", "type": "enhances"}]
    result = orch.plans.load_file(write(tmp_path, {"tasks": tasks}))
    assert (result.dependencies_added, result.dependencies_removed) == (1, 2)
    links = {
        key: sorted((b.key, b.type.value) for b in orch.queries.get_task(key).blockers)
        for key in ("L-1", "L-2", "THERE")
    }
    assert links == {
        "L-1": [],
        "L-2": [("L-1", "blocks"), ("L-3", "enhances")],
        "THERE": [("HERE", "blocks")],
    }


def test_plan_times_read_as_absolute_time_reads_them() -> None:
    """The plan's own reading of a time agrees with `absolute_time` (the one rule),
    and keeps relative times as written."""
    from datetime import UTC, date, datetime

    from orchestrator_tui.domain.plan import PlanTask, absolute_time

    def read(value: object) -> object:
        return PlanTask.model_validate({"key": "T", "title": "t", "created": value}).created

    for value in [
        "2025-01-01",
        "2025-01-01T10:00:00",
        " 2025-01-01T10:00:00+02:00 ",
        "2025-01-01 10:00:00.5Z",
        datetime(2025, 1, 1, 10),
        date(2025, 1, 1),
    ]:
        assert read(value) == absolute_time(value) and read(value).tzinfo is not None
    assert read(datetime(2025, 1, 1, tzinfo=UTC)) == datetime(2025, 1, 1, tzinfo=UTC)
    assert read(" -2h30m ") == "-2h30m"
    with pytest.raises(ValueError, match="'soon' is neither an ISO 8601 time nor relative"):
        read("soon")


def test_a_plan_may_name_a_later_task_as_a_blocker(orch: Orchestrator, tmp_path: Path) -> None:
    """Order in the file is not dependency order: a blocker further down loads, and
    a cycle through one is still refused."""
    tasks = [
        {"key": "F-1", "title": "first", "depends_on": ["F-3"]},
        {"key": "F-2", "title": "second", "depends_on": ["F-1"]},
        {"key": "F-3", "title": "third"},
    ]
    orch.plans.load_file(write(tmp_path, {"tasks": tasks}))
    assert [b.key for b in orch.queries.get_task("F-1").blockers] == ["F-3"]
    tasks[2]["depends_on"] = ["F-2"]
    for task in tasks:
        task["key"] = task["key"].replace("F-", "G-")
        task["depends_on"] = [k.replace("F-", "G-") for k in task.get("depends_on", [])]
    with pytest.raises(CycleError, match="G-1 -> G-3 -> G-2 -> G-1"):
        orch.plans.load_file(write(tmp_path, {"tasks": tasks}, "cycle.yaml"))


def test_the_inbox_holds_exactly_the_tasks_a_person_can_decide(
    orch: Orchestrator, tmp_path: Path
) -> None:
    """Whether a task was created, loaded or moved into its status, the approval
    request on record, the inbox and the decision keys agree over every status."""
    from orchestrator_tui.domain.enums import TaskStatus
    from orchestrator_tui.domain.models import TaskSpec

    loaded = [{"key": f"L-{s.value}", "title": "t", "status": s.value} for s in TaskStatus]
    orch.plans.load_file(write(tmp_path, {"tasks": loaded}))
    for s in TaskStatus:
        orch.tasks.create(TaskSpec(key=f"C-{s.value}", title="t", status=s))
    orch.tasks.create(TaskSpec(key="M", title="t", requires_approval=True))
    orch.tasks.start("M")
    orch.tasks.complete("M")  # moved into awaiting approval
    decidable = {r.key for r in orch.queries.list_tasks() if r.can_decide}
    assert decidable == {"L-awaiting_approval", "C-awaiting_approval", "M"}
    assert {w.key for w in orch.queries.waiting_approvals()} == decidable
    inbox = orch.questions.inbox()
    assert {e.key for e in inbox if e.kind == "approval" and e.row is not None} == decidable
    requested = {
        e.task_key for e in orch.queries.recent_events(1000) if e.kind == "approval_requested"
    }
    assert requested == decidable


def test_a_task_is_dated_started_alike_created_loaded_or_moved(
    orch: Orchestrator, tmp_path: Path
) -> None:
    """Created or loaded in a status (no dates given), a task has a start date exactly
    when moving it there from pending would have started it (`STARTED`)."""
    from orchestrator_tui.domain.enums import TaskStatus
    from orchestrator_tui.domain.models import TaskSpec
    from orchestrator_tui.domain.state_machine import STARTED, can_change_status

    loaded = [{"key": f"L-{s.value}", "title": "t", "status": s.value} for s in TaskStatus]
    orch.plans.load_file(write(tmp_path, {"tasks": loaded}))
    for s in TaskStatus:
        orch.tasks.create(TaskSpec(key=f"C-{s.value}", title="t", status=s))
        path = {TaskStatus.PENDING: [TaskStatus.PENDING]}  # the shortest way there
        while s not in path:
            for a, walked in list(path.items()):
                for b in TaskStatus:
                    if b not in path and can_change_status(a, b):
                        path[b] = [*walked, b]
        orch.tasks.create(TaskSpec(key=f"M-{s.value}", title="t"))
        for step in path[s][1:]:
            orch.tasks.transition(f"M-{s.value}", step, reason="on the way")
    for s in TaskStatus:
        for how in "CLM":
            started = orch.queries.get_task(f"{how}-{s.value}").started_at is not None
            assert started == (s in STARTED), (how, s)
