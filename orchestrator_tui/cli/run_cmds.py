"""`orchestrator-tui run`, `simulate`, and the run commands under `task`:
`task runs`, `task logs` and `task cancel-run`."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

from ..domain.command_text import argv_text
from ..domain.enums import AgentType
from ..domain.errors import DatabaseReset, ExitCode, NotFound, UsageError
from ..domain.event_text import words
from ..domain.money import spent, usd
from ..domain.rules import CLAIMED_BY_RUNNERS, RUNNING, no_output_text
from ..domain.text import colours_only, printable, strip_ansi
from ..domain.words import counted
from .common import (
    Unbuilt,
    at_least_one,
    chance,
    count,
    emit_json,
    open_from_args,
    opened,
    positive_seconds,
    say,
    seconds,
    table,
    wants_json,
)

if TYPE_CHECKING:  # the models load pydantic: only the commands that use them do
    from ..domain.models import LogLineView, RunView

FOLLOW_POLL_SECONDS = 0.25


# -- run ----------------------------------------------------------------------------


def _config(args: argparse.Namespace) -> Any:
    from ..runner import RunnerConfig
    from ..runner.config import default_agent_name
    from ..services.runs import RetryPolicy

    return RunnerConfig(
        agent=args.agent or default_agent_name(),
        agent_types=tuple(args.agent_type) if args.agent_type else None,
        max_parallel=args.max_parallel,
        lease_seconds=args.lease_seconds,
        poll_seconds=args.poll_seconds,
        retry=RetryPolicy(args.retry_backoff, max(args.retry_backoff, args.retry_backoff_max)),
        kill_grace_seconds=args.kill_grace,
        until_idle=args.until_idle,
        notify_cmd=shlex.split(args.notify_cmd) if args.notify_cmd else None,
        webhook=args.webhook,
    ).with_env_hooks()


class _Console:
    """Prints what the runner does, one plain line per event."""

    def __init__(self, orch: Any, echo: bool, as_json: bool) -> None:
        self.orch = orch
        self.echo = echo
        self.as_json = as_json
        self.render = colours_only if sys.stdout.isatty() else printable
        self.seen: dict[int, int] = {}

    def __call__(self, event: Any) -> None:
        from ..runner import LinesStored, RunSettled, RunStarted

        if self.as_json:
            return
        if isinstance(event, RunStarted):
            c = event.claim
            argv = printable(argv_text(c.command.argv))
            if c.command.agent is not None:  # the argv is the profile's, with the prompt
                argv = f"agent {printable(c.command.agent.profile or '?')}"
            say(f"start   {c.key} run {c.run_id} (attempt {c.attempt}): {argv}")
        elif isinstance(event, RunSettled):
            say(self._settled(event.settled))
        elif isinstance(event, LinesStored) and self.echo:
            after = self.seen.get(event.run_id, -1)
            for line in self.orch.queries.log_lines(event.run_id, after, limit=100_000):
                say(f"{event.key} | {self.render(line.text)}")
                after = line.seq
            self.seen[event.run_id] = after
        sys.stdout.flush()

    @staticmethod
    def _settled(s: Any) -> str:
        from ..services.run_model import Ending, Outcome

        reason = printable(s.reason)  # a person's stop: it says who and how
        ending = s.ending
        if ending is Ending.LOST and s.task_status is not None:  # reclaimed: where it went
            return f"lost    {s.key}: {reason}; now {words(s.task_status.value)}"
        if ending is not None:
            return f"{ending.value:<7} {s.key} run {s.run_id}: {reason}"
        if s.outcome is Outcome.SUCCEEDED:
            return f"done    {s.key} run {s.run_id}"
        if s.outcome is Outcome.AWAITING_APPROVAL:
            return f"review  {s.key} run {s.run_id}: awaiting approval"
        if s.outcome is Outcome.WAITING_FOR_ANSWERS:
            return f"asking  {s.key} run {s.run_id}: {reason}"
        if s.outcome is Outcome.RETRIED:
            return f"retry   {s.key} run {s.run_id}: {reason}"
        return f"{words(s.task_status.value):<7} {s.key} run {s.run_id}: {reason}"


def cmd_run(args: argparse.Namespace) -> int:
    import logging

    from ..runner import Runner, freeze_loaded
    from ..services.agent_profiles import profiles_path

    logging.basicConfig(level=logging.WARNING, format="orchestrator-tui: %(message)s")
    config = _config(args)
    profiles_path()  # a variable naming a missing profiles file stops it before any claim
    with opened(args) as base:
        orch = base.as_actor(config.agent)
        runner = Runner(orch, config, _Console(orch, args.echo, wants_json(args)))
        freeze_loaded()

        def on_signal(signum: int, _frame: Any) -> None:
            runner.stop(f"stopped by {signal.Signals(signum).name}")
            signal.signal(signum, signal.SIG_DFL)  # a second one stops at once

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, on_signal)
        if not wants_json(args):
            types = ", ".join(config.served_types)
            say(
                f"runner {printable(config.agent)} on {orch.db.describe()}: up to "
                f"{config.max_parallel} at once, serving {types}"
            )
        summary = runner.serve()
    if wants_json(args):
        emit_json(summary.__dict__)
    else:
        say(
            f"{summary.stop_reason}: {summary.started} started, {summary.succeeded} done, "
            f"{summary.awaiting_approval} awaiting approval, {summary.retried} retried, "
            f"{summary.failed} failed, {summary.lost} lost"
            + (
                f", {summary.waiting_for_answers} waiting for an answer"
                if summary.waiting_for_answers
                else ""
            )
            + (
                f", closed {counted(summary.loaded_open, 'run')} loaded open"
                if summary.loaded_open
                else ""
            )
            + (
                f", {summary.stopped_by_person} stopped by "
                + printable(", ".join(summary.stopped_by))
                if summary.stopped_by_person
                else ""
            )
        )
    return run_exit_code(summary)


def run_exit_code(summary: Any) -> ExitCode:
    """How `run` exits (README "Exit codes"): something broke (a task failed for good,
    a run lost) before a person's decision (a run they stopped) before success."""
    if summary.failed or summary.lost:
        return ExitCode.RUN_INCOMPLETE
    if summary.stopped_by_person:
        return ExitCode.RUN_STOPPED_BY_PERSON
    return ExitCode.OK


# -- task runs / logs / cancel-run ----------------------------------------------------


def _duration(run: RunView) -> str:
    seconds = run.duration_seconds
    return "-" if seconds is None else f"{seconds:.1f}s"


def cmd_runs(args: argparse.Namespace) -> int:
    runs = open_from_args(args).queries.runs_for(args.key)
    if wants_json(args):
        emit_json(runs)
        return 0
    if not runs:
        say(f"{args.key} has no runs yet")
        return 0
    agents = any(r.profile for r in runs)
    extra = ["PROFILE", "TOKENS", "COST"] if agents else []
    table(
        [
            "RUN",
            "ATTEMPT",
            "STATUS",
            "EXIT",
            "AGENT",
            "STARTED",
            "TOOK",
            "LINES",
            *extra,
            "OUTPUTS",
        ],
        (
            [
                r.id,
                r.attempt,
                words(r.state),
                "-" if r.exit_code is None else r.exit_code,
                r.agent or "-",
                f"{r.started_at:%Y-%m-%d %H:%M:%S}" if r.started_at else "-",
                _duration(r),
                r.line_count,
                *(_usage_cells(r) if agents else []),
                " ".join(
                    [f"{k}={v}" for k, v in r.outputs.items()]
                    + ([r.outputs_uri] if r.outputs_uri else [])
                    + ([f"({r.reason})"] if r.reason else [])
                ),
            ]
            for r in runs
        ),
    )
    if spend := _spend_line(runs):
        say(spend)
    last = runs[-1]
    if last.summary:
        say(f"summary of run {last.id}: {printable(last.summary)}")
    return 0


def _usage_cells(r: RunView) -> list[str]:
    cost = "-" if r.cost_usd is None else usd(r.cost_usd)
    return [r.profile or "-", str(r.tokens) if r.profile else "-", cost]


def _spend_line(runs: list[RunView]) -> str | None:
    from ..domain.agent import SpendRow

    t = SpendRow.of_runs("task", runs)
    if not t.runs:
        return None
    return (
        f"agent runs: {t.runs}, {t.tokens} tokens ({t.cached_tokens} cached), "
        f"{spent(t.reported_cost)}"
    )


def printable_block(text: str) -> str:
    """Several lines of untrusted text, escapes removed, newlines kept."""
    return strip_ansi(text).rstrip("\n")


def _pick_run(runs: list[RunView], key: str, wanted: int | None) -> RunView | None:
    if wanted is None:
        return runs[-1] if runs else None
    for run in runs:
        if run.id == wanted:
            return run
    raise NotFound(f"{key} has no run {wanted} (see `task runs {key}`)")


def cmd_logs(args: argparse.Namespace) -> int:
    if args.prompt and (args.raw or args.follow):
        raise UsageError("--prompt shows the prompt alone: leave out --raw and --follow")
    orch = open_from_args(args)
    as_json = wants_json(args)
    render = colours_only if sys.stdout.isatty() else printable
    run = _pick_run(orch.queries.runs_for(args.key), args.key, args.run)
    if args.prompt:
        if run is None or run.prompt is None:
            raise NotFound(f"{args.key} has no agent run with a prompt")
        if as_json:
            emit_json({"run": run.id, "prompt": run.prompt})
        else:
            sys.stdout.write(printable_block(run.prompt) + "\n")
        return 0
    if args.raw and run is not None and run.profile is None:
        raise NotFound(
            f"run {run.id} of {run.task_key} is a plain command's: it has no raw events;"
            f" `task logs {run.task_key}` shows its output"
        )
    if not args.follow:
        if run is None:
            raise NotFound(
                f"{args.key} has no runs yet (`task logs {args.key} --follow` waits for one)"
            )
        lines = _all_lines(orch, run.id, args.raw)
        if as_json:
            emit_json({"run": run, "lines": lines})
        else:
            for line in lines:
                sys.stdout.write(render(line.text) + "\n")
            if not lines:  # said aside: a pipe of the output stays empty
                print(no_output_text(run.status, run.error), file=sys.stderr)
        return 0
    return _follow(orch, args.key, run, args.run is not None, as_json, render, args.raw)


def _all_lines(orch: Any, run_id: int, raw: bool = False) -> list[LogLineView]:
    lines: list[LogLineView] = []
    after = -1
    while page := orch.queries.log_lines(run_id, after, limit=5000, raw=raw):
        lines.extend(page)
        after = page[-1].seq
    return lines


def _follow(
    orch: Any,
    key: str,
    run: RunView | None,
    fixed: bool,
    as_json: bool,
    render: Any,
    raw: bool = False,
) -> int:
    """Print lines as they arrive; move on to the next attempt unless a run was named.
    A database reset under it (`db reset`, `db copy --replace`) ends it with one line
    (`NotFound`): the run is gone, and its id may name another run soon."""
    with _ResetWatch(orch, key) as reset:
        after = -1
        told_empty: int | None = None  # the run said to have written nothing
        if run is None:
            print(f"waiting for {key} to start...", file=sys.stderr, flush=True)
        while True:
            if run is not None:
                lines = orch.queries.log_lines(run.id, after, limit=5000, raw=raw)
                reset.check(run)  # read before a reset: they are this run's
                for line in lines:
                    if as_json:
                        sys.stdout.write(json.dumps(line.model_dump(mode="json")) + "\n")
                    else:
                        sys.stdout.write(render(line.text) + "\n")
                    after = line.seq
                sys.stdout.flush()
                run = orch.runs.run(run.id)
                reset.check(run)
                if not run.status.is_finished:
                    time.sleep(FOLLOW_POLL_SECONDS)
                    continue
                if orch.queries.log_lines(run.id, after, limit=1, raw=raw):
                    continue
                if after == -1 and not as_json and told_empty != run.id:
                    told_empty = run.id  # once, though the loop waits here for a retry
                    print(no_output_text(run.status, run.error), file=sys.stderr)
                if fixed:
                    return 0
            runs = orch.queries.runs_for(key)
            reset.check(run)
            newer = [r for r in runs if run is None or r.id > run.id]
            if newer:
                run, after = newer[0], -1
                if not as_json:
                    print(f"--- run {run.id} (attempt {run.attempt}) ---", file=sys.stderr)
                continue
            if not _may_run_again(orch, key, run):
                reset.check(run)
                return 0
            time.sleep(FOLLOW_POLL_SECONDS)


class _ResetWatch:
    """Whether the database was reset since `task logs --follow` started (said with
    exit 3, `NotFound`: the run followed is gone); a `NotFound` leaving it (`no run 3`,
    `no task 'A'`) is said as the reset it came of."""

    def __init__(self, orch: Any, key: str) -> None:
        from ..services.reset_watch import ResetWatch

        self.resets, self.key = ResetWatch(orch), key
        self.run: RunView | None = None  # the run followed last

    def __enter__(self) -> _ResetWatch:
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        if isinstance(error, NotFound):
            self.check(None)

    def check(self, run: RunView | None) -> None:
        """Raise `NotFound`, saying so, if the database was reset meanwhile."""
        self.run = run or self.run
        run = self.run
        what = f"{self.key}'s run {run.id}" if run is not None else f"{self.key}'s runs"
        gone = "it is" if run is not None else "they are"
        try:
            self.resets.check(f"while following {what}: {gone} gone")
        except DatabaseReset as reset:
            raise NotFound(str(reset)) from None


def _may_run_again(orch: Any, key: str, last: RunView | None) -> bool:
    """A run may still come: the task is in progress, or a runner may claim its
    command (a first run, or a retry due later)."""
    task = orch.queries.get_task(key)
    if task.status is RUNNING:
        return True
    waiting = task.status in CLAIMED_BY_RUNNERS and task.command is not None
    return waiting and (last is None or orch.runs.retry_at(key) is not None)


def cmd_cancel_run(args: argparse.Namespace) -> int:
    """Cancel the run, then confirm its processes are gone (stopping them if its
    runner does not): `ExitCode.REFUSED` if one survives SIGKILL."""
    from ..runner.reaper import cancel_and_stop

    run, proc, report = cancel_and_stop(open_from_args(args), args.key, args.reason)
    if wants_json(args):
        emit_json({**run.model_dump(mode="json"), "process": _process_json(report)})
    else:
        say(f"{args.key}: run {run.id} cancelled; the task is now failed")
        where = "" if proc.pid is None else f" (pid {proc.pid} on {printable(proc.host or '')})"
        say(f"{args.key}: process{where}: {printable(report.describe())}")
    if report.checked and not report.gone:
        print(f"error: {args.key}: the cancelled run's process still runs", file=sys.stderr)
        return ExitCode.REFUSED
    return ExitCode.OK


def _process_json(report: Any) -> dict[str, Any]:
    return {
        "gone": report.gone,
        "checked": report.checked,
        "stopped": list(report.stopped),
        "left": list(report.left),
        "detail": report.describe(),
    }


# -- simulate --------------------------------------------------------------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    from ..simulated_agent import Simulation, simulate

    return simulate(
        Simulation(
            seconds=args.seconds,
            fail_chance=args.fail_chance,
            seed=args.seed,
            lines=args.lines,
            exit_code=args.exit_code,
            ask=args.ask,
            ask_timeout=args.ask_timeout,
            stream_json=args.stream_json,
            resume=args.resume,
        )
    )


# -- registration ------------------------------------------------------------------------


def _task_subcommands(sub: Any) -> Any:
    """The `task` command's subparsers (added by task_cmds, which registers first)."""
    task = sub.choices["task"]
    if isinstance(task, Unbuilt):  # the command line names another command
        return task
    for action in task._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise RuntimeError("the task command has no subcommands")


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        parents=parents,
        help="run ready tasks' commands (headless runner)",
        description="Claim ready tasks that have a command and run them as subprocesses. "
        "Hooks may also be set with $ORCHESTRATOR_TUI_NOTIFY_CMD and $ORCHESTRATOR_TUI_WEBHOOK.",
    )
    p.add_argument("--max-parallel", type=at_least_one, default=4, metavar="N")
    p.add_argument("--until-idle", action="store_true", help="stop when nothing is left to run")
    p.add_argument("--agent", metavar="NAME", help="agent name (default: runner@HOSTNAME)")
    p.add_argument(
        "--agent-type",
        action="append",
        choices=[t.value for t in AgentType],
        help="serve only tasks of this agent type (repeatable; default: all but human)",
    )
    p.add_argument("--lease-seconds", type=positive_seconds, default=30.0, metavar="S")
    p.add_argument("--poll-seconds", type=positive_seconds, default=0.5, metavar="S")
    p.add_argument(
        "--retry-backoff",
        type=seconds,
        default=5.0,
        metavar="S",
        help="first retry delay; doubles per attempt (default 5)",
    )
    p.add_argument("--retry-backoff-max", type=seconds, default=300.0, metavar="S")
    p.add_argument(
        "--kill-grace",
        type=seconds,
        default=5.0,
        metavar="S",
        help="seconds between SIGTERM and SIGKILL (default 5)",
    )
    p.add_argument(
        "--notify-cmd",
        metavar="CMD",
        help="command (split like a shell would, never run by one) given a JSON "
        "payload on stdin when a task awaits approval or fails for good",
    )
    p.add_argument("--webhook", metavar="URL", help="URL to POST the same JSON payload to")
    p.add_argument("--echo", action="store_true", help="also print the children's output")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser(
        "simulate",
        parents=parents,
        help="a simulated agent (for demos): staged coloured output, sometimes fails",
    )
    p.add_argument("--seconds", type=seconds, default=4.0)
    p.add_argument("--fail-chance", type=chance, default=0.15)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--lines", type=count, default=40)
    p.add_argument("--exit-code", type=int, default=1, help="exit code when failing")
    p.add_argument(
        "--ask",
        metavar="QUESTION",
        help="ask a person this first, and wait (with --stream-json: ask, end the turn, "
        "and go on with the answer when resumed)",
    )
    p.add_argument(
        "--ask-timeout", type=seconds, default=600.0, metavar="SECONDS", help="wait this long"
    )
    p.add_argument(
        "--stream-json",
        action="store_true",
        help="print Claude Code's stream-json events (tool calls, tokens, cost); "
        "reads the prompt on stdin",
    )
    p.add_argument("--resume", metavar="SESSION", help="continue this session (--stream-json)")
    p.set_defaults(handler=cmd_simulate)

    ts = _task_subcommands(sub)
    p = ts.add_parser("runs", parents=parents, help="a task's runs")
    p.add_argument("key")
    p.set_defaults(handler=cmd_runs)
    p = ts.add_parser("logs", parents=parents, help="a run's output (default: the latest run)")
    p.add_argument("key")
    p.add_argument("--run", type=int, metavar="ID", help="run id, as listed by `task runs`")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing as lines arrive")
    p.add_argument(
        "--raw", action="store_true", help="an agent's events exactly as it printed them"
    )
    p.add_argument("--prompt", action="store_true", help="the prompt the agent was given")
    p.set_defaults(handler=cmd_logs)
    p = ts.add_parser(
        "cancel-run",
        parents=parents,
        help="stop a task's running command (SIGTERM, then SIGKILL); the task fails",
    )
    p.add_argument("key")
    p.add_argument("--reason")
    p.set_defaults(handler=cmd_cancel_run)
