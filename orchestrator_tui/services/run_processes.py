"""Where each run's process lives: recorded when it starts, read back when its
runner is gone (to stop it before the task runs again) or when a person
cancels the run (to confirm it stopped).

Like lease renewals, recording a process is bookkeeping of the runner, not a
change anyone decides: it writes no event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, and_, bindparam, not_, or_, select, update

from ..domain.errors import NotFound
from ..store.driver import Prepared
from ..store.tables import Run, Task
from .base import ServiceContext, T
from .rules import held_by_runner, lease_expired, run_open

R = Run.__table__.c

_RECORD = Prepared(
    update(Run.__table__)
    .where(R.id == bindparam("rid"))
    .values(pid=bindparam("p"), pgid=bindparam("g"), host=bindparam("h"), proc_start=bindparam("s"))
)


@dataclass(frozen=True)
class RunProcess:
    """One run's process as recorded (pid None: not recorded, or not started)."""

    task_id: int
    key: str
    run_id: int | None
    execution_id: str | None
    pid: int | None
    pgid: int | None
    host: str | None
    proc_start: str | None


@dataclass(frozen=True)
class ProcessRecord:
    run_id: int
    pid: int
    pgid: int
    host: str
    proc_start: str


def record_processes(conn: Connection, records: Sequence[ProcessRecord]) -> None:
    """Remember where these runs' processes are, in the caller's transaction."""
    if records:
        params = [
            {"rid": r.run_id, "p": r.pid, "g": r.pgid, "h": r.host, "s": r.proc_start}
            for r in records
        ]
        _RECORD.many(conn, params)


class RunProcessService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def record(self, records: Sequence[ProcessRecord]) -> None:
        """Remember where these runs' processes are (one transaction)."""
        if not records:
            return
        with self.ctx.db.write() as conn:
            record_processes(conn, records)

    def expired(self, abandoned_after: float | None = None) -> list[RunProcess]:
        """Tasks whose runner's lease has expired (to be reclaimed), one row per run
        still open on them (run_id None: the task has none).

        With `abandoned_after` (seconds), also the runs left open on tasks taken
        from their runner (moved by a person) longer ago than that: a live runner
        closes them as soon as it has stopped their processes, so their runner
        died in between (see `RunService.close_abandoned`)."""
        now = self.ctx.now()
        open_run = and_(R.task_id == T.id, run_open(R))
        held = held_by_runner()
        which = lease_expired(now)
        if abandoned_after is not None:
            moved_before = now - timedelta(seconds=abandoned_after)
            which = or_(which, and_(not_(held), R.id.is_not(None), T.updated_at < moved_before))
        query = (
            select(T.id, T.key, R.id, R.execution_id, R.pid, R.pgid, R.host, R.proc_start)
            .select_from(Task.__table__.outerjoin(Run.__table__, open_run))
            .where(which)
            .order_by(T.id, R.id)
        )
        with self.ctx.db.read() as conn:
            return [RunProcess(*row) for row in conn.execute(query)]

    def of_run(self, run_id: int) -> RunProcess:
        query = (
            select(T.id, T.key, R.id, R.execution_id, R.pid, R.pgid, R.host, R.proc_start)
            .select_from(Run.__table__.join(Task.__table__, R.task_id == T.id))
            .where(R.id == run_id)
        )
        with self.ctx.db.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"no run {run_id}")
        return RunProcess(*row)
