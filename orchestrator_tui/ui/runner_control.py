"""The runner inside the TUI: at most one `BackgroundRunner` at a time, driven
by keys, telling the app what it does through messages.

The runner works on its own thread with its own database connection. Every
call here returns at once; what comes back (a started run, stored lines, a
settled run, the end of the runner) arrives as a message on the app's loop.
The runner acts under its own agent name (`<actor>-runner`), so the person
can approve what it ran.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from textual.message import Message
from textual.reactive import reactive

from ..domain.errors import DatabaseReset
from ..domain.text import printable
from .host import HostApp
from .messages import DataMessage

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

    from ..runner import BackgroundRunner, RunnerServing, RunnerWaiting
    from ..runner.core import RunnerEvent

OFF, STARTING, ON, ON_DEMAND, STOPPING = "off", "starting", "on", "on demand", "stopping"
WAITING = "waiting"  # for the database, at its start (see `RunnerWaiting`)


def runner_agent_name(actor: str) -> str:
    """The runner's name: never the person's own, so the person may approve its work."""
    return f"{actor}-runner"


class RunnerState(NamedTuple):
    """What the header shows: the runner's phase and how many runs it has going."""

    phase: str = OFF
    active: int = 0

    @property
    def alive(self) -> bool:
        return self.phase != OFF

    def label(self) -> str:
        if self.phase in (OFF, STARTING, WAITING, STOPPING):
            return f"runner {self.phase}" + ("…" if self.phase != OFF else "")
        return f"runner {self.phase} · {self.active} running"


class RunnerNews(Message):
    """Something the runner did (posted from its thread); `active`: runs going now.

    Line notices of the same run still waiting in the queue collapse into one."""

    def __init__(self, event: RunnerEvent, active: int, generation: int) -> None:
        super().__init__()
        self.event = event
        self.active = active
        self.generation = generation

    def can_replace(self, message: Message) -> bool:
        from ..runner import LinesStored

        return (
            isinstance(message, RunnerNews)
            and isinstance(self.event, LinesStored)
            and isinstance(message.event, LinesStored)
            and message.event.run_id == self.event.run_id
        )


class RunnerEnded(DataMessage):
    """The runner's thread finished (stopped, or could not open the database)."""

    generation: int
    error: str | None = None
    reset: bool = False  # it stopped because the database was reset under it


class RunnerReady(DataMessage):
    """The runner opened its database and is serving (or failed to: see `RunnerEnded`)."""

    generation: int


class RunnerReply(DataMessage):
    """A request to the runner (run a task, cancel a run) was answered."""

    note: str
    error: bool = False
    key: str = ""


@dataclass
class RunnerControl:
    """Starts, drives and stops the app's runner; every method returns at once."""

    app: App[Any] = field(repr=False)
    db_url: str
    agent: str
    options: dict[str, Any] = field(default_factory=dict)
    generation: int = 0
    auto: bool = False
    stopping: bool = False
    waiting: bool = False  # for the database, at its start
    draining: bool = False  # stop once the running commands finished (see finish_then_stop)
    _runner: BackgroundRunner | None = field(default=None, init=False, repr=False)

    @property
    def alive(self) -> bool:
        """A runner exists and its thread has not finished."""
        return self._runner is not None and not self._runner.finished.done()

    def state(self, active: int | None = None) -> RunnerState:
        if not self.alive:
            return RunnerState(OFF)
        if self.stopping:
            return RunnerState(STOPPING)
        runner = self._runner
        assert runner is not None
        count = len(runner.active_keys()) if active is None else active
        if self.waiting:
            return RunnerState(WAITING, count)
        if not runner.ready.done():
            return RunnerState(STARTING, count)
        return RunnerState(ON if self.auto else ON_DEMAND, count)

    def start(self, auto: bool) -> str | None:
        """Run (auto: claim ready tasks by itself); the reason if it cannot now."""
        if self.stopping and self.alive:
            return "the runner is still stopping; try again in a moment"
        if self.alive:
            assert self._runner is not None
            self.auto = auto or self.auto
            self._runner.set_auto(self.auto)
            return None
        self._runner = self._new_runner(auto)
        self.auto, self.stopping = auto, False
        self._runner.start()
        return None

    def _new_runner(self, auto: bool) -> BackgroundRunner:
        from ..runner import BackgroundRunner, RunnerConfig

        self.generation += 1
        generation = self.generation
        config = RunnerConfig(agent=self.agent, auto=auto, **self.options).with_env_hooks()
        holder: list[BackgroundRunner] = []

        def listener(event: RunnerEvent) -> None:
            # On the runner's thread: count, then hand over (post_message is thread-safe).
            active = len(holder[0].active_keys()) if holder else 0
            self._post(RunnerNews(event, active, generation))

        runner = BackgroundRunner(self.db_url, config, listener)
        holder.append(runner)

        def ended(future: Future[Any]) -> None:
            error, reset = None, False
            if not future.cancelled() and (exc := future.exception()) is not None:
                error = str(exc) or type(exc).__name__
                reset = isinstance(exc, DatabaseReset)
            self._post(RunnerEnded(generation, error, reset))

        runner.finished.add_done_callback(ended)
        runner.ready.add_done_callback(lambda _: self._post(RunnerReady(generation)))
        return runner

    def _post(self, message: Message) -> None:
        """Post from any thread; once the app's loop is gone there is nobody to tell."""
        with contextlib.suppress(RuntimeError):
            self.app.post_message(message)

    def stop(self, reason: str = "stopped from the TUI") -> bool:
        """Stop the runner (children stopped, tasks handed back); False if none runs."""
        if not self.alive:
            return False
        assert self._runner is not None
        self.stopping = True
        self.auto = False
        self._runner.stop(reason)
        return True

    def ended(self, generation: int) -> bool:
        """Note that runner `generation` finished; True if it is the current one."""
        if generation != self.generation:
            return False
        self.stopping = False
        self.auto = False
        self.draining = False
        self.waiting = False
        return True

    def run_task(self, key: str) -> str | None:
        """Run `key` now (starting an on-demand runner if none runs); the reason if not."""
        problem = self.start(auto=False) if not self.alive else None
        if problem is not None:
            return problem
        if self.stopping:
            return "the runner is stopping"
        assert self._runner is not None
        future = self._runner.run_task(key)
        self._reply(future, lambda claim: f"{key}: run {claim.run_id} started", key)
        return None

    def cancel(self, key: str, actor: str) -> bool:
        """Cancel `key`'s run through our runner, if it is ours; False if it is not."""
        runner = self._runner
        if runner is None or not self.alive or key not in runner.active_keys():
            return False
        future = runner.cancel_run(key, actor=actor, reason="cancelled from the TUI")
        self._reply(future, lambda view: f"{key}: run {view.id} cancelled", key)
        return True

    def _reply(self, future: Future[Any], describe: Callable[[Any], str], key: str) -> None:
        def done(f: Future[Any]) -> None:
            if f.cancelled():
                self._post(RunnerReply(f"{key}: the runner stopped first", True, key))
            elif isinstance(f.exception(), DatabaseReset):
                return  # the runner stops for it too, and its end says so (once)
            elif (exc := f.exception()) is not None:
                self._post(RunnerReply(str(exc) or type(exc).__name__, True, key))
            else:
                self._post(RunnerReply(describe(f.result()), False, key))

        future.add_done_callback(done)

    def running_keys(self) -> list[str]:
        """The tasks whose commands this runner is running now."""
        return self._runner.active_keys() if self.alive and self._runner is not None else []

    def finish_then_stop(self) -> None:
        """Start nothing new (the running commands go on); `stop` once they finished."""
        if self.alive and self._runner is not None:
            self.auto = False
            self.draining = True
            self._runner.set_auto(False)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the runner's thread (never on the UI thread); True once it ended."""
        return self._runner is None or self._runner.join(timeout)


#: How long quitting waits for the runner beyond its kill grace before leaving anyway.
QUIT_MARGIN_SECONDS = 5.0


class RunnerActions(HostApp):
    """Part of the app: the runner key, its messages, and quitting with it running.

    The app sets `runner_control` and provides `poke_feed`."""

    runner_state: reactive[RunnerState] = reactive(RunnerState())
    _quitting: bool = False

    def _show_runner(self, active: int | None = None) -> None:
        self.runner_state = self.runner_control.state(active)

    def start_runner(self, auto: bool = True) -> None:
        problem = self.runner_control.start(auto)
        if problem:
            self.notify(problem, severity="warning", markup=False)
        self._show_runner()

    def action_toggle_runner(self) -> None:
        """Start the runner (claiming ready tasks by itself), or stop it."""
        control = self.runner_control
        if control.alive and control.auto and not control.stopping:
            control.stop()
            self.notify(
                "Stopping the runner: running commands stop, their tasks go back to pending"
            )
        else:
            self.start_runner(auto=True)
        self._show_runner()

    def on_runner_news(self, message: RunnerNews) -> None:
        from ..runner import LinesStored, RunnerServing, RunnerWaiting, RunSettled, RunStarted

        if message.generation != self.runner_control.generation:
            return
        event = message.event
        if isinstance(event, RunnerWaiting | RunnerServing):
            self._runner_waits(event)
        self._show_runner(message.active)
        self._stop_if_drained(message.active)
        if isinstance(event, RunSettled) and event.settled.failed_for_good:
            s = event.settled  # an agent not logged in, a command that broke: say why
            self.notify(
                printable(f"{s.key}: run {s.run_id} failed: {s.reason}"),
                severity="error",
                markup=False,
            )
        if isinstance(event, LinesStored | RunStarted | RunSettled):
            # Read the change feed now: it tells every screen, the log pane included.
            self.poke_feed()

    def _runner_waits(self, event: RunnerWaiting | RunnerServing) -> None:
        """The runner waits for the database at its start (told once), or serves."""
        from ..runner import RunnerWaiting

        control = self.runner_control
        if isinstance(event, RunnerWaiting):
            control.waiting = True
            why = (
                "another process is writing to it (an import, a backup, a migration?)"
                if event.locked
                else event.reason
            )
            self.notify(
                printable(f"The runner waits for the database: {why}. It starts once it can."),
                title="Runner waiting",
                severity="warning",
                markup=False,
            )
        elif control.waiting:
            control.waiting = False
            self.notify("The runner started: the database is free again", title="Runner started")

    def on_runner_ready(self, message: RunnerReady) -> None:
        if message.generation == self.runner_control.generation:
            self._show_runner()

    def on_runner_ended(self, message: RunnerEnded) -> None:
        if not self.runner_control.ended(message.generation):
            return
        self._show_runner()
        if message.error:
            title = "Runner stopped: database reset" if message.reset else "Runner failed"
            self.notify(printable(message.error), title=title, severity="error", markup=False)
        self.poke_feed()
        if self._quitting:
            self.exit()

    def on_runner_reply(self, message: RunnerReply) -> None:
        severity: SeverityLevel = "error" if message.error else "information"
        self.notify(printable(message.note), severity=severity, markup=False)
        self._show_runner()
        self.poke_feed()

    def _stop_if_drained(self, active: int) -> None:
        control = self.runner_control
        if control.draining and not control.stopping and active == 0:
            control.stop("the TUI is closing: its commands finished")
            self._show_runner()

    async def action_quit(self) -> None:
        """Quit. With commands running, ask first: stop them (handing their tasks
        back) and quit, or quit when they finish. q again stops them and quits."""
        from .modals.quit import QuitWhileRunning

        control = self.runner_control
        if not control.alive or (self._quitting and control.stopping):
            self.exit()
            return
        running = control.running_keys()
        if running and not self._quitting:
            grace = float(control.options.get("kill_grace_seconds", 5.0))
            self.push_screen(QuitWhileRunning(running, grace), self._quit_answered)
            return
        self._stop_and_quit()

    def _quit_answered(self, choice: str | None) -> None:
        control = self.runner_control
        if choice == "stop":
            self._stop_and_quit()
        elif choice == "wait" and control.alive:
            self._quitting = True
            control.finish_then_stop()
            running = control.running_keys()
            self.notify(
                f"Quitting when {', '.join(running) or 'the running commands'} "
                f"finish{'es' if len(running) == 1 else ''}; nothing new starts. "
                "Press q to stop them and quit now.",
                markup=False,
            )
            self._stop_if_drained(len(running))
        elif choice == "wait":
            self.exit()

    def _stop_and_quit(self) -> None:
        control = self.runner_control
        self._quitting = True
        control.stop("the TUI is closing")
        self._show_runner()
        self.notify(
            "Stopping the runner: its commands are stopped and their tasks handed back. "
            "Press q again to leave at once.",
            markup=False,
        )
        grace = float(control.options.get("kill_grace_seconds", 5.0))
        self.set_timer(grace + QUIT_MARGIN_SECONDS, self.exit)
