"""Progress reports, private notes, shared context, feedback and participants.

YAML (and the pydantic errors its reader knows) is imported only for the shared
context: a progress report or a note from an agent's loop never loads it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select, update

from ..domain.enums import EventKind, TaskStatus
from ..domain.errors import Conflict, InvalidTransition, ValidationFailed
from ..domain.rules import feedback_refusal, progress_refusal
from ..store.tables import Feedback, Note, Participant, ProgressRecord, Task, TaskContext
from .base import ServiceContext, T, find_task, lock_task, record_event, unfinished_blocker_keys

MAX_CONTEXT_BYTES = 1_000_000


def parse_context(text: str) -> dict[str, Any]:
    """Shared context is a YAML mapping, read with safe_load only."""
    import yaml

    from .safe_yaml import describe_yaml_error, safe_load_bounded

    if len(text.encode()) > MAX_CONTEXT_BYTES:
        raise ValidationFailed("shared context is larger than 1 MB")
    try:
        value = safe_load_bounded(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise ValidationFailed(
            f"shared context is not valid YAML: {describe_yaml_error(exc)}"
        ) from None
    except RecursionError:
        raise ValidationFailed("shared context is not valid YAML: nested too deeply") from None
    if not isinstance(value, dict):
        raise ValidationFailed("shared context must be a YAML mapping (key: value)")
    return value


def write_progress(
    conn: Connection, ctx: ServiceContext, row: Row[Any], percent: int, message: str
) -> None:
    """Record `percent` as the progress of the task `row` (read in this transaction),
    with its event, in the caller's transaction; refused (`progress_refusal`) in
    the status the task has there, and written only in that status."""
    waiting_for = unfinished_blocker_keys(conn, row.id)
    refusal = progress_refusal(row.key, TaskStatus(row.status), waiting_for, percent)
    if refusal:
        raise InvalidTransition(refusal)
    now = ctx.now()
    written = conn.execute(  # in the status it was judged in
        update(Task.__table__)
        .where(T.id == row.id, T.status == row.status)
        .values(progress=percent, updated_at=now, version=T.version + 1)
    )
    if written.rowcount != 1:
        raise Conflict(f"{row.key} changed meanwhile; no progress was recorded")
    conn.execute(
        ProgressRecord.__table__.insert().values(
            task_id=row.id, percent=percent, message=message, actor=ctx.actor, created_at=now
        )
    )
    record_event(
        conn,
        ctx,
        EventKind.PROGRESS,
        row.id,
        {"percent": percent, "message": message or f"{percent}%"},
    )


def check_note_text(text: str) -> None:
    """Refuse a note with no text (before any transaction is opened, where one can be)."""
    if not text.strip():
        raise ValidationFailed("a note needs some text")


def write_note(
    conn: Connection, ctx: ServiceContext, task_id: int, text: str, replace: bool = False
) -> None:
    """Append `text` to (or replace) the acting agent's private notes on a task,
    with its event, in the caller's transaction."""
    check_note_text(text)
    N = Note.__table__.c
    existing = conn.execute(
        select(N.id, N.body).where(N.task_id == task_id, N.author == ctx.actor)
    ).first()
    now = ctx.now()
    if existing is None:
        conn.execute(
            Note.__table__.insert().values(
                task_id=task_id, author=ctx.actor, body=text, updated_at=now
            )
        )
    else:
        body = text if replace else f"{existing.body.rstrip()}\n\n{text}"
        conn.execute(
            update(Note.__table__).where(N.id == existing.id).values(body=body, updated_at=now)
        )
    record_event(conn, ctx, EventKind.NOTE, task_id, {"chars": len(text)})


class CollaborationService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def progress(self, key: str, percent: int, message: str = "") -> None:
        if not 0 <= percent <= 100:
            raise ValidationFailed(f"progress must be 0-100, not {percent}")
        with self.ctx.db.write() as conn:
            write_progress(conn, self.ctx, find_task(conn, key), percent, message)

    def note(self, key: str, text: str, replace: bool = False) -> None:
        """Append to (or replace) the acting agent's private notes on a task."""
        check_note_text(text)  # a locked database cannot hide what is wrong with it
        with self.ctx.db.write() as conn:
            write_note(conn, self.ctx, find_task(conn, key).id, text, replace)

    def set_context(self, key: str, yaml_text: str) -> None:
        parse_context(yaml_text)
        with self.ctx.db.write() as conn:
            self._write_context(conn, find_task(conn, key).id, yaml_text)

    def share(self, key: str, name: str, value: Any) -> None:
        """Set one top-level key of the shared context (seed 001's `share`).

        Read and rewrite happen in one write transaction, so two agents
        sharing at once both keep their key."""
        import yaml

        from .safe_yaml import describe_yaml_error

        with self.ctx.db.write() as conn:
            row = find_task(conn, key)
            # SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs
            # the task row locked so a racing share waits and then reads our write.
            lock_task(conn, row.id)
            C = TaskContext.__table__.c
            text = conn.execute(select(C.yaml_text).where(C.task_id == row.id)).scalar()
            context = parse_context(text or "")
            context[name] = value
            try:
                dumped = yaml.safe_dump(context, sort_keys=False, allow_unicode=True)
            except yaml.YAMLError as exc:
                raise ValidationFailed(
                    f"cannot share {name!r}: {describe_yaml_error(exc)}"
                ) from None
            parse_context(dumped)
            self._write_context(conn, row.id, dumped)

    def _write_context(self, conn: Connection, task_id: int, yaml_text: str) -> None:
        C = TaskContext.__table__.c
        now = self.ctx.now()
        values = {"yaml_text": yaml_text, "updated_by": self.ctx.actor, "updated_at": now}
        if conn.execute(select(C.task_id).where(C.task_id == task_id)).first():
            conn.execute(update(TaskContext.__table__).where(C.task_id == task_id).values(values))
        else:
            conn.execute(TaskContext.__table__.insert().values(task_id=task_id, **values))
        record_event(conn, self.ctx, EventKind.CONTEXT, task_id, {"bytes": len(yaml_text)})

    def feedback(self, key: str, quality: int, timeliness: int, notes: str = "") -> None:
        for label, value in (("quality", quality), ("timeliness", timeliness)):
            if not 1 <= value <= 5:
                raise ValidationFailed(f"{label} rating must be 1-5, not {value}")
        with self.ctx.db.write() as conn:
            row = find_task(conn, key)
            refusal = feedback_refusal(key, TaskStatus(row.status))
            if refusal:
                raise InvalidTransition(refusal)
            conn.execute(
                Feedback.__table__.insert().values(
                    task_id=row.id,
                    quality=quality,
                    timeliness=timeliness,
                    notes=notes,
                    actor=self.ctx.actor,
                    created_at=self.ctx.now(),
                )
            )
            record_event(
                conn,
                self.ctx,
                EventKind.FEEDBACK,
                row.id,
                {"quality": quality, "timeliness": timeliness, "message": notes},
            )

    def join(self, key: str, agent: str, role: str = "") -> None:
        with self.ctx.db.write() as conn:
            row = find_task(conn, key)
            P = Participant.__table__.c
            if conn.execute(select(P.id).where(P.task_id == row.id, P.agent == agent)).first():
                raise ValidationFailed(f"{agent} already takes part in {key}")
            conn.execute(
                Participant.__table__.insert().values(
                    task_id=row.id, agent=agent, role=role, joined_at=self.ctx.now()
                )
            )
            record_event(
                conn, self.ctx, EventKind.PARTICIPANT_JOINED, row.id, {"agent": agent, "role": role}
            )
