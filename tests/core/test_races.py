"""Four processes racing on shared tasks lose no update and decide each
approval exactly once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from orchestrator_tui.domain.plan import PlanSpec
from orchestrator_tui.store.tables import Approval, Event, Task

from .race_workers import decisions, transitions
from .support import open_db

WORKERS = 4
E = Event.__table__.c
T = Task.__table__.c
A = Approval.__table__.c


def run_workers(target: Any, args: list[tuple]) -> list[tuple]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(args))
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, barrier, out)) for a in args]
    for p in procs:
        p.start()
    results = [out.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return sorted(results)


def test_500_racing_transitions_lose_nothing(db_url: str) -> None:
    orch = open_db(db_url, "setup")
    keys = [f"R-{i}" for i in range(8)]
    orch.plans.load(PlanSpec(tasks=[{"key": k, "title": k} for k in keys]), "race")
    url = db_url
    goal = 500 // WORKERS
    results = run_workers(transitions, [(url, w, keys, goal) for w in range(WORKERS)])

    made = [change for _, changes, _ in results for change in changes]
    assert len(made) == 500
    per_task = Counter(key for key, _ in made)
    with orch.db.read() as conn:
        changes = conn.execute(
            select(E.id, E.task_id, E.actor, E.data)
            .where(E.kind == "status_changed")
            .order_by(E.id)
        ).all()
        tasks = {r.id: r for r in conn.execute(select(T.id, T.key, T.status, T.version))}
    assert len(changes) == 500, "every successful transition has exactly one event"
    by_worker = Counter(e.actor for e in changes)
    assert by_worker == {f"worker-{w}": goal for w in range(WORKERS)}
    chains: dict[str, list[Any]] = {}
    for e in changes:
        chains.setdefault(tasks[e.task_id].key, []).append(e.data)
    for task in tasks.values():
        chain = chains.get(task.key, [])
        assert task.version == 1 + per_task[task.key] == 1 + len(chain)
        status = "pending"
        for step in chain:  # each change starts where the previous one ended
            assert step["from"] == status
            status = step["to"]
        assert task.status == status
    orch.close()


def test_racing_decisions_decide_each_task_once(db_url: str) -> None:
    orch = open_db(db_url, "setup")
    keys = [f"W-{i}" for i in range(200)]
    tasks = [
        {"key": k, "title": k, "status": "awaiting_approval", "requires_approval": True}
        for k in keys
    ]
    orch.plans.load(PlanSpec(tasks=tasks), "approvals")
    results = run_workers(decisions, [(db_url, w, keys) for w in range(WORKERS)])

    won = {key: (f"reviewer-{w}", decision) for w, wins, _ in results for key, decision in wins}
    assert sum(len(wins) for _, wins, _ in results) == 200 == len(won)
    assert sum(lost for _, _, lost in results) == 200 * (WORKERS - 1)
    with orch.db.read() as conn:
        approvals = conn.execute(
            select(T.key, A.actor, A.decision).join(Task.__table__, T.id == A.task_id)
        )
        rows = {r.key: (r.actor, r.decision) for r in approvals}
        assert conn.execute(select(func.count()).select_from(Approval.__table__)).scalar() == 200
        audit = conn.execute(
            select(T.key, E.actor, E.kind)
            .join(Task.__table__, T.id == E.task_id)
            .where(E.kind.in_(["approved", "rejected"]))
        ).all()
        status = dict(conn.execute(select(T.key, T.status)).all())
    assert rows == won
    assert len(audit) == 200
    assert {r.key: (r.actor, r.kind) for r in audit} == won
    for key, (_, decision) in won.items():
        assert status[key] == ("done" if decision == "approved" else "failed")
    orch.close()


def test_racing_opposite_dependencies_never_close_a_cycle(db_url: str) -> None:
    """Two people linking the same pair of tasks in opposite directions at the
    same moment: one wins, the other is told it would close a cycle."""
    import threading

    from orchestrator_tui.domain.errors import CycleError
    from orchestrator_tui.store.tables import TaskDependency

    pairs = 25
    setup = open_db(db_url, "setup")
    tasks = [{"key": f"{side}-{i}", "title": side} for i in range(pairs) for side in "PQ"]
    setup.plans.load(PlanSpec(tasks=tasks), "pairs")
    barrier = threading.Barrier(2)
    refused: list[int] = []

    def link(me: str, other: str) -> None:
        orch = open_db(db_url, me)
        for i in range(pairs):
            barrier.wait()
            try:
                orch.deps.add(f"{me}-{i}", f"{other}-{i}")
            except CycleError:
                refused.append(i)
        orch.close()

    threads = [threading.Thread(target=link, args=pair) for pair in (("P", "Q"), ("Q", "P"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with setup.db.read() as conn:
        edges = conn.execute(select(func.count()).select_from(TaskDependency.__table__)).scalar()
    setup.close()
    assert sorted(refused) == list(range(pairs))
    assert edges == pairs


def test_agents_claiming_at_once_each_take_a_different_task(db_url: str) -> None:
    """Agents claiming over MCP (no runner, no command) race for ready tasks: each
    task goes to exactly one of them, and each claim is one status change."""
    import threading

    from orchestrator_tui.domain.models import TaskSpec

    setup = open_db(db_url, "setup")
    keys = [f"Q-{n}" for n in range(12)]
    for key in keys:
        setup.tasks.create(TaskSpec(key=key, title=f"task {key}"))
    agents = [open_db(db_url, f"agent-{n}") for n in range(4)]
    barrier = threading.Barrier(len(agents))
    taken: dict[str, list[str]] = {}

    def claim(agent: Any) -> None:
        barrier.wait()
        mine = [agent.runs.claim_for_agent(agent.actor) for _ in range(4)]
        taken[agent.actor] = [key for key in mine if key]

    threads = [threading.Thread(target=claim, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(k for mine in taken.values() for k in mine) == sorted(keys)  # each once
    with setup.db.read() as conn:
        owners = {key: who for key, who in conn.execute(select(T.key, T.assignee))}
        starts = conn.execute(
            select(func.count()).select_from(Event.__table__).where(E.kind == "status_changed")
        ).scalar()
    assert owners == {key: agent for agent, mine in taken.items() for key in mine}
    assert starts == len(keys)
    for o in (setup, *agents):
        o.close()


@pytest.mark.postgres_only
@pytest.mark.parametrize("first", ["approve", "reject"])
def test_a_decision_lost_on_the_compare_and_set_names_who_decided(
    db_url: str, first: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL reads without locking: the other person's decision can land
    between bob's read of the task and his compare-and-set. He is told who
    decided and how, as when the decision was already there when he looked."""
    import threading

    from orchestrator_tui.domain.errors import Conflict
    from orchestrator_tui.services import approvals as approvals_module

    setup = open_db(db_url, "setup")
    task = {"key": "K", "title": "K", "status": "awaiting_approval", "requires_approval": True}
    setup.plans.load(PlanSpec(tasks=[task]), "race")
    alice, bob = open_db(db_url, "alice"), open_db(db_url, "bob")
    real_apply = approvals_module.apply_moves

    def alice_decides_first(conn: Any, moves: Any) -> Any:
        if conn.engine is bob.db.engine:  # bob has read the task; alice commits now
            act = alice.approvals.approve if first == "approve" else alice.approvals.reject
            t = threading.Thread(target=act, args=("K", "mine"))
            t.start()
            t.join(timeout=30)
        return real_apply(conn, moves)

    monkeypatch.setattr(approvals_module, "apply_moves", alice_decides_first)
    decided = "approved" if first == "approve" else "rejected"
    with pytest.raises(Conflict) as lost:
        bob.approvals.reject("K", "no") if first == "approve" else bob.approvals.approve("K")
    assert str(lost.value) == f"K was already {decided} by alice; nothing was written"
    with setup.db.read() as conn:
        rows = conn.execute(select(A.actor, A.decision)).all()
    assert [(r.actor, r.decision) for r in rows] == [("alice", decided)]
    for o in (setup, alice, bob):
        o.close()
