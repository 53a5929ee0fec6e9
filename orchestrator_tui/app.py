"""The Textual app, built by `make_app` for the CLI and the tests alike.

Nothing here touches the database at import time: the app paints its first
frame, then opens the database (importing sqlmodel) on a thread worker, and
from then on watches the change feed on another.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.screen import Screen
from textual.worker import get_current_worker

from .domain.errors import DatabaseReset, OrchestratorError
from .domain.text import printable
from .ui.commands import ActionCommands
from .ui.db import report_failure
from .ui.messages import DataChanged, DataMessage, DbFailed, FirstPage, OrchestratorReady
from .ui.quiet_collection import LOOK_SECONDS, QuietCollection
from .ui.runner_control import RunnerActions, RunnerControl, runner_agent_name
from .ui.screens.main import MainScreen
from .ui.style_sheets import APP_STYLES, LATER_STYLES
from .ui.transfer import TransferActions
from .ui.widgets.header import AppHeader

if TYPE_CHECKING:
    from textual.timer import Timer

    from .domain.list_row import ListRow
    from .services import Orchestrator, TaskFilter
    from .services.reset_watch import ResetWatch
    from .store.feed import ChangeListener
    from .store.quick import EarlyFirstPage

Clock = Callable[[], datetime]
#: How long a thread keeps the interpreter lock while another waits for it (Python's
#: default: 5 ms). A reload on a worker otherwise holds up the key the person just
#: typed, and the thread writing its frame to the terminal, for up to that long.
UI_SWITCH_SECONDS = 0.001
DEFAULT_POLL_SECONDS = 0.05
"""How often the change feed is looked at on SQLite, so another process's change shows
within a frame or three: a look at a counter of other connections' commits (a few
microseconds, `store.feed.CommitCounter`), and a read of the feed only when it moved."""
SERVER_POLL_SECONDS = 0.25
"""The same against a database server (every poll is a round trip)."""
FIRST_FRAME_WAIT = 2.0
"""How long the database layer waits for the first rows to be drawn before it loads
(its imports would take the interpreter from the first frame)."""
FIRST_PAGE_WAIT = 0.25
"""How long the main screen, mounted before the command line's thread has read the
first page, waits for it (its first paint waits with it): painting the list empty and
then again with the rows costs the main thread a layout and a paint more, and on a busy
machine the page is read sooner while the main thread waits. A slower read (a writer's
lock) is drawn once read, as before."""
OPEN_WAIT_SECONDS = 60.0
REPEAT_FAILURE_SECONDS = 10.0  # the same database error is shown again after this long


def resume_collection() -> None:
    """Collect garbage again if the command line paused the collector for the start
    (`cli._fast_tui`). What the start made lives as long as the app: it is frozen
    first, kept out of every later collection (else the first one would walk all of
    it at once, ~0.1 s of CPU, just after the first frame); the little garbage among
    it (~4,000 objects) is kept too."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def utc_now() -> datetime:
    return datetime.now(UTC)


def short_location(db_url: str) -> str:
    """What the header shows: a SQLite file's name, else the URL without its password."""
    if "://" not in db_url:
        return PurePath(db_url).name
    if db_url.startswith("sqlite"):
        return PurePath(db_url.split("///", 1)[-1]).name
    from .store.engine import masked_url

    shown = masked_url(db_url)
    return shown.split("@", 1)[-1] if "@" in shown else shown


class FeedMoved(DataMessage):
    """What the feed watcher saw move (see `DataChanged`)."""

    event_id: int
    awaiting: int
    questions: int = 0
    idle_reason: str = ""
    keys: frozenset[str] | None = None
    fields: frozenset[str] = frozenset()
    events: bool = True
    lines: bool = False
    reset: bool = False


class OrchestratorApp(RunnerActions, TransferActions, App[int]):
    """The control room: tasks, dependencies, execution logs and a dashboard.

    `run_on_start` starts the in-process runner once the database is open;
    `runner_options` are passed to its `RunnerConfig` (e.g. `max_parallel`);
    `freeze_gc` calls `gc.freeze()` once the database layer is loaded, so the
    long-lived objects stop costing full collections while output streams,
    shortens the interpreter's switch interval (`UI_SWITCH_SECONDS`) and collects
    garbage between keys (`ui.quiet_collection`).
    """

    TITLE = "orchestrator-tui"
    #: The main screen's and the app-wide rules; other screens and the dialogs bring
    #: theirs when first shown (`ui.style_sheets`).
    CSS_PATH: ClassVar[list[Any]] = list(APP_STYLES)
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("i", "approvals", "Inbox", tooltip="Approvals inbox", id="app.approvals"),
        Binding("ctrl+t", "change_theme", "Theme", show=False, id="app.theme"),
        Binding(
            "ctrl+r",
            "toggle_runner",
            "Runner",
            tooltip="Start or stop this TUI's runner",
            id="app.runner",
        ),
        Binding(
            "ctrl+o",
            "import_tasks",
            "Import",
            show=False,
            tooltip="Import file or folder…",
            id="app.import",
        ),
        Binding(
            "ctrl+e",
            "export_tasks",
            "Export",
            show=False,
            tooltip="Export tasks…",
            id="app.export",
        ),
    ]

    def __init__(
        self,
        db_url: str,
        actor: str | None = None,
        clock: Clock | None = None,
        *,
        poll_interval: float | None = DEFAULT_POLL_SECONDS,
        keymap: dict[str, str] | None = None,
        theme: str | None = None,
        run_on_start: bool = False,
        runner_options: dict[str, Any] | None = None,
        freeze_gc: bool = False,
        settings_file: Path | None = None,
        approval_alert: bool = True,
    ) -> None:
        """The app for a database URL (or path), acting as `actor` (None: the default
        person, see `config.resolve_actor`)."""
        from .config import resolve_actor

        super().__init__()
        actor = resolve_actor(actor)
        #: Ring the terminal bell and flash the header when a task starts waiting.
        self.approval_alert = approval_alert
        self._feed_seen = False
        self.db_url = db_url
        self.actor = actor
        self.clock: Clock = clock or utc_now
        self.poll_interval = poll_interval
        self.keymap = dict(keymap or {})
        self._orch: Orchestrator | None = None
        self._opened = threading.Event()  # set when the open finished (or failed)
        self._ui_thread: int | None = None
        self._wake = threading.Event()
        self._stopping = False
        self._last_failure: tuple[str, float] | None = None
        # The feed's marks: read and written by the feed worker only (one at a time).
        self._last_event_id: int | None = None
        self._last_line_id: int | None = None
        self._resets: ResetWatch | None = None  # from the first read of the marks
        self._listener: ChangeListener | None = None
        self.location = short_location(db_url)
        self.full_location = False  # the header names the whole path (the demo's)
        self.startup_notes: list[str] = []
        #: The first page, when the command line started reading it before the app.
        self.early_page: EarlyFirstPage | None = None
        self.open_failure: str | None = None  # why the database could not be opened
        #: That page, read by the time the app mounted, until the main screen takes it.
        self._ready_page: tuple[int, list[ListRow]] | None = None
        self._first_drawn = threading.Event()
        #: The early page is drawn once: by the main screen as it mounts (it asks first,
        #: see `take_first_page`), else by the open worker once it is read.
        self._page_claimed = False
        self._page_lock = threading.Lock()
        self._screen_asked = threading.Event()
        self._frozen = False  # `freeze_gc` done
        self.collection = QuietCollection()  # started with `freeze_gc`
        self._look_timer: Timer | None = None  # its looks; paused while the app rests
        self.undo_stack: list[int] = []
        self.run_on_start = run_on_start
        self.freeze_gc = freeze_gc
        self.runner_control = RunnerControl(
            self, db_url, runner_agent_name(actor), dict(runner_options or {})
        )
        self.settings_file: Path | None = settings_file  # where a chosen theme is kept
        self._theme_to_save: str | None = None  # the newest pick the save worker takes
        self._settings_lock = threading.Lock()  # one save at a time, the newest last
        if theme and theme in self.available_themes:
            self.theme = theme

    # -- database -----------------------------------------------------------

    def orch_provider(self) -> Orchestrator:
        """The open orchestrator (for workers). A worker asking before the database is
        open waits for it (a key pressed on the first frame still takes effect); on
        the UI thread, or if the open failed, this raises."""
        if self._orch is None and threading.get_ident() != self._ui_thread:
            self._opened.wait(OPEN_WAIT_SECONDS)
        if self._orch is None:
            raise RuntimeError("the database is not open yet")
        return self._orch

    @property
    def is_ready(self) -> bool:
        return self._orch is not None

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen()

    def get_driver_class(self) -> type[Driver]:
        from .ui.frame_writes import frame_writes

        return frame_writes(super().get_driver_class())

    def on_mount(self) -> None:
        from .ui.keymap import unknown_binding_ids

        self._ui_thread = threading.get_ident()
        if self.keymap:
            self.set_keymap(self.keymap)
            unknown = unknown_binding_ids(self.keymap, self.BINDINGS)
            if unknown:
                self.notify(
                    f"keymap: no binding has the id {', '.join(unknown)} (? lists every id)",
                    severity="warning",
                    markup=False,
                )
        if self.settings_file is not None:
            self.theme_changed_signal.subscribe(self, self._save_theme)
        for note in self.startup_notes:
            self.notify(note, severity="warning", markup=False)
        self._ready_page = self._first_page_if_read()
        self.run_worker(self._open, thread=True, group="open", name="open")

    def _first_page_if_read(self, seconds: float = 0.0) -> tuple[int, list[ListRow]] | None:
        """The first page, if the command line's thread has read it already (it
        usually has by now) or does within `seconds`: the main screen then draws it in
        its first frame."""
        early = self.early_page
        if early is None:
            return None
        from .store.quick import FIRST_PAGE_ROWS

        if not early.wait(self.db_url, FIRST_PAGE_ROWS, seconds):
            return None
        return early.result(self.db_url, FIRST_PAGE_ROWS)

    def _claim_first_page(self) -> bool:
        """Whether the caller is the one to draw the early page (the first to ask)."""
        with self._page_lock:
            claimed, self._page_claimed = self._page_claimed, True
            return not claimed

    def take_first_page(self) -> tuple[int, list[ListRow]] | None:
        page, self._ready_page = self._ready_page, None
        try:
            if page is None:
                page = self._first_page_if_read(FIRST_PAGE_WAIT)
            return page if page is not None and self._claim_first_page() else None
        finally:
            self._screen_asked.set()

    def _open(self) -> None:
        # The first rows straight from the SQLite file (standard library only), drawn
        # before SQLAlchemy and the tables load, which takes longer than the whole frame:
        # in the main screen's first frame when they were read in time, else when read.
        from .store.quick import FIRST_PAGE_ROWS, first_page

        self._screen_asked.wait(FIRST_FRAME_WAIT)  # the main screen draws it if it can
        if not self._claim_first_page():
            self._first_drawn.wait(FIRST_FRAME_WAIT)
        else:
            early = self.early_page
            if early is not None:
                page = early.result(self.db_url, FIRST_PAGE_ROWS)
            else:
                page = first_page(self.db_url, FIRST_PAGE_ROWS)
            if page is not None and self.screen_stack:
                self.screen_stack[0].post_message(FirstPage(*page))
                self._first_drawn.wait(FIRST_FRAME_WAIT)

        from .services import open_orchestrator
        from .store.engine import READER_CACHE_KIB, missing_database

        try:
            try:
                fresh = missing_database(self.db_url)
                orch = open_orchestrator(
                    self.db_url, self.actor, self.clock, cache_kib=READER_CACHE_KIB
                )
            except OrchestratorError as exc:
                # The command line's line and exit code, printed by `run_app` once the
                # terminal is restored (an exit message would be wrapped at 80 columns).
                self.open_failure = f"error: {printable(str(exc))}"
                self.call_from_thread(self.exit, None, exc.exit_code)
                return
            self._orch = orch
        finally:
            self._opened.set()
        if fresh is not None:
            note = f"created a new database at {printable(str(fresh))}"
            self.call_from_thread(self.notify, note, title="New database", markup=False)
        self.post_message(OrchestratorReady())

    def first_page_drawn(self) -> None:
        self._first_drawn.set()
        resume_collection()
        self.call_later(self.load_later_styles)

    def load_later_styles(self) -> None:
        """Load the style sheets the first frame did not need (the other screens', the
        dialogs'), once it is drawn: else the first of those screens shown would parse
        every sheet again and restyle the app (Textual's `Screen.CSS_PATH`), ~0.1 s
        on a busy machine. Loaded as Textual loads a screen's sheet, with only the new
        sheets parsed (the others are in the stylesheet's cache)."""
        sheet = self.stylesheet
        new = [path for path in LATER_STYLES if not sheet.has_source(str(path))]
        if not new:
            return
        for path in new:
            sheet.read(path)
        sheet.parse()
        sheet.update(self)

    def on_orchestrator_ready(self, message: OrchestratorReady) -> None:
        if self._orch is not None:
            db = self._orch.db
            if db.path is None:
                self.location = db.describe()
            else:
                self.location = str(db.path) if self.full_location else db.path.name
        resume_collection()  # (when no rows were read before the open: a database server)
        self.load_later_styles()
        self.poke_feed()
        if self._orch is not None and self._listener is None:
            self._listener = self._orch.listen(self._feed_pushed)  # PostgreSQL only
        if self.freeze_gc and not self._frozen:
            self._frozen = True
            gc.freeze()  # the database layer is loaded: keep it out of full collections
            sys.setswitchinterval(UI_SWITCH_SECONDS)
            self.collection.start()
            self._look_timer = self.set_interval(
                LOOK_SECONDS, self._look_for_garbage, name="collection"
            )
        if self.run_on_start:
            self.run_on_start = False
            self.start_runner(auto=True)

    def _save_theme(self, theme: Any) -> None:
        """Keep the picked theme for the next start, written by a worker (the file is
        read and written on disk; never on the UI thread)."""
        if self.settings_file is not None:
            self._theme_to_save = theme.name
            self.run_worker(self._write_theme, thread=True, group="settings", name="save theme")

    def _write_theme(self) -> None:
        from .ui import keymap

        settings = self.settings_file
        with self._settings_lock:  # a quicker later pick is written after, or instead
            name, self._theme_to_save = self._theme_to_save, None
            if name is None or settings is None:
                return
            problem = keymap.save_setting(settings, "theme", name)
        if problem:
            self.call_from_thread(self.notify, problem, severity="warning", markup=False)

    def close_database(self) -> None:
        if self._orch is not None:
            self._orch.close()

    # -- change feed --------------------------------------------------------

    def poke_feed(self) -> None:
        """Look at the change feed now (after our own writes, and at start)."""
        if not self.is_ready:
            return
        if (
            self.poll_interval is None
            or not self.workers
            or not any(w.group == "feed" and w.is_running for w in self.workers)
        ):
            self.run_worker(self._watch_feed, thread=True, group="feed", name="feed")
        else:
            self._wake.set()

    def _feed_pushed(self) -> None:
        """Someone committed events (PostgreSQL NOTIFY, on the listener's thread)."""
        if self._stopping:
            return
        with contextlib.suppress(RuntimeError):  # the app is not running (any more)
            self.call_from_thread(self.poke_feed)

    def _watch_feed(self) -> None:
        """Poll the feed's marks (cheap); post `FeedMoved` when they moved, with the
        tasks the new events touched. On a SQLite file the marks are read only when
        another connection has committed since the last read (`CommitCounter`), or
        when poked. Never writes."""
        from .domain.rules import DECIDABLE
        from .services import TaskFilter

        worker = get_current_worker()
        waiting = TaskFilter(statuses=DECIDABLE)  # the inbox's approvals
        orch = self.orch_provider()
        interval = self.poll_interval
        if interval == DEFAULT_POLL_SECONDS and orch.db.path is None:
            interval = SERVER_POLL_SECONDS
        counter = None
        if interval is not None:
            try:
                counter = orch.commit_counter()
            except OrchestratorError as exc:  # then every poll reads the feed
                report_failure(self, exc, "Change feed")
        seen: int | None = None  # the counter when the feed was last read
        woken = True
        try:
            while not worker.is_cancelled and not self._stopping:
                try:
                    now = None if counter is None else counter.count()
                    if woken or now is None or now != seen:
                        self._read_feed(orch, waiting)
                        seen = now
                except OrchestratorError as exc:
                    report_failure(self, exc, "Change feed")
                if interval is None:
                    return
                woken = self._wake.wait(interval)
                self._wake.clear()
        finally:
            if counter is not None:
                counter.close()

    def _read_feed(self, orch: Orchestrator, waiting: TaskFilter) -> None:
        """Read the feed's marks; post `FeedMoved` if they moved (the feed worker's)."""
        from .domain.changes import fields_changed
        from .services.reset_watch import ResetWatch

        marks = orch.queries.feed_marks()
        _, event_id, line_id = marks
        if self._resets is None:
            # Guarding writes: a dialog sent before the reset is seen writes nothing.
            self._resets = ResetWatch(orch, marks, guard_writes=True)
        # Emptied under us (`db reset`, `db copy --replace`): ids started over, so
        # nothing seen before says what changed; everything is read again.
        reset = self._resets.reset_since(marks)
        lines = reset or (self._last_line_id is not None and line_id != self._last_line_id)
        self._last_line_id = line_id
        if reset or event_id != self._last_event_id:
            keys: frozenset[str] | None = None
            fields = fields_changed(())
            if self._last_event_id is not None and not reset:
                changes = orch.queries.changes_since(self._last_event_id)
                event_id, keys = changes.last_id, changes.keys
                fields = fields_changed(changes.kinds)
            awaiting = orch.queries.count_tasks(waiting)
            questions = orch.questions.count_open()
            idle = "; ".join(orch.agent_runs.exhausted_plans().values())
            self._last_event_id = event_id
            self.post_message(
                FeedMoved(event_id, awaiting, questions, idle, keys, fields, True, lines, reset)
            )
        elif lines:
            self.post_message(FeedMoved(event_id, -1, events=False, lines=True))

    def on_feed_moved(self, message: FeedMoved) -> None:
        self._stir_collection()  # the reloads it sets off leave garbage behind
        if not message.events:  # only new log lines: nothing else to update
            for screen in self.screen_stack:
                screen.post_message(
                    DataChanged(message.event_id, self.awaiting_approval, frozenset(), lines=True)
                )
            return
        more_waiting = self._feed_seen and message.awaiting > self.awaiting_approval
        self._feed_seen = True
        self.awaiting_approval = message.awaiting
        self.open_questions = message.questions
        self.idle_reason = message.idle_reason
        if more_waiting and self.approval_alert:
            self.bell()  # a task started waiting for approval
            for header in self.screen.query(AppHeader):
                header.flash()
        if message.reset:  # what was read before is gone, or its ids name other rows
            from .ui.reset import close_dialogs_about_rows

            close_dialogs_about_rows(self)
            self.undo_stack.clear()  # this session's moves went with it
        for screen in self.screen_stack:
            screen.post_message(
                DataChanged(
                    message.event_id,
                    message.awaiting,
                    message.keys,
                    message.fields,
                    lines=message.lines,
                    reset=message.reset,
                )
            )

    def on_db_failed(self, message: DbFailed) -> None:
        # A lasting fault (a deleted database) fails every poll: say it once a while.
        now = time.monotonic()
        last = self._last_failure
        if last is not None and last[0] == message.text and now - last[1] < REPEAT_FAILURE_SECONDS:
            return
        self._last_failure = (message.text, now)
        self.notify(message.text, title=message.title, severity="error", markup=False)
        if isinstance(message.error, DatabaseReset):  # a write refused: see it now
            self.poke_feed()

    def _look_for_garbage(self) -> None:
        """Collect if the keys are quiet; stop looking while the app rests (nothing
        typed or changed: nothing piles up), until the next key, click or change."""
        self.collection.look()
        if self._look_timer is not None and self.collection.resting():
            self._look_timer.pause()

    def _stir_collection(self, key: bool = False) -> None:
        if key:
            self.collection.key_pressed()
        else:
            self.collection.stir()
        if self._look_timer is not None:
            self._look_timer.resume()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._stir_collection(key=isinstance(event, events.Key))
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.collection.stop()
        self._stopping = True
        self._first_drawn.set()
        self._wake.set()
        if self._listener is not None:
            self._listener.stop(timeout=0)
        self.runner_control.stop("the TUI closed")  # returns at once; see `shut_down`

    def shut_down(self, timeout: float = 15.0) -> bool:
        """After the app has exited: wait for the runner, close the database."""
        ended = True
        if not self.runner_control.join(0):
            self.runner_control.stop("the TUI closed")
            print("waiting for the runner to stop its commands…", file=sys.stderr)
            ended = self.runner_control.join(timeout)
        self.close_database()
        return ended

    # -- app-wide actions ----------------------------------------------------

    def action_help(self) -> None:
        from .ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_approvals(self) -> None:
        from .ui.screens.approvals import ApprovalsScreen

        if not isinstance(self.screen, ApprovalsScreen):
            self.push_screen(ApprovalsScreen())


#: The app's factory, for the CLI and the tests alike: the class itself, so that its
#: options and their defaults are declared once (in `OrchestratorApp.__init__`).
make_app = OrchestratorApp


def run_app(
    db_url: str,
    actor: str | None = None,
    run: bool = False,
    full_path: bool = False,
    early_page: EarlyFirstPage | None = None,
) -> int:
    """Run the TUI until the person quits (`run`: with the runner started; `full_path`:
    the header shows the database's whole path, as the demo does; `early_page`: the
    first page, already being read); the exit code."""
    from .malloc import limit_malloc_arenas
    from .ui.keymap import load_keymap, load_settings, settings_path

    limit_malloc_arenas()  # before Textual starts its threads (see `malloc`)
    keymap, problem = load_keymap()
    settings = settings_path()
    saved, settings_problem = load_settings(settings)
    app = make_app(
        db_url,
        actor,
        keymap=keymap,
        theme=saved.get("theme"),
        approval_alert=saved.get("approval_alert", "on") != "off",
        run_on_start=run,
        freeze_gc=True,
        settings_file=settings,
    )
    app.full_location = full_path
    app.early_page = early_page
    app.startup_notes += [p for p in (problem, settings_problem) if p]
    try:
        app.run()
    finally:
        app.shut_down()
    if app.open_failure:
        print(app.open_failure, file=sys.stderr)
    return app.return_code or 0


if __name__ == "__main__":  # python -m orchestrator_tui.app > keys.md: the README's keys table
    from .ui.screens.help import keys_markdown

    print(keys_markdown(OrchestratorApp.BINDINGS), end="")
