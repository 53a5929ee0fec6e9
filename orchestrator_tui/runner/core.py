"""The runner: claims ready tasks, runs their commands, and moves them on.

One coordinating thread (the caller of `Runner.serve`) does every database
write: claims, lease renewals, log batches, finishing runs, reclaiming runs of
dead runners. Children are spawned on threads of a pool (spawning waits for
the child's exec; from several threads the waits overlap), and one
supervising thread (a `Reactor`) watches every child's pipes, exit and
deadlines and hands lines to a bounded buffer, so a slow or locked database
never stops the pipes being read for long, and a flood of output never floods
the database with tiny transactions. A run with a workspace or verify
commands has a pool thread of its own for its whole life, since its git and
verify steps block.

Other threads talk to a serving runner through `submit`, `cancel`, `set_auto`
and `stop`, which only enqueue work and return at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from ..config import ACTOR_ENV, DB_ENV
from ..domain.enums import AgentStatus, RunStatus
from ..domain.errors import (
    DatabaseLocked,
    DatabaseReset,
    DatabaseUnavailable,
    OrchestratorError,
)
from ..domain.models import RunView
from ..domain.rules import exit_code_reason
from ..domain.text import printable
from ..domain.words import counted
from ..program import path_finding_self
from ..services import Orchestrator
from ..services.run_model import Ending, Stopped
from ..services.run_processes import ProcessRecord, RunProcess
from ..services.runs import Claim, RunResult, Settled
from ..watcher import Watcher
from .agent_run import AgentSession
from .config import (
    ATTEMPT_ENV,
    EXECUTION_ENV,
    NOTIFY_CMD_ENV,
    RUN_ENV,
    RUNNER_MARK_ENV,
    TASK_ENV,
    WEBHOOK_ENV,
    RunnerConfig,
)
from .lines import LineBuffer, Row
from .notify import Notifier, payload_for
from .process import Line, ProcessOutcome, Supervisor
from .reactor import Reactor
from .reaper import mark_of, stop_run
from .workspace_job import finished, job_of, record, workspace_job

log = logging.getLogger("orchestrator_tui.runner")

_INSERT_CHUNK = 5000
_MAX_THREADS = 512


# -- what a runner tells its listener (called on the coordinating thread) ---------


@dataclass(frozen=True)
class RunStarted:
    claim: Claim


@dataclass(frozen=True)
class LinesStored:
    """New log lines of a run are in the database, up to and including `last_seq`."""

    run_id: int
    key: str
    last_seq: int
    count: int


@dataclass(frozen=True)
class RunSettled:
    """A run ended (or was found lost) and its task moved on (see `settled`)."""

    settled: Settled


@dataclass(frozen=True)
class RunnerStopped:
    reason: str


@dataclass(frozen=True)
class RunnerWaiting:
    """The database is busy at the start (`locked`: another process writes to it) or
    out of reach: the runner waits for it before doing anything. Told once."""

    reason: str
    locked: bool


@dataclass(frozen=True)
class RunnerServing:
    """The runner registered and serves; `waited`: after a `RunnerWaiting`."""

    waited: bool


RunnerEvent = RunStarted | LinesStored | RunSettled | RunnerStopped | RunnerWaiting | RunnerServing
Listener = Callable[[RunnerEvent], None]


@dataclass
class RunnerSummary:
    started: int = 0
    succeeded: int = 0
    failed: int = 0  # failed for good
    retried: int = 0
    lost: int = 0
    awaiting_approval: int = 0
    waiting_for_answers: int = 0  # agent runs that ended with a question open
    stopped_by_person: int = 0  # runs a person cancelled, or whose task they moved
    stopped_by: list[str] = field(default_factory=list)  # who, each once
    loaded_open: int = 0  # runs a plan or an import loaded open, closed: nothing lost
    stop_reason: str = ""


@dataclass
class _Active:
    claim: Claim
    supervisor: Supervisor
    next_seq: int = 0
    stored_seq: int = -1
    stop_kind: str | None = None  # release | lost | cancel
    future: Future[None] | None = None
    agent: AgentSession | None = None  # a coding agent's run (see agent_run.py)
    retry_spawn: bool = False  # the agent could not be prepared for a passing reason


@dataclass
class _Request:
    kind: str
    future: Future[Any]
    args: dict[str, Any] = field(default_factory=dict)


class Runner:
    def __init__(
        self, orch: Orchestrator, config: RunnerConfig, listener: Listener | None = None
    ) -> None:
        self.orch = orch
        self.config = config
        self.listener = listener
        self.notifier = Notifier(config.notify_cmd, config.webhook, config.hook_timeout_seconds)
        self._wake = threading.Event()
        self._ended = threading.Event()  # a child's outcome was queued in `_done`
        self._buffer = LineBuffer(config.max_buffered_lines, config.flush_lines, self._wake.set)
        self._active: dict[int, _Active] = {}
        self._done: deque[tuple[_Active, ProcessOutcome]] = deque()
        self._requests: deque[_Request] = deque()
        self._spawned: deque[ProcessRecord] = deque()
        self._spawned_seen: float | None = None  # when unrecorded processes were first seen
        self._reaping: set[int] = set()  # tasks whose old processes are being stopped
        self._reaped: deque[tuple[int, bool]] = deque()  # (task id, nothing left running)
        self._stop_reason: str | None = None
        self._auto = config.auto
        self._pushed = threading.Event()  # someone committed events (PostgreSQL NOTIFY)
        # Threads for what blocks: spawning, workspace jobs, stopping a dead runner's
        # processes. Idle ones are reused.
        self._pool = ThreadPoolExecutor(max_workers=_MAX_THREADS, thread_name_prefix="supervise")
        self.summary = RunnerSummary()
        # Every child carries this mark; the watcher stops them all if we die.
        self._mark = uuid.uuid4().hex
        self._watcher: Watcher | None = None
        # The environment children inherit, read once per `serve`: reading os.environ
        # for every child cost a twentieth of the coordinating thread's time.
        self._environ: dict[str, str] = {}
        self._profiles: dict[str, Any] | None = None  # agent profiles, read on first use
        self._reactor: Reactor | None = None  # watches every child but workspace jobs
        self._busy: DatabaseUnavailable | None = None  # why the last database step waited
        self._unreachable = False  # the server went away; said once, until it is back

    # -- thread-safe controls ------------------------------------------------------

    def stop(self, reason: str = "stopped") -> None:
        """Stop claiming, stop running children (their tasks go back to pending), return."""
        if self._stop_reason is None:
            self._stop_reason = reason
        self._wake.set()

    def submit(self, key: str) -> Future[Claim]:
        """Run the task `key` now (pending and ready, or failed); resolves once started."""
        return self._request("run", key=key)

    def cancel(
        self, key: str, actor: str | None = None, reason: str | None = None
    ) -> Future[RunView]:
        """Cancel the task's running run (whoever runs it) and kill it if it is ours."""
        return self._request("cancel", key=key, actor=actor, reason=reason)

    def set_auto(self, on: bool) -> None:
        """Whether to claim ready tasks by itself (True) or only run what is submitted."""
        self._auto = on
        self._wake.set()

    @property
    def auto(self) -> bool:
        return self._auto

    def active_keys(self) -> list[str]:
        return [a.claim.key for a in list(self._active.values())]

    def _request(self, kind: str, **args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._requests.append(_Request(kind, future, args))
        self._wake.set()
        return future

    # -- the loop -------------------------------------------------------------------

    def serve(self) -> RunnerSummary:
        """Run until stopped (or, with `until_idle`, until nothing is left to do).

        A database reset under it (`db reset`, `db copy --replace`) stops it: its
        children are stopped, nothing more is written for their runs (gone with the
        reset), and `DatabaseReset` says so."""
        self.orch.refuse_writes_after_reset()
        try:
            return self._serve()
        except DatabaseReset:
            running = len(self._active)
            what = (
                f"was working: it stopped {counted(running, 'running command')}, whose runs "
                "are gone, and wrote nothing more"
                if running
                else "waited for work: it stopped"
            )
            reset = DatabaseReset.of(
                self.orch.db.describe(),
                f"while runner {self.config.agent} {what}; start it again to run what the "
                "database holds now",
            )
            self._stop_reason = str(reset)
            self._shutdown(reset=True)
            raise reset from None

    def _serve(self) -> RunnerSummary:
        cfg = self.config
        self._environ = dict(os.environ)
        # A database locked at the start is waited for, as in every round (until stopped).
        register = self.orch.agents.register
        waiting = False
        while self._guard(register, cfg.agent, cfg.registered_type, self._capabilities()) is False:
            if not waiting and self._busy is not None:
                waiting = True
                self._emit(RunnerWaiting(str(self._busy), isinstance(self._busy, DatabaseLocked)))
            if self._stop_reason is not None:
                break
        else:
            self._emit(RunnerServing(waited=waiting))
        renew_every = max(cfg.lease_seconds / 3, 0.05)
        reclaim_every = max(min(cfg.lease_seconds / 4, cfg.poll_seconds * 4), cfg.poll_seconds)
        now = time.monotonic()
        next_renew, next_reclaim, next_poll = now + renew_every, now, now + cfg.poll_seconds
        last_flush = now
        claim_due = True
        stopping = False
        feed = self.orch.listen(self._heard)  # PostgreSQL: claim as soon as work appears
        reset = False
        try:
            while True:
                now = time.monotonic()
                if self._pushed.is_set():
                    self._pushed.clear()
                    claim_due = True
                if self._stop_reason is not None and not stopping:
                    stopping = True
                    self._stop_all("release", f"runner {cfg.agent} stopped")
                self._handle_requests(stopping)
                done = self._gather(self._take_done(), stopping)
                if self._spawned and not done and self._record_due(now):
                    self._guard(self._record_spawned)
                if self._flush_due(bool(done) or stopping, now - last_flush):
                    self._guard(self._flush)
                    last_flush = now
                if done:
                    # Freed slots are filled in the same transaction as the settling.
                    refill = self._auto and not stopping
                    settled = self._guard(self._settle, done, refill)
                    if settled is False:
                        self._done.extendleft(reversed(done))  # database busy: try again
                        claim_due = True
                    else:
                        filled, claims = settled
                        for claim in claims:  # committed: a failed start is not a failed settle
                            self._guard(self._start, claim)
                        claim_due = filled if refill else True
                if stopping and not self._active and not self._done:
                    break
                if now >= next_renew:
                    self._guard(self._renew)
                    next_renew = now + renew_every
                elif self._active and now >= next_poll:
                    self._guard(self._check_held)
                if now >= next_poll:
                    next_poll = now + cfg.poll_seconds
                    claim_due = True
                if now >= next_reclaim:
                    self._guard(self._reclaim)
                    next_reclaim = now + reclaim_every
                if self._reaped:
                    self._guard(self._reclaim_reaped)
                if claim_due and self._auto and not stopping:
                    claim_due = self._guard(self._claim) is True
                if cfg.until_idle and not stopping and self._quiet() and self._idle():
                    self._stop_reason = "idle"
                    break
                deadlines = [next_renew, next_reclaim, next_poll]
                if len(self._buffer):
                    deadlines.append(last_flush + cfg.flush_seconds)
                if self._spawned_seen is not None:
                    deadlines.append(self._spawned_seen + cfg.flush_seconds)
                if claim_due and self._auto and not stopping:
                    deadlines.append(now)
                self._wake.wait(max(min(deadlines) - time.monotonic(), 0))
                self._wake.clear()
        except DatabaseReset:
            reset = True  # `serve` stops it, writing nothing more
            raise
        finally:
            if feed is not None:
                feed.stop()
            if not reset:
                self._shutdown()
        self.summary.stop_reason = self._stop_reason or ""
        return self.summary

    def _heard(self) -> None:
        self._pushed.set()
        self._wake.set()

    def _flush_due(self, urgent: bool, since_last: float) -> bool:
        waiting = len(self._buffer)
        if not waiting:
            return urgent
        cfg = self.config
        return urgent or since_last >= cfg.flush_seconds or waiting >= cfg.flush_lines

    def _quiet(self) -> bool:
        busy = self._active or self._done or self._requests or self._reaping or self._spawned
        return not busy and not len(self._buffer)

    def _idle(self) -> bool:
        outlook = self.orch.runs.outlook(self.config.served_types)
        return outlook.idle

    def _capabilities(self) -> list[str]:
        return self.config.capabilities or list(self.config.served_types)

    def _guard(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a database step; a locked or unreachable database is logged and
        retried next round."""
        try:
            result = fn(*args)
        except DatabaseUnavailable as exc:
            self._busy = exc
            self._say_waiting(exc)
            time.sleep(min(self.config.poll_seconds, 0.5))
            return False
        if self._unreachable:
            self._unreachable = False
            log.warning("database reachable again: %s", self.orch.db.describe())
        return result

    def _say_waiting(self, exc: DatabaseUnavailable) -> None:
        """One line each time a lock outlasts the busy timeout; one line for a whole
        outage of a server that went away (every round would say it again)."""
        if isinstance(exc, DatabaseLocked):
            log.warning("database busy, will retry: %s", printable(str(exc)))
        elif not self._unreachable:
            self._unreachable = True
            log.warning(
                "database unreachable, will retry until it is back: %s", printable(str(exc))
            )

    # -- steps ------------------------------------------------------------------------

    def _claim(self) -> bool:
        """Claim up to the free slots; True when every slot was filled (more may wait)."""
        free = self.config.max_parallel - len(self._active)
        if free <= 0:
            return False
        cfg = self.config
        claims = self.orch.runs.claim(
            cfg.lease_owner,
            cfg.lease_seconds,
            limit=free,
            agent_types=cfg.served_types,
        )
        for claim in claims:
            self._start(claim)
        return len(claims) == free

    def _start(self, claim: Claim) -> None:
        cmd = claim.command
        job = workspace_job(self.orch, claim)  # None unless it declares workspace or verify
        cwd = job.cwd if job is not None else cmd.cwd
        agent, agent_error, passing = self._agent(claim, cwd) if cmd.agent else (None, None, False)
        env = dict(agent.invocation.env) if agent else dict(self._environ or os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.update(cmd.env)
        env.update(
            {
                TASK_ENV: claim.key,
                RUN_ENV: str(claim.run_id),
                EXECUTION_ENV: claim.execution_id,
                ATTEMPT_ENV: str(claim.attempt),
                DB_ENV: self.orch.db.url,
                ACTOR_ENV: self.config.agent,
                RUNNER_MARK_ENV: self._mark,
            }
        )
        if job is not None:
            env.update(job.env())
        # `orchestrator-tui` is found by the command's own children too (this very
        # installation, whatever PATH says, as its argv[0] is).
        if (path := path_finding_self(env.get("PATH"))) is not None:
            env["PATH"] = path
        # A command that asks a question (`task ask`) notifies through this runner's hooks.
        if self.config.notify_cmd:
            env[NOTIFY_CMD_ENV] = shlex.join(self.config.notify_cmd)
        if self.config.webhook:
            env[WEBHOOK_ENV] = self.config.webhook
        active: _Active

        def sink(lines: list[Line]) -> None:
            start = active.next_seq
            active.next_seq += len(lines)
            rows: list[Row] = [
                (claim.run_id, start + i, stream.value, text, at)
                for i, (stream, text, at) in enumerate(lines)
            ]
            self._buffer.put(rows)

        def spawned(pid: int) -> None:  # on the supervising thread, right after the fork
            mark = mark_of(pid)
            if mark is not None:
                record = ProcessRecord(claim.run_id, mark.pid, mark.pgid, mark.host, mark.start)
                self._spawned.append(record)
                self._wake.set()

        supervisor = (job.supervisor if job is not None else Supervisor)(
            agent.invocation.argv if agent else cmd.argv,
            sink=agent.sink(sink) if agent else sink,
            cwd=cwd,
            env=env,
            timeout=agent.timeout if agent else cmd.timeout_seconds,
            kill_grace=self.config.kill_grace_seconds,
            on_spawn=spawned,
            stdin_path=agent.invocation.stdin_path if agent else None,
            watched=self._watched(),
            held_back=self._buffer.full,  # the database is behind: leave the pipes unread
        )
        active = _Active(claim=claim, supervisor=supervisor, agent=agent, retry_spawn=passing)
        if agent:
            agent.on_budget(supervisor.stop)
        future: Future[None] = Future()
        active.future = future

        def ended(outcome: ProcessOutcome) -> None:  # the reactor's thread, or here
            if future.done():
                return
            if agent and not outcome.spawn_error:
                try:
                    agent.end_of_stream()
                except Exception as exc:  # never leave a claimed task without an ending
                    log.exception("supervising %s failed", claim.key)
                    outcome.spawn_error = f"runner error: {exc}"
            self._done.append((active, outcome))
            future.set_result(None)
            self._ended.set()
            self._wake.set()

        reactor = self._children() if job is None else None

        def supervise() -> None:  # on a thread of the pool
            try:
                if reactor is not None:  # spawned here, then watched with the others
                    supervisor.start(reactor, ended)
                    return
                ended(supervisor.run())  # a workspace job: its git and verify steps block
            except Exception as exc:
                log.exception("supervising %s failed", claim.key)
                ended(ProcessOutcome(spawn_error=f"runner error: {exc}"))

        self._active[claim.run_id] = active
        self.summary.started += 1
        if agent_error:
            ended(ProcessOutcome(spawn_error=agent_error))
        else:
            # Spawning waits for the child's exec: from several threads the waits
            # overlap (one thread spawning 1000 `true` took twice the wall time).
            self._pool.submit(supervise)
        self._emit(RunStarted(claim))

    def _children(self) -> Reactor:
        """The reactor watching this runner's children (started on first use, and
        again should its loop have broken: it failed every child it watched)."""
        if self._reactor is None or self._reactor.failed:
            self._reactor = Reactor()
            self._reactor.start("supervise")
        return self._reactor

    def _agent(self, claim: Claim, cwd: str | None) -> tuple[AgentSession | None, str | None, bool]:
        """Prepare a coding agent's run; else why it cannot start, and whether
        that may pass (a busy database) so a retry is worth it."""
        name = claim.command.agent.profile if claim.command.agent else None
        try:
            if self._profiles is None:
                from ..services.agent_profiles import load_profiles

                self._profiles = load_profiles()
            return AgentSession.start(self.orch, claim, self._profiles, cwd), None, False
        except DatabaseUnavailable as exc:
            return None, f"agent {name}: {exc}", True
        except Exception as exc:  # the claim is taken: it must end with a reason
            if not isinstance(exc, OrchestratorError):
                log.exception("preparing agent %s for %s failed", name, claim.key)
            return None, f"agent {name}: {exc}", False

    def _watched(self) -> bool:
        """Whether a watcher stops our children if we die (started on first use, and
        again should it have died); without one each child gets the parent-death
        signal instead."""
        if self._watcher is None or not self._watcher.watching():
            self._watcher = Watcher.start(self.config.kill_grace_seconds, self._mark)
        return self._watcher is not None

    def _gather(
        self, done: list[tuple[_Active, ProcessOutcome]], stopping: bool
    ) -> list[tuple[_Active, ProcessOutcome]]:
        """With runs ended and others still running, wait up to `gather_seconds` for
        more to end, so that one round settles them all (see RunnerConfig)."""
        wait = self.config.gather_seconds
        if not done or stopping or wait <= 0:
            return done
        deadline = time.monotonic() + wait
        while len(done) < len(self._active) and self._stop_reason is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._ended.clear()
            if not self._done and not self._ended.wait(left):
                break
            done += self._take_done()
        return done

    def _take_done(self) -> list[tuple[_Active, ProcessOutcome]]:
        done = []
        while self._done:
            done.append(self._done.popleft())
        return done

    def _flush(self) -> None:
        rows = self._buffer.take()
        if not rows:
            return
        try:
            for start in range(0, len(rows), _INSERT_CHUNK):
                self.orch.runs.append_lines(rows[start : start + _INSERT_CHUNK])
        except DatabaseUnavailable:
            self._buffer.put_back(rows[start:])  # keep what is not stored yet
            raise
        last: dict[int, tuple[int, int]] = {}
        for run_id, seq, *_ in rows:
            _, count = last.get(run_id, (seq, 0))
            last[run_id] = (seq, count + 1)
        for run_id, (seq, count) in last.items():
            active = self._active.get(run_id)
            if active is not None:
                active.stored_seq = seq
                self._emit(LinesStored(run_id, active.claim.key, seq, count))

    def _settle(
        self, done: list[tuple[_Active, ProcessOutcome]], refill: bool
    ) -> tuple[bool, list[Claim]]:
        """Finish these runs and, with `refill`, claim tasks for the slots they free,
        in one transaction; whether every free slot was filled, and the claims, which
        the caller starts."""
        results = [self._result(a, o) for a, o in done]
        for active, _ in done:
            record(self.orch, active.supervisor)  # what it changed in its worktree
        agents = [(a.agent, o) for a, o in done if a.agent is not None and not a.agent.recorded]
        if agents:  # once, even when closing the runs must be tried again
            self.orch.agent_runs.record_usage([agent.usage(o) for agent, o in agents])
            for agent, _ in agents:
                agent.recorded = True
        cfg = self.config
        free = cfg.max_parallel - (len(self._active) - len(done)) if refill else 0
        records = list(self._spawned)
        self._spawned_seen = None
        settled, claims = self.orch.runs.settle_and_claim(
            cfg.lease_owner,
            results,
            cfg.retry,
            records,
            free,
            cfg.lease_seconds,
            cfg.served_types,
        )
        for _ in records:
            self._spawned.popleft()
        for (active, _), item in zip(done, settled, strict=True):
            finished(active.supervisor, item)
            self._active.pop(active.claim.run_id, None)
            if active.agent is not None:
                active.agent.close()
            self._count(item)
            self._tell(item)
        return free > 0 and len(claims) == free, claims

    def _result(self, active: _Active, out: ProcessOutcome) -> RunResult:
        claim = active.claim
        res = RunResult(
            run_id=claim.run_id,
            task_id=claim.task_id,
            status=RunStatus.FAILED,
            exit_code=out.exit_code,
            log_excerpt=out.collector.excerpt(),
            outputs=out.collector.outputs,
            outputs_uri=out.collector.outputs_uri,
        )
        if out.spawn_error:
            res.error, res.retryable = out.spawn_error, active.retry_spawn
        elif active.stop_kind == "release":
            res.status, res.release, res.error = RunStatus.CANCELLED, True, out.stopped
        elif active.stop_kind in ("lost", "cancel"):
            res.status, res.error = RunStatus.CANCELLED, out.stopped
        elif out.timed_out:
            res.status = RunStatus.TIMED_OUT
            limit = active.agent.timeout if active.agent else claim.command.timeout_seconds
            res.error = f"timed out after {limit or 0:g}s"
        elif out.exit_code == 0:
            res.status = RunStatus.SUCCEEDED
        elif out.exit_code is not None and out.exit_code < 0:
            res.error = f"killed by signal {signal.Signals(-out.exit_code).name}"
        else:
            res.error = exit_code_reason(out.exit_code)
        if active.agent is not None:
            active.agent.judge(res, out)
        if (job := job_of(active.supervisor)) is not None:
            job.judge(res)  # a failed verify fails a run that exited 0
        return res

    def _count(self, item: Settled) -> None:
        s = self.summary
        match item.ending:
            case Stopped(by=who):  # not a loss
                s.stopped_by_person += 1
                if who not in s.stopped_by:
                    s.stopped_by.append(who)
            case Ending.CLOSED:
                s.loaded_open += 1
            case Ending.LOST:
                s.lost += 1  # reclaimed, or closed for a runner that died
        if (outcome := item.outcome) is not None:
            setattr(s, outcome.value, getattr(s, outcome.value) + 1)

    def _tell(self, item: Settled) -> None:
        payload = payload_for(item, self.config.agent)
        if payload is not None:
            self.notifier.send(payload)
        self._emit(RunSettled(item))

    def _renew(self) -> None:
        cfg = self.config
        held = self.orch.runs.renew(cfg.lease_owner, cfg.lease_seconds)
        self._drop_unheld(held)
        status = AgentStatus.ACTIVE if self._active else AgentStatus.IDLE
        self.orch.agents.heartbeat(cfg.agent, status)

    def _check_held(self) -> None:
        ids = [a.claim.task_id for a in self._active.values() if a.stop_kind is None]
        if ids:
            self._drop_unheld(self.orch.runs.held(self.config.lease_owner, ids))

    def _drop_unheld(self, held: set[int]) -> None:
        """Kill children whose task is no longer ours (cancelled, reset or reclaimed)."""
        for active in list(self._active.values()):
            if active.claim.task_id not in held and active.stop_kind is None:
                active.stop_kind = "lost"
                active.supervisor.stop("the task was cancelled, changed or reclaimed meanwhile")

    def _record_due(self, now: float) -> bool:
        """Whether new processes wait long enough to be recorded on their own: else
        they go with the next round's settling (short commands end within
        milliseconds), at the latest `flush_seconds` after they were seen."""
        if self._spawned_seen is None:
            self._spawned_seen = now
        return now - self._spawned_seen >= self.config.flush_seconds

    def _record_spawned(self) -> None:
        self._spawned_seen = None
        records = list(self._spawned)
        self.orch.processes.record(records)
        for _ in records:
            self._spawned.popleft()

    def _reclaim(self) -> None:
        """Runs of dead runners: stop what is left of their processes (on a thread
        of the pool), then reclaim their tasks, so no attempt overlaps the next."""
        self.orch.workspaces.sweep()  # worktrees of tasks people finished or cancelled
        attempts: dict[int, list[RunProcess]] = {}
        # A run left open on a task moved from its runner more than a lease ago:
        # a live runner would have closed it once its processes were gone.
        for row in self.orch.processes.expired(abandoned_after=self.config.lease_seconds):
            if row.task_id not in self._reaping:
                attempts.setdefault(row.task_id, []).append(row)
        for task_id, rows in attempts.items():
            self._reaping.add(task_id)
            self._pool.submit(self._reap, task_id, rows)

    def _reap(self, task_id: int, rows: list[RunProcess]) -> None:
        gone = True
        try:
            for row in rows:
                if row.run_id is None:
                    continue
                report = stop_run(row, self.config.kill_grace_seconds)
                if report.stopped or not report.checked:
                    log.warning("run %s of %s: %s", row.run_id, row.key, report.describe())
                # Another host's process cannot be checked from here: its own
                # parent-death signal is all there is, so the task is reclaimed.
                gone = gone and (report.gone or not report.checked)
        except Exception:
            log.exception("stopping the old processes of task %s failed", task_id)
            gone = False
        self._reaped.append((task_id, gone))
        self._wake.set()

    def _reclaim_reaped(self) -> None:
        reaped = list(self._reaped)
        ready = [task_id for task_id, gone in reaped if gone]
        settled = self.orch.runs.reclaim_expired(self.config.retry, only=ready)
        for item in settled + self.orch.runs.close_abandoned(ready):
            self._count(item)
            self._tell(item)
        for task_id, _ in reaped:  # what is still running is waited out: tried again later
            self._reaped.popleft()
            self._reaping.discard(task_id)

    def _handle_requests(self, stopping: bool) -> None:
        while self._requests:
            req = self._requests.popleft()
            if not req.future.set_running_or_notify_cancel():
                continue
            try:
                if req.kind == "run":
                    if stopping:
                        raise OrchestratorError("the runner is stopping")
                    cfg = self.config
                    (claim,) = self.orch.runs.claim(
                        cfg.lease_owner,
                        cfg.lease_seconds,
                        key=req.args["key"],
                        agent_types=None,
                    )
                    self._start(claim)
                    req.future.set_result(claim)
                else:
                    req.future.set_result(self._cancel(**req.args))
            except Exception as exc:
                req.future.set_exception(exc)

    def _cancel(self, key: str, actor: str | None, reason: str | None) -> RunView:
        orch = self.orch.as_actor(actor) if actor else self.orch
        view = orch.runs.cancel(key, reason)
        for active in self._active.values():
            if active.claim.run_id == view.id and active.stop_kind is None:
                active.stop_kind = "cancel"
                active.supervisor.stop(view.cancel_requested or "cancelled")
        return view

    def _stop_all(self, kind: str, reason: str) -> None:
        for active in self._active.values():
            if active.stop_kind is None:
                active.stop_kind = kind
            active.supervisor.stop(reason)

    def _shutdown(self, reset: bool = False) -> None:
        """Leave nothing behind: children stopped, runs closed, hooks delivered. After
        a reset (`reset`) the runs are gone: their children are stopped, and what is
        left of them (lines not stored yet, endings) dropped, never written."""
        if self._active:  # only after an error: stop children and hand their tasks back
            why = "the database was reset under it" if reset else "an error"
            self._stop_all("lost" if reset else "release", f"runner stopped after {why}")
            futures = [a.future for a in self._active.values() if a.future is not None]
            wait(futures, timeout=self.config.kill_grace_seconds + 2)
            if reset:
                self._forget_runs()
            else:
                self._close_runs()
        if self._watcher is not None:
            # Children still running (stopping them failed): the watcher stops them.
            self._watcher.leave(stop_children=bool(self._active))
        self._buffer.close()
        if self._reactor is not None:
            self._reactor.close(timeout=1.0)
            self._reactor = None
        self._pool.shutdown(wait=False)
        for req in self._requests:
            if reset:  # what it asked for is gone: the runner's end says why, once
                req.future.set_exception(DatabaseReset(self._stop_reason or "reset"))
            else:
                req.future.cancel()
        if not reset:  # (after a reset its agent row is gone too)
            with contextlib.suppress(OrchestratorError):
                self.orch.agents.heartbeat(self.config.agent, AgentStatus.OFFLINE)
        self.notifier.close()
        self._emit(RunnerStopped(self._stop_reason or "stopped"))

    def _close_runs(self) -> None:
        try:
            self._flush()
            done = self._take_done()
            if done:
                self._settle(done, refill=False)
        except Exception:
            log.exception("could not close the runs of a failed runner")

    def _forget_runs(self) -> None:
        """Drop what this runner holds of runs that are gone with the database."""
        self._buffer.take()
        for active, _ in self._take_done():
            self._active.pop(active.claim.run_id, None)
            if active.agent is not None:
                active.agent.close()
        self._spawned.clear()

    def _emit(self, event: RunnerEvent) -> None:
        if self.listener is None:
            return
        try:
            self.listener(event)
        except Exception:
            log.exception("runner listener failed on %s", type(event).__name__)
