"""A run of a task that declares a `workspace` or `verify` commands.

Around the task's command, on the run's supervising thread (git and verify
commands never block the runner's coordinating thread):

1. make or reuse the task's worktree and run its setup (the command's cwd);
2. run the command there (the next attempt after a failed verify gets the
   failure in $ORCHESTRATOR_TUI_FEEDBACK);
3. after exit 0, run each verify command there, its output stored as the
   `verify` stream of the run;
4. commit what the run left and read what changed against base;
5. for a task without an approval gate, do its `on_approve` at once.

A coding agent that ended its turn on a question it asked is not finished:
its run skips 3 and 5 (its task waits for the answer, and the run that
continues the session is verified and merged).

The coordinating thread then stores the changes (`record`), judges the run
(`judge`: a failed verify fails it) and removes the worktree of a finished
task (`finished`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..config import WORKSPACE_ENV
from ..domain.command_text import argv_text
from ..domain.enums import LogStream, RunStatus
from ..domain.errors import DatabaseUnavailable
from ..domain.rules import WORKTREE_REMOVABLE
from ..domain.workspace import OnApprove, OnVerifyFail
from ..services import Orchestrator
from ..services.run_model import Claim, RunResult, Settled
from ..services.workspaces import VERIFY_FAILED
from ..workspaces.git import WorkspaceError
from ..workspaces.merge import merge_for_approval
from ..workspaces.worktree import Captured, Layout, Prepared, capture, layout, prepare, remove
from .process import Line, ProcessOutcome, Supervisor

log = logging.getLogger("orchestrator_tui.runner")

FEEDBACK_ENV = "ORCHESTRATOR_TUI_FEEDBACK"
BRANCH_ENV = "ORCHESTRATOR_TUI_BRANCH"


class WorkspaceJob:
    """What the runner knows about one such run, before and after it."""

    def __init__(
        self,
        claim: Claim,
        feedback: str | None,
        ended_asking: Callable[[], bool] = lambda: False,
    ) -> None:
        self.claim = claim
        #: Whether the agent left a question it asked open (read once it exited).
        self.ended_asking = ended_asking
        self.spec = claim.command.workspace
        self.layout: Layout | None = layout(self.spec, claim.key) if self.spec else None
        self.feedback = feedback
        self.prepared: Prepared | None = None
        self.captured: Captured | None = None
        self.verify: list[dict[str, Any]] = []
        self.failure: str | None = None
        self.retryable = True
        self.recorded = False

    @property
    def cwd(self) -> str | None:
        return str(self.layout.path) if self.layout else self.claim.command.cwd

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if self.layout:
            env[WORKSPACE_ENV] = str(self.layout.path)
            env[BRANCH_ENV] = self.layout.branch
        if self.feedback:
            env[FEEDBACK_ENV] = self.feedback
        return env

    def supervisor(self, argv: list[str], **kwargs: Any) -> WorkspaceSupervisor:
        return WorkspaceSupervisor(self, argv, **kwargs)

    def judge(self, res: RunResult) -> None:
        """A command that exited 0 still fails when verify, recording or merging did."""
        if res.status is RunStatus.SUCCEEDED and self.failure:
            res.status, res.error, res.retryable = RunStatus.FAILED, self.failure, self.retryable


def workspace_job(orch: Orchestrator, claim: Claim) -> WorkspaceJob | None:
    """The job for a claim, or None for a plain command."""
    cmd = claim.command
    if cmd.workspace is None and not cmd.verify:
        return None
    feedback = orch.workspaces.feedback_for(claim.task_id, claim.run_id)
    if cmd.agent is None:
        return WorkspaceJob(claim, feedback)
    since = orch.ctx.now()

    def ended_asking() -> bool:
        try:
            return bool(orch.questions.open_since(claim.task_id, since))
        except DatabaseUnavailable:  # then verify as usual; finishing decides
            return False

    return WorkspaceJob(claim, feedback, ended_asking)


def job_of(supervisor: Supervisor) -> WorkspaceJob | None:
    return supervisor.job if isinstance(supervisor, WorkspaceSupervisor) else None


def record(orch: Orchestrator, supervisor: Supervisor) -> None:
    """Store what the run changed (once), before the run is finished."""
    job = job_of(supervisor)
    if job is None or job.recorded or job.captured is None or job.prepared is None:
        return
    try:
        orch.workspaces.record(job.claim.run_id, job.prepared.layout, job.captured, job.verify)
    except DatabaseUnavailable:
        raise  # the runner tries the whole settling again
    except Exception:  # never let one record stop the runner from finishing runs
        log.exception("could not store the changes of run %s", job.claim.run_id)
    job.recorded = True


def finished(supervisor: Supervisor, settled: Settled) -> None:
    """A task that is done no longer needs its worktree (unless it says keep)."""
    job = job_of(supervisor)
    if job is None or job.spec is None or job.spec.keep:
        return
    if settled.task_status in WORKTREE_REMOVABLE:
        try:
            remove(job.spec, job.claim.key)
        except WorkspaceError as exc:
            log.warning("could not remove the worktree of %s: %s", job.claim.key, exc)


class WorkspaceSupervisor(Supervisor):
    """A Supervisor that prepares the worktree first and verifies and records after."""

    def __init__(self, job: WorkspaceJob, argv: list[str], **kwargs: Any) -> None:
        super().__init__(argv, **kwargs)
        self.job = job
        self._child: Supervisor | None = None
        self._main_done = False
        self._stopping: str | None = None

    def stop(self, reason: str) -> None:
        self._stopping = self._stopping or reason
        if not self._main_done:  # only the verify child runs once the main command ended
            super().stop(reason)
        child = self._child
        if child is not None:
            child.stop(reason)

    def _say(self, text: str, stream: LogStream = LogStream.SYSTEM) -> None:
        self.sink([(stream, text, datetime.now(UTC))])

    def run(self) -> ProcessOutcome:
        job = self.job
        if job.spec is not None:
            try:
                job.prepared = prepare(job.spec, job.claim.key, self._say)
            except WorkspaceError as exc:
                self._main_done = True
                return ProcessOutcome(spawn_error=f"workspace: {exc}")
        if job.feedback:
            self._say("feedback from the previous attempt is in $" + FEEDBACK_ENV)
        try:
            out = super().run()
        finally:
            self._main_done = True
        asking = out.exit_code == 0 and self._stopping is None and job.ended_asking()
        if asking:
            self._say("the agent asked a person: verify and merge wait for the run that goes on")
        elif out.exit_code == 0 and not out.timed_out and self._stopping is None:
            self._verify()
        if job.prepared is not None:
            try:
                exclude = job.prepared.copied
                job.captured = capture(
                    job.prepared.layout,
                    job.claim.attempt,
                    job.spec.author if job.spec else None,
                    exclude,
                )
                n = len(job.captured.files)
                self._say(
                    f"workspace: {n} file{'s' if n != 1 else ''} changed"
                    if n
                    else "workspace: no changes"
                )
            except WorkspaceError as exc:
                job.failure = job.failure or f"could not record the changes: {exc}"
                self._say(job.failure)
        if out.exit_code == 0 and job.failure is None and self._stopping is None and not asking:
            self._merge_now()
        return out

    def _verify(self) -> None:
        job = self.job
        for argv in job.claim.command.verify:
            if self._stopping is not None:
                return
            self._say(f"verify: {argv_text(argv)}")
            child = Supervisor(
                argv,
                sink=self._verify_sink,
                cwd=job.cwd,
                env=self.env,
                timeout=self.timeout,
                kill_grace=self.kill_grace,
                watched=self.watched,
            )
            self._child = child
            if self._stopping is not None:
                child.stop(self._stopping)
            result = child.run()
            self._child = None
            job.verify.append({"argv": list(argv), "exit_code": result.exit_code})
            why = _why(result)
            if why is not None:
                job.failure = f"{VERIFY_FAILED}: `{argv_text(argv)}` {why}"
                job.retryable = job.claim.command.on_verify_fail is OnVerifyFail.RETRY
                self._say(job.failure)
                return

    def _verify_sink(self, lines: list[Line]) -> None:
        self.sink([(LogStream.VERIFY, text, at) for _stream, text, at in lines])

    def _merge_now(self) -> None:
        job = self.job
        spec = job.spec
        if spec is None or job.claim.requires_approval or spec.on_approve is OnApprove.NONE:
            return
        outcome = merge_for_approval(spec, job.claim.key)
        self._say(f"workspace: {outcome.message}")
        if not outcome.ok:
            job.failure, job.retryable = outcome.message, False


def _why(result: ProcessOutcome) -> str | None:
    if result.spawn_error:
        return f"could not start: {result.spawn_error}"
    if result.timed_out:
        return "timed out"
    if result.exit_code != 0:
        return f"exit {result.exit_code}"
    return None
