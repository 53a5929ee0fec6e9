"""What runs changed in their git worktrees: stored per run, read for review,
merged on approval, and fed back to the next attempt after a failed verify.

The git work itself is in `orchestrator_tui.workspaces`; this module stores
its results (one `run_changes` row per run, with an event) and reads them.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, select

from ..domain.enums import EventKind, LogStream
from ..domain.errors import MergeFailed, NotFound
from ..domain.models import CommandSpec
from ..domain.rules import WORKTREE_REMOVABLE
from ..domain.workspace import ChangeSummary, FileChange, OnApprove, WorkspaceSpec
from ..store.tables import LogLine, Run, RunChange
from ..workspaces.git import WorkspaceError
from ..workspaces.merge import merge_for_approval
from ..workspaces.worktree import Captured, Layout, remove
from .base import ServiceContext, T, find_task, record_event

C = RunChange.__table__.c
R = Run.__table__.c
L = LogLine.__table__.c

#: The start of a run's error when its verify commands failed (feedback is read from it).
VERIFY_FAILED = "verify failed"
#: Feedback handed to the next attempt is at most this many of the last verify lines.
FEEDBACK_LINES = 200
_SUMMARY = [c for c in RunChange.__table__.c if c.name != "diff"]


def workspace_of(command: Any) -> WorkspaceSpec | None:
    """The workspace a stored command declares (None for plain commands)."""
    if not command:
        return None
    return CommandSpec.model_validate(command).workspace


class WorkspaceService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- writing ------------------------------------------------------------------

    def record(
        self,
        run_id: int,
        where: Layout,
        captured: Captured,
        verify: list[dict[str, Any]],
    ) -> None:
        """Store what run `run_id` changed (again: the last call wins)."""
        files = [f.model_dump() for f in captured.files]
        with self.ctx.db.write() as conn:
            task_id = conn.execute(select(R.task_id).where(R.id == run_id)).scalar_one()
            conn.execute(RunChange.__table__.delete().where(C.run_id == run_id))
            conn.execute(
                RunChange.__table__.insert().values(
                    run_id=run_id,
                    task_id=task_id,
                    repo=str(where.repo),
                    base=where.base,
                    branch=where.branch,
                    worktree=str(where.path),
                    base_commit=captured.base_commit,
                    head_commit=captured.head_commit,
                    committed=captured.committed,
                    files=files,
                    added=sum(f.added for f in captured.files),
                    removed=sum(f.removed for f in captured.files),
                    diff_bytes=captured.diff_bytes,
                    diff=captured.diff,
                    verify=verify,
                    created_at=self.ctx.now(),
                )
            )
            n = len(files)
            record_event(
                conn,
                self.ctx,
                EventKind.CHANGES_RECORDED,
                task_id,
                {
                    "message": f"{n} file{'s' if n != 1 else ''} changed on {where.branch}"
                    if n
                    else f"no changes on {where.branch}",
                    "branch": where.branch,
                    "files": n,
                    "head": captured.head_commit,
                },
                run_id=run_id,
            )

    def sweep(self) -> list[str]:
        """Remove the worktrees of tasks that are done or cancelled (unless they say
        keep), however they got there; the keys whose worktree was removed."""
        done = [s.value for s in WORKTREE_REMOVABLE]
        with self.ctx.db.read() as conn:
            rows = conn.execute(
                select(T.id, T.key, C.worktree)
                .join(RunChange.__table__, C.task_id == T.id)
                .where(T.status.in_(done))
            ).all()
            left = {(r.id, r.key) for r in rows if Path(r.worktree).exists()}
            commands = {
                key: conn.execute(select(T.command).where(T.id == task_id)).scalar()
                for task_id, key in left
            }
        removed = []
        for key, command in sorted(commands.items()):
            with contextlib.suppress(WorkspaceError, ValueError):
                spec = workspace_of(command)
                if spec is not None and not spec.keep and remove(spec, key):
                    removed.append(key)
        return sorted(set(removed))

    # -- reading ------------------------------------------------------------------

    def changes(self, key: str, run_id: int | None = None) -> ChangeSummary | None:
        """What the task's latest run with a workspace (or run `run_id`) changed."""
        with self.ctx.db.read() as conn:
            row = self._row(conn, key, run_id, _SUMMARY)
            return None if row is None else _summary(conn, row, key)

    def declared(self, key: str) -> WorkspaceSpec | None:
        """The workspace the task's command declares now (None for none)."""
        with self.ctx.db.read() as conn:
            return workspace_of(find_task(conn, key).command)

    def diff(self, key: str, run_id: int | None = None) -> tuple[ChangeSummary, str] | None:
        """The summary and the whole diff text against base."""
        with self.ctx.db.read() as conn:
            row = self._row(conn, key, run_id, [*_SUMMARY, C.diff])
            return None if row is None else (_summary(conn, row, key), row.diff)

    def _row(
        self, conn: Connection, key: str, run_id: int | None, columns: list[Any]
    ) -> Row[Any] | None:
        task = find_task(conn, key)
        query = select(*columns).where(C.task_id == task.id)
        if run_id is not None:
            if (
                conn.execute(select(R.id).where(R.id == run_id, R.task_id == task.id)).first()
                is None
            ):
                raise NotFound(f"{key} has no run {run_id}")
            query = query.where(C.run_id == run_id)
        return conn.execute(query.order_by(C.run_id.desc()).limit(1)).first()

    def feedback_for(self, task_id: int, run_id: int) -> str | None:
        """The verify output that failed the attempt before run `run_id`, if it did."""
        with self.ctx.db.read() as conn:
            previous = conn.execute(
                select(R.id, R.error)
                .where(R.task_id == task_id, R.id < run_id)
                .order_by(R.id.desc())
                .limit(1)
            ).first()
            if previous is None or not (previous.error or "").startswith(VERIFY_FAILED):
                return None
            lines = conn.execute(
                select(L.text)
                .where(L.run_id == previous.id, L.stream == LogStream.VERIFY.value)
                .order_by(L.seq.desc())
                .limit(FEEDBACK_LINES)
            ).scalars()
            return "\n".join([previous.error, *reversed(list(lines))])


def _summary(conn: Connection, row: Row[Any], key: str) -> ChangeSummary:
    attempt = conn.execute(select(R.attempt).where(R.id == row.run_id)).scalar_one()
    return ChangeSummary(
        run_id=row.run_id,
        task_key=key,
        attempt=attempt,
        repo=row.repo,
        base=row.base,
        branch=row.branch,
        worktree=row.worktree,
        base_commit=row.base_commit,
        head_commit=row.head_commit,
        committed=row.committed,
        files=[FileChange.model_validate(f) for f in row.files],
        added=row.added,
        removed=row.removed,
        diff_bytes=row.diff_bytes,
        verify=row.verify,
    )


def merge_on_approve(conn: Connection, ctx: ServiceContext, task: Row[Any]) -> None:
    """Called by an approval before it writes its decision: do what the task's
    `on_approve` says; on failure raise MergeFailed (nothing is written, the task
    stays awaiting approval). A task without a workspace is left alone."""
    spec = workspace_of(task.command)
    if spec is None:
        return
    outcome = merge_for_approval(spec, task.key)
    if not outcome.ok:
        raise MergeFailed(
            f"{task.key} stays awaiting approval: {outcome.message}", outcome.conflicts
        )
    if spec.on_approve is not OnApprove.NONE:
        record_event(
            conn,
            ctx,
            EventKind.MERGED,
            task.id,
            {"message": outcome.message, "how": spec.on_approve.value, "commit": outcome.commit},
        )
    if not spec.keep:
        with contextlib.suppress(WorkspaceError):  # the branch holds the work either way
            remove(spec, task.key)
