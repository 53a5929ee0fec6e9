"""Writing a plan task's history (runs with logs, progress, notes, shared
context, participants, feedback) for tasks a plan load has just created."""

from __future__ import annotations

import uuid
from datetime import datetime

import yaml
from sqlalchemy import Connection

from ..domain.enums import AgentStatus
from ..domain.plan import PlanSpec, PlanTask, resolve_time
from ..store.engine import inserted_id
from ..store.tables import (
    Agent,
    Approval,
    Feedback,
    LogLine,
    Note,
    Participant,
    ProgressRecord,
    Run,
    TaskContext,
)


def write_agents(conn: Connection, plan: PlanSpec, now: datetime, known: set[str]) -> int:
    """Register the plan's agents that are not registered yet; how many were new."""
    added = 0
    for agent in plan.agents:
        if agent.name in known:
            continue
        conn.execute(
            Agent.__table__.insert().values(
                name=agent.name,
                agent_type=agent.type.value,
                capabilities=agent.capabilities,
                status=(AgentStatus.ACTIVE if agent.last_heartbeat else AgentStatus.IDLE).value,
                last_heartbeat=resolve_time(agent.last_heartbeat, now),
                registered_at=now,
                meta={},
            )
        )
        known.add(agent.name)
        added += 1
    return added


#: The fields of a plan task that hold history (see `has_history`).
HISTORY_FIELDS = frozenset(
    {"runs", "progress_history", "notes", "context", "participants", "feedback", "approvals"}
)


def has_history(task: PlanTask) -> bool:
    # every one its empty default (the fields set read as an attribute: pydantic's
    # `model_fields_set` is a property, a Python call for each of 100k tasks)
    if HISTORY_FIELDS.isdisjoint(task.__pydantic_fields_set__):
        return False
    return bool(
        task.runs
        or task.progress_history
        or task.notes
        or task.context is not None
        or task.participants
        or task.feedback
        or task.approvals
    )


def write_history(
    conn: Connection, task: PlanTask, task_id: int, now: datetime, actor: str
) -> tuple[int, int]:
    """Insert one new task's history; (runs, log lines) written."""
    runs = lines = 0
    for attempt, run in enumerate(task.runs, start=1):
        started = resolve_time(run.started, now)
        inserted = conn.execute(
            Run.__table__.insert().values(
                execution_id=str(uuid.uuid4()),
                task_id=task_id,
                agent=run.agent,
                attempt=attempt,
                status=run.status.value,
                command=task.command.argv if task.command else None,
                started_at=started,
                ended_at=resolve_time(run.ended, now),
                exit_code=run.exit_code,
                outputs=run.outputs,
                outputs_uri=run.outputs_uri,
                error=run.error,
                cancel_requested=run.cancel_requested,
                log_excerpt="\n".join(text for _, text in run.lines()[-10:]) or None,
                profile=run.profile,
                prompt=run.prompt,
                session_id=run.session_id,
                model=run.model,
                input_tokens=run.input_tokens,
                output_tokens=run.output_tokens,
                cost_usd=run.cost_usd,
                summary=run.summary,
            )
        )
        run_id = inserted_id(inserted)
        log_rows = [
            {
                "run_id": run_id,
                "seq": seq,
                "stream": stream.value,
                "text": text,
                "created_at": started,
            }
            for seq, (stream, text) in enumerate(run.lines())
        ]
        if log_rows:
            conn.execute(LogLine.__table__.insert(), log_rows)
        runs += 1
        lines += len(log_rows)
    for entry in task.progress_history:
        conn.execute(
            ProgressRecord.__table__.insert().values(
                task_id=task_id,
                percent=entry.percent,
                message=entry.message,
                actor=entry.by,
                created_at=resolve_time(entry.at, now),
            )
        )
    for author, body in task.notes.items():
        conn.execute(
            Note.__table__.insert().values(
                task_id=task_id, author=author, body=body, updated_at=now
            )
        )
    if task.context is not None:
        conn.execute(
            TaskContext.__table__.insert().values(
                task_id=task_id,
                yaml_text=yaml.safe_dump(task.context, sort_keys=False, allow_unicode=True),
                updated_by=actor,
                updated_at=now,
            )
        )
    for person in task.participants:
        conn.execute(
            Participant.__table__.insert().values(
                task_id=task_id,
                agent=person.agent,
                role=person.role,
                joined_at=resolve_time(person.joined, now) or now,
            )
        )
    for fb in task.feedback:
        conn.execute(
            Feedback.__table__.insert().values(
                task_id=task_id,
                quality=fb.quality,
                timeliness=fb.timeliness,
                notes=fb.notes,
                actor=fb.by,
                created_at=resolve_time(fb.at, now) or now,
            )
        )
    for decision in task.approvals:
        conn.execute(
            Approval.__table__.insert().values(
                task_id=task_id,
                run_id=None,
                decision=decision.decision.value,
                actor=decision.by,
                comment=decision.comment,
                decided_at=resolve_time(decision.at, now) or now,
            )
        )
    return runs, lines
