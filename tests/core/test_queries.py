"""Read-side queries: task lists, next ready, approvals inbox, trees, timeline,
critical path and dashboard numbers, on small hand-made plans."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator_tui.domain.enums import DependencyType, Readiness, TaskStatus
from orchestrator_tui.domain.models import TaskPatch, TaskSpec
from orchestrator_tui.services import Orchestrator, TaskFilter, open_orchestrator

from .support import add

S = TaskStatus
START = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(db_url: str, clock: Clock) -> Iterator[Orchestrator]:
    o = open_orchestrator(db_url, "alice", clock=clock)
    yield o
    o.close()


def keys(rows: list) -> list[str]:
    return [r.key for r in rows]


@pytest.fixture
def plan(orch: Orchestrator) -> Orchestrator:
    """A: done; B, C wait on A (ready); D waits on B and C; E stands alone, high;
    F in progress; G blocked; H awaiting approval."""
    add(orch, "A", status=S.DONE, estimated_hours=2, phase=1, assignee="ann")
    add(orch, "B", deps=["A"], estimated_hours=3, priority="low", component_area="ui")
    add(orch, "C", deps=["A"], estimated_hours=5, title="Write the docs", assignee="ann")
    add(orch, "D", deps=["B", "C"], estimated_hours=1, phase=2, component_area="ui")
    add(orch, "E", priority="high", phase=2, title="50% done_thing")
    add(orch, "F", status=S.IN_PROGRESS, estimated_hours=4, assignee="bob")
    add(orch, "G", status=S.BLOCKED, phase=3)
    add(orch, "H", status=S.AWAITING_APPROVAL, requires_approval=True, phase=3)
    return orch


def test_list_filters(plan: Orchestrator) -> None:
    q = plan.queries
    assert keys(q.list_tasks()) == list("ABCDEFGH")
    ready = q.list_tasks(TaskFilter(readiness=frozenset({Readiness.READY})))
    assert keys(ready) == ["B", "C", "E"]
    waiting = q.list_tasks(TaskFilter(readiness=frozenset({Readiness.WAITING})))
    assert keys(waiting) == ["D"] and waiting[0].unfinished_blockers == 2
    assert keys(q.list_tasks(TaskFilter(readiness=frozenset({Readiness.ACTIVE})))) == ["F", "H"]
    assert keys(q.list_tasks(TaskFilter(readiness=frozenset({Readiness.STOPPED})))) == ["G"]
    assert keys(q.list_tasks(TaskFilter(readiness=frozenset({Readiness.CLOSED})))) == ["A"]
    both = TaskFilter(statuses=frozenset({S.BLOCKED, S.DONE}))
    assert keys(q.list_tasks(both)) == ["A", "G"]
    assert keys(q.list_tasks(TaskFilter(assignee="ann"))) == ["A", "C"]
    assert keys(q.list_tasks(TaskFilter(text="docs"))) == ["C"]
    assert keys(q.list_tasks(TaskFilter(text="DOCS"))) == ["C"]
    # LIKE wildcards in the search text are taken literally
    assert keys(q.list_tasks(TaskFilter(text="50%"))) == ["E"]
    assert keys(q.list_tasks(TaskFilter(text="e_t"))) == ["E"]
    assert keys(q.list_tasks(TaskFilter(text="%"))) == ["E"]
    assert q.count_tasks(TaskFilter(readiness=frozenset({Readiness.READY}))) == 3
    assert q.count_tasks() == 8


def test_list_sorts_and_pages(plan: Orchestrator) -> None:
    q = plan.queries
    assert keys(q.list_tasks(sort="priority", descending=True))[:1] == ["E"]
    assert keys(q.list_tasks(sort="priority"))[0] == "B"
    assert keys(q.list_tasks(sort="phase", descending=True))[:2] == ["G", "H"]
    assert keys(q.list_tasks(sort="title"))[0] == "E"  # "50% ..." sorts first
    by_status = q.list_tasks(sort="status")  # the workflow order, not the alphabet
    assert [r.status for r in by_status] == sorted(
        (r.status for r in by_status), key=list(TaskStatus).index
    )
    assert by_status[0].status is TaskStatus.PENDING
    assert keys(by_status).index("H") < keys(by_status).index("G")  # awaiting, then blocked
    assert keys(q.list_tasks(limit=3, offset=2)) == ["C", "D", "E"]
    with pytest.raises(ValueError, match="unknown sort"):
        q.list_tasks(sort="nope")


def test_rows_carry_readiness(plan: Orchestrator) -> None:
    rows = {r.key: r for r in plan.queries.list_tasks()}
    assert rows["A"].progress == 100 and rows["A"].readiness is Readiness.CLOSED
    assert rows["D"].readiness is Readiness.WAITING
    assert rows["H"].requires_approval


def test_next_ready_order(orch: Orchestrator) -> None:
    """Priority first, then the oldest (a claim's order): finished dependencies do
    not count."""
    assert orch.queries.next_ready() is None
    add(orch, "Z0", status=S.DONE)
    add(orch, "Z1", status=S.DONE)
    add(orch, "M-two-deps", priority="medium", deps=["Z0", "Z1"])
    add(orch, "M-one-dep", priority="medium", deps=["Z0"])
    add(orch, "M-no-deps-late", priority="medium")
    add(orch, "L-none", priority="low")
    add(orch, "H-waiting", priority="critical", deps=["L-none"])
    order = []
    while (row := orch.queries.next_ready()) is not None:
        order.append(row.key)
        orch.tasks.start(row.key)
    assert order == ["M-two-deps", "M-one-dep", "M-no-deps-late", "L-none"]
    orch.tasks.complete("L-none")
    assert orch.queries.next_ready().key == "H-waiting"
    assert orch.queries.ready_keys() == ["H-waiting"]


def test_next_ready_ties_break_by_id_and_agent_type(orch: Orchestrator) -> None:
    add(orch, "B", priority="high", agent_type="testing")
    add(orch, "A", priority="high")
    add(orch, "C", priority="high", agent_type="coding")
    assert orch.queries.next_ready().key == "B"
    assert orch.queries.next_ready("coding").key == "A"  # untyped tasks suit anyone
    orch.tasks.start("A")
    assert orch.queries.next_ready("coding").key == "C"
    assert orch.queries.next_ready("research") is None


def test_waiting_approvals_oldest_first(timed: Orchestrator, clock: Clock) -> None:
    for key in ("A", "B", "C"):
        add(timed, key, requires_approval=True, assignee=f"{key.lower()}-agent")
        timed.tasks.start(key)
    for key in ("B", "C", "A"):
        clock.advance(minutes=5)
        timed.tasks.complete(key)
    inbox = timed.queries.waiting_approvals()
    assert keys(inbox) == ["B", "C", "A"]
    assert inbox[0].waiting_since == START + timedelta(minutes=5)
    assert inbox[0].assignee == "b-agent"
    clock.advance(minutes=1)
    timed.as_actor("rev").approvals.approve("B")
    assert keys(timed.queries.waiting_approvals()) == ["C", "A"]


def test_timeline(timed: Orchestrator, clock: Clock) -> None:
    add(timed, "A")
    clock.advance(minutes=1)
    timed.tasks.start("A")
    clock.advance(minutes=1)
    timed.collab.progress("A", 50, "half")
    timed.as_actor("bob").collab.note("A", "n")
    events = timed.queries.timeline("A")
    assert [(e.kind, e.actor) for e in events] == [
        ("task_created", "alice"),
        ("status_changed", "alice"),
        ("progress", "alice"),
        ("note", "bob"),
    ]
    assert [e.created_at for e in events[:2]] == [START, START + timedelta(minutes=1)]
    assert events[1].summary() == "moved from pending to in progress"
    assert events[2].summary() == "progress 50%: half"
    assert all(e.task_key == "A" for e in events)
    assert timed.queries.last_event_id() == events[-1].id
    assert [e.kind for e in timed.queries.recent_events(2)] == ["note", "progress"]


def test_links_and_trees(plan: Orchestrator) -> None:
    q = plan.queries
    assert [b.key for b in q.links("D", upstream=True)] == ["B", "C"]
    assert [d.key for d in q.links("A", upstream=False)] == ["B", "C"]
    up = q.tree("D", upstream=True)
    assert up.key == "D" and [c.key for c in up.children] == ["B", "C"]
    assert [g.key for g in up.children[0].children] == ["A"]
    down = q.tree("A", upstream=False)
    assert [c.key for c in down.children] == ["B", "C"]
    assert [g.key for g in down.children[1].children] == ["D"]
    # the critical path of open work is C (5h) -> D (1h); A is done
    assert q.critical_path() == (["C", "D"], 6.0)
    marks = {c.key: c.on_critical_path for c in up.children}
    assert marks == {"B": False, "C": True}
    assert up.on_critical_path


def test_tree_budget_bounds_large_fan_out(orch: Orchestrator) -> None:
    add(orch, "root")
    for i in range(30):
        add(orch, f"leaf-{i}", deps=["root"])
    tree = orch.queries.tree("root", upstream=False, max_nodes=10)
    assert len(tree.children) == 10


def test_critical_path_unknown_estimate_counts_one_hour(orch: Orchestrator) -> None:
    add(orch, "A")
    add(orch, "B", deps=["A"], estimated_hours=0.5)
    add(orch, "C", estimated_hours=1.4)
    add(orch, "X", status=S.CANCELLED, estimated_hours=50)
    add(orch, "Y", deps=["X"], estimated_hours=0.1)
    assert orch.queries.critical_path() == (["A", "B"], 1.5)


def test_dashboard_numbers(plan: Orchestrator) -> None:
    stats = plan.dashboard.stats()
    assert stats.total == 8
    assert stats.by_status == {
        S.PENDING: 4,
        S.IN_PROGRESS: 1,
        S.AWAITING_APPROVAL: 1,
        S.BLOCKED: 1,
        S.DEFERRED: 0,
        S.FAILED: 0,
        S.DONE: 1,
        S.CANCELLED: 0,
    }
    assert (stats.ready, stats.waiting, stats.awaiting_approval) == (3, 1, 1)
    # 2 + 3 + 5 + 1 + 4, and E, G, H have no estimate so weigh 1h each
    assert stats.estimated_hours_total == 18.0
    assert stats.estimated_hours_done == 2.0
    assert stats.progress_percent == 11.1
    assert stats.by_phase == {
        1: {S.DONE: 1, S.PENDING: 2, S.IN_PROGRESS: 1},
        2: {S.PENDING: 2},
        3: {S.BLOCKED: 1, S.AWAITING_APPROVAL: 1},
    }
    assert stats.by_component == {"general": 6, "ui": 2}
    assert stats.by_assignee == {"ann": {S.DONE: 1, S.PENDING: 1}, "bob": {S.IN_PROGRESS: 1}}
    assert (stats.critical_path, stats.critical_path_hours) == (["C", "D"], 6.0)
    # newest first: the request the task loaded awaiting approval carries follows
    # the tasks' creation
    kinds = [e.kind for e in stats.recent_events]
    assert kinds[0] == "approval_requested" and set(kinds[1:]) == {"task_created"}
    assert sum(stats.completions_per_hour) == 1 and stats.completions_per_hour[-1] == 1


def test_completions_per_hour(timed: Orchestrator, clock: Clock) -> None:
    for i in range(3):
        add(timed, f"T{i}")
        timed.tasks.start(f"T{i}")
    timed.tasks.complete("T0")  # 26.5 h before the stats: outside the 24 h window
    clock.advance(hours=24)
    timed.tasks.complete("T1")  # 2.5 h before: bucket 21
    clock.advance(hours=2)
    timed.tasks.complete("T2")  # 0.5 h before: the last bucket
    clock.advance(minutes=30)
    buckets = timed.dashboard.stats().completions_per_hour
    assert len(buckets) == 24
    assert sum(buckets) == 2 and buckets[-1] == 1 and buckets[21] == 1


def test_empty_database(orch: Orchestrator) -> None:
    stats = orch.dashboard.stats()
    assert stats.total == 0 and stats.progress_percent == 0.0
    assert stats.critical_path == [] and stats.critical_path_hours == 0.0
    assert orch.queries.list_tasks() == [] and orch.queries.waiting_approvals() == []
    assert orch.queries.last_event_id() == 0


def _reference_tree(orch: Orchestrator, key: str, upstream: bool, budget: list[int]) -> dict:
    """The tree by its definition: depth first, one query per link, a budget of nodes."""
    children = []
    if budget[0] > 0:
        for link in orch.queries.links(key, upstream):
            budget[0] -= 1
            if budget[0] < 0:
                break
            children.append(_reference_tree(orch, link.key, upstream, budget))
    return {"key": key, "children": children}


def _shape(node: object) -> dict:
    return {"key": node.key, "children": [_shape(c) for c in node.children]}  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(4))
def test_tree_matches_its_definition_on_random_dags(orch: Orchestrator, seed: int) -> None:
    import random

    rng = random.Random(seed)
    n = 40
    for i in range(n):
        deps = sorted({f"N{j}" for j in rng.sample(range(i), min(i, rng.randint(0, 3)))})
        add(orch, f"N{i}", deps=deps)
    for key in (f"N{n - 1}", f"N{n // 2}", "N0"):
        for upstream in (True, False):
            for max_nodes in (0, 1, 7, 60, 2000):
                got = orch.queries.tree(key, upstream, max_nodes=max_nodes, critical=[])
                assert _shape(got) == _reference_tree(orch, key, upstream, [max_nodes])


def test_tree_of_a_deep_chain(orch: Orchestrator) -> None:
    from orchestrator_tui.domain.plan import PlanSpec

    tasks = [{"key": "C0", "title": "c0"}] + [
        {"key": f"C{i}", "title": f"c{i}", "depends_on": [f"C{i - 1}"]} for i in range(1, 3000)
    ]
    orch.plans.load(PlanSpec(tasks=tasks), "chain")
    tree = orch.queries.tree("C2999", upstream=True)
    depth, node = 0, tree
    while node.children:
        depth, node = depth + 1, node.children[0]
    assert depth == 2000 and node.key == "C999"
    assert tree.on_critical_path and node.on_critical_path


def test_a_rejection_event_reads_with_its_comment(orch: Orchestrator) -> None:
    orch.tasks.create(TaskSpec(key="R", title="review me", requires_approval=True))
    orch.tasks.start("R")
    orch.tasks.complete("R")
    orch.as_actor("maria").approvals.reject("R", "needs tests")
    assert orch.queries.timeline("R")[-1].summary() == "rejected, now failed: needs tests"


def test_critical_path_keys_are_read_in_chunks(
    orch: Orchestrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator_tui.services import queries

    monkeypatch.setattr(queries, "PATH_KEYS_PER_QUERY", 2)  # five keys: three reads
    add(orch, "done-first", status=S.DONE, estimated_hours=99)
    previous: list[str] = []
    for key in ["K1", "K2", "K3", "K4", "K5"]:
        add(orch, key, deps=previous[-1:], estimated_hours=2)
        previous.append(key)
    add(orch, "aside", estimated_hours=3)
    assert orch.queries.critical_path() == (["K1", "K2", "K3", "K4", "K5"], 10.0)


def test_a_detail_as_a_list_row_keeps_what_the_detail_does_not_say(orch: Orchestrator) -> None:
    add(orch, "A", estimated_hours=2)
    add(orch, "B", deps=["A"], requires_approval=True)
    shown = orch.queries.list_tasks(TaskFilter())[1].model_copy(
        update={"open_questions": 2, "leased": True}
    )
    detail = orch.tasks.edit("B", TaskPatch(title="new"))
    row = detail.as_row(shown)
    assert (row.title, row.open_questions, row.leased) == ("new", 2, True)
    assert row.unfinished_blockers == 1 and row.readiness == Readiness.WAITING
    fresh = orch.queries.list_tasks(TaskFilter())[1]
    assert detail.as_row() == fresh.model_copy(update={"open_questions": 0, "leased": False})


@pytest.mark.parametrize("status", list(TaskStatus))
def test_the_critical_path_leaves_out_the_closed_statuses_only(
    orch: Orchestrator, status: TaskStatus
) -> None:
    """Open work is what `rules.CLOSED` does not name, in the query as in the rule."""
    from orchestrator_tui.domain.rules import CLOSED

    add(orch, "X", status=status, estimated_hours=10.0)
    add(orch, "Y", deps=["X"], estimated_hours=1.0)
    expected = (["Y"], 1.0) if status in CLOSED else (["X", "Y"], 11.0)
    assert orch.queries.critical_path() == expected


@pytest.mark.parametrize("dep_type", list(DependencyType))
def test_the_critical_path_follows_the_gating_links_only(
    orch: Orchestrator, dep_type: DependencyType
) -> None:
    """A chain is made of the links `rules.GATING` names, in the query as in the rule."""
    from orchestrator_tui.domain.rules import GATING

    add(orch, "X", estimated_hours=10.0)
    add(orch, "Y", deps=[{"key": "X", "type": dep_type}], estimated_hours=1.0)
    expected = (["X", "Y"], 11.0) if dep_type in GATING else (["X"], 10.0)
    assert orch.queries.critical_path() == expected


def test_the_dashboard_counts_ready_and_waiting_as_the_task_list_filters_them(
    plan: Orchestrator,
) -> None:
    stats = plan.dashboard.stats()
    for readiness, count in ((Readiness.READY, stats.ready), (Readiness.WAITING, stats.waiting)):
        assert count == plan.queries.count_tasks(TaskFilter(readiness=frozenset({readiness})))
    assert stats.waiting > 0 and stats.ready > 0
