"""Worker processes for the race tests (importable by spawned children)."""

from __future__ import annotations

import random
from typing import Any

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.errors import Conflict, InvalidTransition, PermissionDenied
from orchestrator_tui.domain.state_machine import TRANSITIONS
from orchestrator_tui.services import open_orchestrator

S = TaskStatus


def transitions(url: str, worker: int, keys: list[str], goal: int, barrier: Any, out: Any) -> None:
    """Make `goal` successful transitions on random shared tasks; report each one."""
    orch = open_orchestrator(url, f"worker-{worker}")
    rng = random.Random(worker)
    made: list[tuple[str, str]] = []
    refused = 0
    barrier.wait()
    while len(made) < goal:
        key = rng.choice(keys)
        seen = orch.queries.get_task(key).status  # may be stale by the time we write
        targets = sorted(
            TRANSITIONS[seen] - {S.DONE, S.FAILED}
            if seen is S.AWAITING_APPROVAL
            else TRANSITIONS[seen]
        )
        target = rng.choice(targets)
        try:
            detail = orch.tasks.transition(key, target)
        except (InvalidTransition, Conflict):
            refused += 1
            continue
        made.append((key, detail.status.value))
    orch.close()
    out.put((worker, made, refused))


def decisions(url: str, worker: int, keys: list[str], barrier: Any, out: Any) -> None:
    """Approve or reject every task, in a worker-specific order."""
    orch = open_orchestrator(url, f"reviewer-{worker}")
    rng = random.Random(100 + worker)
    order = list(keys)
    rng.shuffle(order)
    won: list[tuple[str, str]] = []
    lost = 0
    barrier.wait()
    for key in order:
        try:
            if rng.random() < 0.5:
                orch.approvals.approve(key, "ok")
                won.append((key, "approved"))
            else:
                orch.approvals.reject(key, "no")
                won.append((key, "rejected"))
        except (Conflict, InvalidTransition, PermissionDenied):
            lost += 1
    orch.close()
    out.put((worker, won, lost))
