"""Runs and log lines written straight into the store tables, as a runner would."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.store.tables import LogLine, Run, utcnow


def add_task(orch: Orchestrator, key: str, title: str = "logged task") -> int:
    return orch.tasks.create(TaskSpec(key=key, title=title)).id


def add_run(
    orch: Orchestrator,
    task_id: int,
    *,
    agent: str = "claude",
    status: str = "running",
    exit_code: int | None = None,
) -> int:
    start = utcnow() - timedelta(minutes=5)
    finished = status not in ("running", "queued")
    with orch.db.write() as conn:
        return conn.execute(
            Run.__table__.insert().values(
                execution_id=str(uuid.uuid4()),
                task_id=task_id,
                agent=agent,
                status=status,
                started_at=start,
                ended_at=start + timedelta(seconds=83) if finished else None,
                exit_code=exit_code,
                outputs={},
            )
        ).inserted_primary_key[0]


def add_lines(
    orch: Orchestrator, run_id: int, texts: Iterable[str], start: int = 0, stream: str = "stdout"
) -> int:
    """Append lines with seq from `start`; returns the next seq."""
    now = utcnow()
    rows = [
        {"run_id": run_id, "seq": start + i, "stream": stream, "text": t, "created_at": now}
        for i, t in enumerate(texts)
    ]
    with orch.db.write() as conn:
        for i in range(0, len(rows), 20_000):
            conn.execute(LogLine.__table__.insert(), rows[i : i + 20_000])
    return start + len(rows)
