"""One run of a coding agent, as the runner sees it: the prompt rendered from
the task, the argument list from the profile (resuming the previous session
when a reviewer asked for changes or questions it ended on were answered; a
run that ends with questions open leaves its task waiting for the answers),
the agent's output read by its parser
(raw events kept on the `raw` stream), budgets watched while it streams, and
the verdict: an agent that exits 0 but whose last word was an error fails.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from ..agents.budget import Limit, Spent, exceeded
from ..agents.parsers import Parser, make_parser
from ..agents.profiles import Invocation, build_invocation, resolve
from ..agents.prompt import render_prompt
from ..domain.agent import AgentProfile
from ..domain.enums import LogStream, RunStatus
from ..domain.errors import PermissionDenied
from ..domain.text import cut_line
from ..services import Orchestrator
from ..services.agent_runs import AgentRunService, RunUsage
from ..services.runs import Claim, RunResult
from .process import Line, LineSink, ProcessOutcome

_EXCERPT_LINES = 20
#: Longest reason taken from a line the agent printed on stderr.
_ERROR_CHARS = 500


class AgentSession:
    """Built on the runner's coordinating thread; `sink` runs on the
    supervising thread; `judge` and `usage` once the process ended."""

    def __init__(
        self,
        claim: Claim,
        profile_name: str,
        invocation: Invocation,
        limits: list[Limit],
        workdir: str,
        plan: str | None,
        default_timeout: float | None = None,
    ) -> None:
        self.claim = claim
        self.profile_name = profile_name
        self.invocation = invocation
        self.parser: Parser = make_parser(invocation.parser)
        self.limits = limits
        self.workdir = workdir
        self.plan = plan
        self.budget_error: str | None = None
        self._crossed_at_end = False  # a budget crossed by the agent's last word
        self.recorded = False  # usage stored
        self._started = time.monotonic()
        self._shown: deque[str] = deque(maxlen=_EXCERPT_LINES)
        #: The agent's last words on stderr (Gemini's missing credentials are only there).
        self._last_stderr: str | None = None
        self._lock = threading.Lock()
        self._stop: list[Callable[[str], None]] = []
        self._gave_up_told = False
        timeout = claim.command.timeout_seconds
        self.timeout, self._time_limit = self._timeout(
            default_timeout if timeout is None else timeout
        )

    # -- building ------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        orch: Orchestrator,
        claim: Claim,
        profiles: Mapping[str, AgentProfile],
        cwd: str | None = None,
    ) -> AgentSession:
        """Render the prompt, store it on the run, build the argv; OrchestratorError
        (an unknown profile, a bad template) when the run cannot start."""
        # OrchestratorError subclasses carry the one-line reason the run fails with.
        cmd = claim.command
        use = cmd.agent
        assert use is not None
        profile = resolve(use, profiles, cmd.argv)
        name = use.profile or "agent"
        service = AgentRunService(orch.ctx)
        start = service.prepare(claim.task_id, claim.attempt, use.budget)
        for limit in start.limits:  # spent already (by a run that ended on its last word)
            spent = exceeded(limit, Spent(0.0, 0, 0.0), at=True)
            if spent:
                raise PermissionDenied(
                    f"{spent} before this run: it was not started (raise the budget to go on)"
                )
        prompt = render_prompt(start.context, use.template or profile.template)
        workdir = tempfile.mkdtemp(prefix=f"orchestrator-tui-run-{claim.run_id}-")
        prompt_file = str(Path(workdir) / "prompt.md")
        Path(prompt_file).write_text(prompt, encoding="utf-8")
        where = cwd or cmd.cwd
        kw = {"prompt_file": prompt_file, "session_id": start.resume_session, "cwd": where}
        invocation = build_invocation(profile, use, prompt, **kw)  # type: ignore[arg-type]
        shown = build_invocation(profile, use, "{prompt}", **kw).argv  # type: ignore[arg-type]
        try:
            service.record_start(claim.run_id, name, prompt, shown)
        except Exception:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return cls(
            claim, name, invocation, start.limits, workdir, use.plan, profile.timeout_seconds
        )

    def _timeout(self, timeout: float | None) -> tuple[float | None, Limit | None]:
        """The run's time limit: the command's timeout (else its profile's), or what a
        budget leaves."""
        binding: Limit | None = None
        for limit in self.limits:
            left = limit.seconds_left()
            if left is not None and (timeout is None or left < timeout):
                timeout, binding = max(left, 0.01), limit
        return timeout, binding

    # -- while it runs (supervising thread) ------------------------------------------

    def on_budget(self, stop: Callable[[str], None]) -> None:
        """`stop(reason)` is called once when a budget is crossed, or when the
        agent's output says it will get nowhere (`Parser.gave_up`)."""
        self._stop.append(stop)

    def sink(self, inner: LineSink) -> LineSink:
        parser = self.parser

        def parse(lines: list[Line]) -> None:
            out: list[Line] = []
            with self._lock:
                for stream, text, at in lines:
                    if stream is not LogStream.STDOUT:
                        out.append((stream, text, at))
                        if stream is LogStream.STDERR and text.strip():
                            self._last_stderr = text
                        continue
                    if parser.json:
                        out.append((LogStream.RAW, text, at))
                    for shown_stream, shown in parser.feed(text):
                        out.append((shown_stream, shown, at))
                        self._shown.append(shown)
                late = self._check_budget()
                if late is not None:
                    out.append((LogStream.STDERR, late, _now()))
                self._check_gave_up()
            if out:
                inner(out)

        self._inner = inner
        return parse

    def end_of_stream(self) -> None:
        with self._lock:
            rest = self.parser.end()
        if rest:
            at = _now()
            self._inner([(s, t, at) for s, t in rest])
            self._shown.extend(t for _, t in rest)

    def _check_budget(self) -> str | None:
        """Stop the run when a budget is crossed. Crossed by the agent's last word
        (Claude Code tells its cost only in its final result): nothing is left to
        stop, and the work paid for is kept; the line returned says so in its log,
        and the spend recorded refuses every further run."""
        if self.budget_error is not None or self._crossed_at_end:
            return None
        o = self.parser.outcome
        run = Spent(o.cost_usd or 0.0, o.tokens, 0.0)
        for limit in self.limits:
            why = exceeded(limit, run)
            if why and self.parser.last_word:
                self._crossed_at_end = True
                return (
                    f"! {why} by the agent's final report: its finished work is kept; "
                    "no further run can start"
                )
            if why:
                self.budget_error = why
                self._halt(why)
                return None
        return None

    def _check_gave_up(self) -> None:
        why = self.parser.gave_up
        if why is not None and not self._gave_up_told:
            self._gave_up_told = True
            self._halt(why)

    def _halt(self, why: str) -> None:
        for stop in self._stop:
            stop(why)

    # -- after it ended ----------------------------------------------------------------

    def judge(self, res: RunResult, out: ProcessOutcome) -> None:
        """Adjust the runner's verdict with what the agent said."""
        if self._shown:
            res.log_excerpt = "\n".join(self._shown)
        if res.release or res.status is RunStatus.CANCELLED or out.spawn_error:
            return
        if self.budget_error is not None:
            res.status, res.error, res.retryable = RunStatus.FAILED, self.budget_error, False
            return
        if self.parser.gave_up is not None:  # stopped by us, not by its own failure
            res.status, res.error = RunStatus.FAILED, self._cut(self.parser.gave_up)
            return
        if out.timed_out and self._time_limit is not None:
            spent = Spent(0.0, 0, time.monotonic() - self._started)
            why = exceeded(self._time_limit, spent, at=True) or (
                f"{self._time_limit.prefix}budget exceeded: {spent.seconds:.0f}s"
            )
            res.status, res.error, res.retryable = RunStatus.FAILED, why, False
            return
        verdict = self.parser.verdict(out.exit_code)
        if verdict is None and out.exit_code not in (0, None):
            verdict = self._stderr_reason()  # a failing agent that said why on stderr only
        if res.status is RunStatus.SUCCEEDED and verdict:
            res.status, res.error = RunStatus.FAILED, verdict
        elif res.status is RunStatus.SUCCEEDED:
            res.continues_after_answers = True
        elif res.status in (RunStatus.FAILED, RunStatus.TIMED_OUT) and verdict and res.error:
            res.error = f"{res.error}: {verdict}"

    def _stderr_reason(self) -> str | None:
        """The agent's last stderr line as a run's reason."""
        return None if self._last_stderr is None else self._cut(self._last_stderr)

    def _cut(self, said: str) -> str:
        """Something the agent said, as a run's reason: cut, saying so, when long."""
        where = f"`task logs {self.claim.key} --run {self.claim.run_id}`"
        return cut_line(said, _ERROR_CHARS, where)

    def usage(self, out: ProcessOutcome) -> RunUsage:
        o = self.parser.outcome
        usage = o.usage()
        if not usage.model and self.claim.command.agent:  # the one it was asked to use
            usage.model = self.claim.command.agent.model
        return RunUsage(
            run_id=self.claim.run_id,
            task_id=self.claim.task_id,
            usage=usage,
            plan=self.plan,
            summary=(o.result or "")[:20_000] or None,
            seconds=out.duration_seconds,
        )

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def _now() -> datetime:
    return datetime.now(UTC)
