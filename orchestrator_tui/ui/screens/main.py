"""The main screen: task list, dependency tree, execution log and dashboard."""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input

from ...domain.enums import TaskStatus
from ...domain.text import printable, strip_ansi
from ..changed_lines import draw_changed_lines
from ..db import run_db
from ..host import host
from ..messages import DataChanged, DataMessage, FirstPage
from ..render import STATUS_CLASSES, STATUS_ICON, STATUS_LONG, about_task, safe
from ..task_query import VIEWS, TableQuery
from ..widgets.dashboard import Dashboard
from ..widgets.dep_tree import DependencyTree
from ..widgets.filter_bar import FilterBar, FilterInput
from ..widgets.footer import KeyFooter
from ..widgets.header import AppHeader
from ..widgets.log_pane import ExecutionLogPane
from ..widgets.task_table import TaskTable
from .actions import (
    DECISIONS,
    EXTRA_CHECKED,
    NO_TASK,
    STATUS_ACTIONS,
    ChangeRefused,
    TaskActions,
    TaskChanged,
)
from .questions import QuestionActions

if TYPE_CHECKING:
    from ...domain.models import DependencyView, TaskDetail, TaskRow, TaskSpec
    from ...services import Orchestrator

PANES = ("tasks", "tree", "log", "dashboard")
NARROW_BELOW = 120


#: How long the cursor must stay on a task before the panes that follow it load.
CURSOR_REST_SECONDS = 0.05


class BlockersLoaded(DataMessage):
    """The tasks `key` waits for, read for `U` to offer them for removal."""

    key: str
    blockers: list[DependencyView]


class MainScreen(QuestionActions, TaskActions, Screen[None]):
    #: The list has the focus from the first frame (Textual would focus the filter
    #: input first, and moving it restyles the panes twice before the first paint).
    AUTO_FOCUS = "#tasks"
    #: The status colours of the list, the tree and the dashboard (`status_style`).
    COMPONENT_CLASSES: ClassVar[set[str]] = STATUS_CLASSES
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "tab",
            "next_pane",
            "Next pane",
            show=False,
            id="pane.next",
            tooltip="Focus the next pane",
        ),
        Binding(
            "shift+tab",
            "previous_pane",
            "Previous pane",
            show=False,
            id="pane.previous",
            tooltip="Focus the previous pane",
        ),
        Binding(
            "1",
            "focus_pane('tasks')",
            "Tasks pane",
            show=False,
            id="pane.tasks",
            tooltip="Focus the task list",
            priority=True,
        ),
        Binding(
            "2",
            "focus_pane('tree')",
            "Tree pane",
            show=False,
            id="pane.tree",
            tooltip="Focus the dependency tree",
            priority=True,
        ),
        Binding(
            "3",
            "focus_pane('log')",
            "Log pane",
            show=False,
            id="pane.log",
            tooltip="Focus the execution log",
            priority=True,
        ),
        Binding(
            "4",
            "focus_pane('dashboard')",
            "Dashboard pane",
            show=False,
            id="pane.dashboard",
            tooltip="Focus the dashboard",
            priority=True,
        ),
        # `/` and the pane keys are priority bindings: they run as the app reads the
        # key, so the focus has moved before the next key is dispatched, and keys
        # typed with them (in one read of the terminal) reach the filter or pane
        # they were meant for, never the task list's commands.
        Binding(
            "slash",
            "filter",
            "Filter",
            id="tasks.filter",
            tooltip="Filter tasks by text in key or title",
            priority=True,
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            id="tasks.clear_filter",
            tooltip="Clear the kept text filter",
        ),
        Binding(
            "v",
            "cycle_view",
            "View",
            id="tasks.cycle_view",
            tooltip="Cycle the quick filter: all, ready, running, awaiting approval, failed",
        ),
        Binding(
            "A", "view('all')", "All tasks", show=False, id="view.all", tooltip="Show all tasks"
        ),
        Binding(
            "R",
            "view('ready')",
            "Ready tasks",
            show=False,
            id="view.ready",
            tooltip="Show ready tasks only",
        ),
        Binding(
            "P",
            "view('running')",
            "Running tasks",
            show=False,
            id="view.running",
            tooltip="Show tasks in progress only (working or running)",
        ),
        Binding(
            "W",
            "view('awaiting')",
            "Awaiting approval",
            show=False,
            id="view.awaiting",
            tooltip="Show tasks awaiting approval only",
        ),
        Binding(
            "F",
            "view('failed')",
            "Failed tasks",
            show=False,
            id="view.failed",
            tooltip="Show failed tasks only",
        ),
        Binding(
            "o",
            "cycle_sort",
            "Sort",
            show=False,
            id="tasks.sort",
            tooltip="Sort by the next column",
        ),
        Binding(
            "O",
            "reverse_sort",
            "Reverse sort",
            show=False,
            id="tasks.reverse",
            tooltip="Reverse the sort order",
        ),
        Binding(
            "s",
            "start",
            "Work",
            id="task.start",
            tooltip="Start the selected (or marked) task yourself: shows as working, runs "
            "nothing; asks for a reason to force",
        ),
        Binding(
            "d",
            "done",
            "Done",
            id="task.done",
            tooltip="Mark the selected (or marked) task done (or submit it for approval)",
        ),
        Binding(
            "f", "fail", "Fail", id="task.fail", tooltip="Mark the selected (or marked) task failed"
        ),
        Binding(
            "b",
            "block",
            "Block",
            id="task.block",
            tooltip="Mark the selected (or marked) task blocked",
        ),
        Binding(
            "r",
            "reset",
            "Reset",
            id="task.reset",
            tooltip="Reset the selected (or marked) task to pending",
        ),
        Binding(
            "a",
            "approve",
            "Approve",
            id="task.approve",
            tooltip="Approve the selected task awaiting approval",
        ),
        Binding(
            "x",
            "reject",
            "Reject",
            id="task.reject",
            tooltip="Reject the selected task awaiting approval, with a comment",
        ),
        Binding(
            "m",
            "request_changes",
            "Changes",
            id="task.request_changes",
            tooltip="Send the selected task back for changes, with a comment",
        ),
        Binding(
            "u",
            "undo",
            "Undo",
            id="task.undo",
            tooltip="Undo your last change in this session, one step back per press",
        ),
        Binding(
            "y",
            "answer",
            "Answer",
            show=False,
            id="task.answer",
            tooltip="Answer the question the selected task's agent asked",
        ),
        Binding(
            "exclamation_mark",
            "run_now",
            "Run",
            id="task.run_now",
            tooltip="Run the selected task's command now (shows as running)",
        ),
        Binding(
            "c",
            "cancel_run",
            "Cancel",
            id="task.cancel_run",
            tooltip="Cancel the selected task's running command",
        ),
        Binding("n", "new_task", "New", show=False, id="task.new", tooltip="Add a task"),
        Binding(
            "e", "edit_task", "Edit", show=False, id="task.edit", tooltip="Edit the selected task"
        ),
        Binding(
            "D",
            "add_dependency",
            "Add dependency",
            show=False,
            id="task.add_dependency",
            tooltip="Add a dependency: the selected task waits for another",
        ),
        Binding(
            "U",
            "remove_dependency",
            "Remove dependency",
            show=False,
            id="task.remove_dependency",
            tooltip="Remove one of the selected task's dependencies",
        ),
        Binding(
            "C",
            "clear_marks",
            "Clear marks",
            show=False,
            id="tasks.clear_marks",
            tooltip="Clear all marks",
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="main")
        draw_changed_lines(self)  # a key's frame draws only what is under its lines
        self.secondary = "tree"  # the lower pane shown when the terminal is narrow
        self._current: TaskRow | None = None  # the task the following panes show
        self._resting: TaskRow | None = None  # the task the cursor is on
        self._rest_timer: Timer | None = None  # until the cursor counts as resting
        self._rest_from = 0.0  # when the cursor last moved (`monotonic`)
        #: the task whose run `!` started: the log pane shows it, not the row the
        #: cursor lands on as the task leaves the view, until the person moves it
        self._log_pinned: str | None = None

    def compose(self) -> ComposeResult:
        provider = host(self).orch_provider
        yield AppHeader()
        with Container(id="panes"):
            with Vertical(id="tasks-pane", classes="pane"):
                yield FilterBar(id="filter-bar")
                yield TaskTable(provider, id="tasks")
            with Vertical(id="tree-pane", classes=self._pane_classes("tree")):
                yield DependencyTree(provider, id="tree")
            with Vertical(id="log-pane", classes=self._pane_classes("log")):
                yield ExecutionLogPane(provider, id="log")
            with Vertical(id="dashboard-pane", classes=self._pane_classes("dashboard")):
                yield Dashboard(id="dashboard")
        yield KeyFooter()

    _resumed_once = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual resumes the default screen right after mounting it and restyles
        # every node again (with each widget's component classes: ~80 style nodes),
        # although nothing changed since the mount styled them: a third of the styling
        # before the first paint. Later resumes (after a modal) restyle as Textual asks.
        if not self._resumed_once:
            self._resumed_once = True
            event.refresh_styles = False

    def on_mount(self) -> None:
        titles = {
            "tasks": "1 Tasks",
            "tree": "2 Dependencies",
            "log": "3 Execution log",
            "dashboard": "4 Dashboard",
        }
        for pane, title in titles.items():
            self.query_one(f"#{pane}-pane").border_title = Text(title)
        page = host(self).take_first_page()
        if page is not None:  # read while the app imported: drawn in the first frame
            self.on_first_page(FirstPage(*page))

    # -- parts --------------------------------------------------------------

    @property
    def table(self) -> TaskTable:
        return self.query_one(TaskTable)

    @property
    def dep_tree(self) -> DependencyTree:
        return self.query_one(DependencyTree)

    @property
    def log_pane(self) -> ExecutionLogPane:
        return self.query_one(ExecutionLogPane)

    @property
    def dashboard(self) -> Dashboard:
        return self.query_one(Dashboard)

    def selected(self) -> TaskRow | None:
        return self.table.cursor_row

    def marked(self) -> dict[str, TaskStatus]:
        return self.table.marks

    # -- data ---------------------------------------------------------------

    def on_data_changed(self, message: DataChanged) -> None:
        """The one signal for every pane: each reloads only what the change touched."""
        message.stop()
        keys, current = message.keys, self._current
        if message.events:
            self.table.apply_changes(keys, message.fields)
            counted = None if keys is None else message.fields
            self.dashboard.reload(debounce=keys is not None, fields=counted)
            # (A reload of the table, or a change of the cursor's own row, announces
            # the cursor again, which redraws the tree.)
            elsewhere = bool(keys) and current is not None and current.key not in (keys or ())
            if elsewhere and self.dep_tree.shows_any(keys or frozenset()):
                self.dep_tree.show(current, keep_state=True)
        shown = self.log_pane.task_key
        if shown is not None and (
            keys is None or shown in keys or (message.lines and self.log_pane.is_running)
        ):
            self.log_pane.refresh_data()

    def on_first_page(self, message: FirstPage) -> None:
        self.table.preview(message.total, message.rows)
        self.call_after_refresh(host(self).first_page_drawn)

    def on_task_table_highlighted(self, message: TaskTable.Highlighted) -> None:
        """The cursor's frame draws the list alone; the panes that follow the cursor
        (tree, log, footer keys) catch up once it has rested for CURSOR_REST_SECONDS
        (counted from its last move), so a held-down key never waits for them. Keys
        act on the list's row at once."""
        message.stop()
        if not host(self).is_ready:
            return  # first-page rows: the first real load announces the cursor again
        self._resting = message.row
        if message.by_person:
            self._log_pinned = None
        # One timer at a time, which waits again if the cursor moved meanwhile: a
        # timer stopped and started by every key was two tasks of the event loop
        # each, made and woken beside the key's frame.
        self._rest_from = monotonic()
        if self._rest_timer is None:
            self._rest_timer = self.set_timer(CURSOR_REST_SECONDS, self._cursor_rested)

    def _cursor_rested(self) -> None:
        left = self._rest_from + CURSOR_REST_SECONDS - monotonic()
        if left > 0:
            self._rest_timer = self.set_timer(left, self._cursor_rested)
            return
        self._rest_timer = None
        row, previous = self._resting, self._current
        self._current = row
        same = row is not None and previous is not None and row.key == previous.key
        if not same or row != previous:  # unchanged: nothing to redraw
            self.dep_tree.show(row, keep_state=same)
        self._show_log(row.key if row else None)
        self.refresh_task_bindings()

    def _show_log(self, key: str | None) -> None:
        """The log pane shows `key`, or the task `!` was pressed on while pinned."""
        key = self._log_pinned or key
        if key != self.log_pane.task_key:
            self.log_pane.show_task(key)

    def on_task_table_reloaded(self, message: TaskTable.Reloaded) -> None:
        self._show_filter_info()
        self.refresh_task_bindings()

    def on_task_table_opened(self, message: TaskTable.Opened) -> None:
        from .detail import DetailScreen

        self.app.push_screen(DetailScreen(message.key))

    def on_task_table_not_shown(self, message: TaskTable.NotShown) -> None:
        self.notify(f"{message.key} was hidden by the filter; showing all tasks", markup=False)
        self.table.query_state = TableQuery(
            sort=self.table.query_state.sort, descending=self.table.query_state.descending
        )
        self.table.select_key(message.key)

    def on_task_table_sort_clicked(self, message: TaskTable.SortClicked) -> None:
        self.table.set_query(self.table.query_state.sorted_by(message.column))
        self._show_filter_info()

    def on_dependency_tree_jump_to(self, message: DependencyTree.JumpTo) -> None:
        self.table.select_key(message.key)
        self.action_focus_pane("tasks")

    def on_dashboard_updated(self, message: Dashboard.Updated) -> None:
        self.dep_tree.set_critical(frozenset(message.stats.critical_path))

    def before_change(self, key: str, target: TaskStatus) -> None:
        self.table.show_move(key, target)

    def on_change_refused(self, message: ChangeRefused) -> None:
        self.table.apply_changes(frozenset({message.key}), frozenset())

    def after_change(self, message: TaskChanged) -> None:
        if message.detail is None:
            self.table.clear_marks()
        elif message.select:
            self.table.select_key(message.detail.key)
        else:
            self.table.update_row(message.detail)
        self._show_filter_info()
        self.refresh_task_bindings()

    def show_task(self, key: str) -> None:
        self.table.select_key(key)

    def _show_filter_info(self) -> None:
        self.query_one(FilterBar).show(
            self.table.query_state, self.table.total, len(self.table.marks)
        )

    # -- bindings -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        focused = self.focused
        if action in ("filter", "focus_pane") and isinstance(focused, Input):
            return False  # priority keys: while typing, they are text
        if action == "clear_filter":  # escape: only while a kept filter is there to clear
            return bool(self.table.query_state.text)
        if action == "filter":  # nor does it take the log pane's own `/`
            return not (focused is not None and self.log_pane in focused.ancestors_with_self)
        state = self.task_action_state(action)
        if state is not False:
            return state
        if action in EXTRA_CHECKED:
            return None if self.refusal(action) else True
        return True

    def refusal(self, action: str) -> str | None:
        if action in STATUS_ACTIONS or action in DECISIONS:
            return super().refusal(action)
        if action == "clear_marks":
            return None if self.table.marks else "no task is marked (space marks one)"
        if action not in EXTRA_CHECKED:
            return None
        row = self.selected()
        if row is None:
            return NO_TASK
        if action == "answer":
            return row.answer_refusal
        if action == "run_now":
            return row.run_refusal
        if action == "cancel_run":
            return row.cancel_refusal
        return None

    # -- panes --------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(self.size.width < NARROW_BELOW, "-narrow")
        # Textual resends the terminal's size to the screen as it starts (the app's own
        # first size, then the driver's, each left pending until the app is idle): in
        # a traced start three Resize events of the size the screen was just laid out
        # at, each a whole layout and paint before the first rows' frame. Until the
        # database is open, such a repeat is not passed on to `Screen`'s handler
        # (`prevent_default` skips the base class's); afterwards every Resize is
        # handled as Textual does (after a suspend, one of the same size repaints).
        if event.size == self.outer_size and not host(self).is_ready:
            event.prevent_default()

    def _pane_classes(self, pane: str) -> str:
        """A lower pane's classes (composed with them: a class set after mounting
        restyles the pane once more before the first frame)."""
        return "pane" if pane == self.secondary else "pane -secondary-hidden"

    def _show_secondary(self) -> None:
        for pane in PANES[1:]:
            self.query_one(f"#{pane}-pane").set_class(pane != self.secondary, "-secondary-hidden")

    def action_focus_pane(self, pane: str) -> None:
        if pane != "tasks":
            self.secondary = pane
            self._show_secondary()
        targets: dict[str, Widget] = {
            "tasks": self.table,
            "tree": self.dep_tree,
            "dashboard": self.dashboard,
        }
        target = targets.get(pane)
        if target is None:  # the log pane: itself, or its first focusable part
            log: Widget = self.log_pane
            parts = [w for w in (log, *log.query("*")) if w.focusable and w.display]
            target = parts[0] if parts else None
        if target is not None:
            self.set_focus(target)  # at once: the next key read goes to the new pane

    def _focused_pane(self) -> str:
        focused = self.focused
        for pane in PANES:
            container = self.query_one(f"#{pane}-pane")
            if focused is not None and (focused is container or container in focused.ancestors):
                return pane
        return "tasks"

    def action_next_pane(self) -> None:
        index = PANES.index(self._focused_pane())
        self.action_focus_pane(PANES[(index + 1) % len(PANES)])

    def action_previous_pane(self) -> None:
        index = PANES.index(self._focused_pane())
        self.action_focus_pane(PANES[(index - 1) % len(PANES)])

    # -- filter, views, sort ------------------------------------------------

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.open(self.table.query_state.text, back_to=self.table, typed=self._filter_typed)
        self._show_filter_info()

    def action_clear_filter(self) -> None:
        self.table.set_query(self.table.query_state.with_text(""))
        self._show_filter_info()

    def _filter_typed(self, text: str) -> None:
        self.table.set_query(self.table.query_state.with_text(text))

    @on(FilterInput.Done)
    def _filter_done(self, message: FilterInput.Done) -> None:
        if message.cleared:
            self.table.set_query(self.table.query_state.with_text(""))
        self._show_filter_info()

    def action_view(self, name: str) -> None:
        if name in VIEWS:
            self.table.set_query(self.table.query_state.with_view(name))
            self._show_filter_info()

    def action_cycle_view(self) -> None:
        self.table.set_query(self.table.query_state.next_view())
        self._show_filter_info()

    def action_cycle_sort(self) -> None:
        self.table.set_query(self.table.query_state.next_sort())
        self._show_filter_info()

    def action_reverse_sort(self) -> None:
        self.table.set_query(self.table.query_state.reversed())
        self._show_filter_info()

    def action_clear_marks(self) -> None:
        self.table.clear_marks()
        self._show_filter_info()
        self.refresh_task_bindings()

    # -- status changes and approvals (see TaskActions) ----------------------

    def action_start(self) -> None:
        self.change_status(STATUS_ACTIONS["start"])

    def action_done(self) -> None:
        self.change_status(STATUS_ACTIONS["done"])

    def action_fail(self) -> None:
        self.change_status(STATUS_ACTIONS["fail"])

    def action_block(self) -> None:
        self.change_status(STATUS_ACTIONS["block"])

    def action_reset(self) -> None:
        self.change_status(STATUS_ACTIONS["reset"])

    def action_answer(self) -> None:
        row = self.selected()
        if row is not None and row.answer_refusal is None:
            self.answer_oldest(row.key)

    # -- the runner -----------------------------------------------------------

    def action_run_now(self) -> None:
        row = self.selected()
        if row is None:
            return
        if not row.can_run:
            self.notify(row.run_refusal or "", severity="warning", markup=False)
            return
        app = host(self)
        problem = app.runner_control.run_task(row.key)
        if problem:
            self.notify(problem, severity="warning", markup=False)
        else:
            self._log_pinned = row.key
            self._show_log(row.key)
            self.secondary = "log"  # on a narrow screen, below the list in place of another
            self._show_secondary()
        app._show_runner()

    def action_cancel_run(self) -> None:
        row = self.selected()
        if row is None or not row.can_cancel_run:
            return
        key = row.key
        message = about_task(
            key,
            row.title,
            "Stop its running command (SIGTERM to its process group, SIGKILL after a grace)?"
            " The run is recorded as cancelled and the task fails.",
        )

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            app = host(self)
            if app.runner_control.cancel(key, app.actor):
                return  # our runner stops it; its reply comes as a notification

            def cancel(o: Any) -> tuple[Any, str]:  # not our runner's: confirm it stopped
                from ...runner.reaper import cancel_and_stop

                _, _, report = cancel_and_stop(o, key, "cancelled from the TUI")
                return o.queries.get_task(key), printable(report.describe())

            run_db(
                self,
                cancel,
                lambda d: TaskChanged(
                    d[0], f"{key}: run cancelled, {STATUS_LONG[d[0].status]}; {d[1]}"
                ),
                title="Cannot cancel",
            )

        from ..modals.prompt import Confirm  # (dialogs load when first opened)

        self.app.push_screen(
            Confirm(
                f"Cancel {key}'s run", message, yes_label="Cancel the run", yes_variant="error"
            ),
            confirmed,
        )

    # -- adding and editing -------------------------------------------------

    def action_new_task(self) -> None:
        from ..modals.task_form import TaskForm  # not on the first screen: loaded when used

        def create(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            run_db(
                self,
                lambda o: o.tasks.create(_new_task(values)),
                lambda d: TaskChanged(d, f"{d.key} created", select=True),
            )

        self.app.push_screen(TaskForm(), create)

    def action_edit_task(self) -> None:
        """The form opens at once and reads the task itself: keys typed with `e` go
        to it, never to the list under it."""
        from ...domain.models import TaskPatch
        from ..modals.task_form import TaskForm

        row = self.selected()
        if row is None:
            return
        form = TaskForm(key=row.key)

        def save(values: dict[str, Any] | None) -> None:
            original = form.editing
            if values is None or original is None:
                return
            changed = _changed_fields(original, values)
            if not changed:
                self.notify(f"{original.key}: nothing changed", markup=False)
                return
            key, version = original.key, original.version
            run_db(
                self,
                lambda o: o.tasks.edit(key, TaskPatch(**changed), expected_version=version),
                lambda d: TaskChanged(d, f"{d.key} saved"),
            )

        self.app.push_screen(form, save)

    def action_add_dependency(self) -> None:
        row = self.selected()
        if row is None:
            return
        key = row.key
        message = about_task(
            key,
            row.title,
            "waits for which task? Type its key (right arrow completes it).",
            lead=f"{STATUS_ICON[row.status]} ",
        )

        def add(typed: str | None) -> None:
            if not typed:
                return

            def write(o: Orchestrator) -> tuple[str, TaskDetail]:
                blocker = o.queries.resolve_key(typed) or typed  # pay-3 means PAY-3
                o.deps.add(key, blocker)
                return blocker, o.queries.get_task(key)

            run_db(
                self,
                write,
                lambda done: TaskChanged(done[1], f"{key} now waits for {done[0]}"),
                title="Dependency refused",
            )

        from ..key_suggester import TaskKeySuggester
        from ..modals.prompt import TextPrompt

        suggester = TaskKeySuggester(host(self).orch_provider)
        prompt = TextPrompt(
            f"Add a dependency to {key}", message, placeholder="task key", suggester=suggester
        )
        self.app.push_screen(prompt, add)

    def action_remove_dependency(self) -> None:
        row = self.selected()
        if row is not None:
            key = row.key
            run_db(self, lambda o: BlockersLoaded(key, o.queries.links(key, True)), lambda m: m)

    def on_blockers_loaded(self, message: BlockersLoaded) -> None:
        key = message.key
        if not message.blockers:
            self.notify(f"{key} has no dependencies to remove", markup=False)
            return
        choices = []
        for link in message.blockers:
            label = Text(f"{STATUS_ICON[link.status]} {link.key} ", no_wrap=True)
            label.append(safe(link.title, 100))
            choices.append((link.key, label))

        def remove(blocker: str | None) -> None:
            if blocker:

                def unlink(o: Orchestrator) -> TaskDetail:
                    o.deps.remove(key, blocker)
                    return o.queries.get_task(key)

                run_db(
                    self,
                    unlink,
                    lambda d: TaskChanged(d, f"{key} no longer waits for {blocker}"),
                )

        from ..modals.prompt import PickTask

        self.app.push_screen(PickTask(f"{key}: remove which dependency?", choices), remove)


def _new_task(values: dict[str, Any]) -> TaskSpec:
    """The new-task form's fields as a task (run in a worker: an agent's profile is
    looked up in the user's profiles file)."""
    from ...services.agent_profiles import with_agent
    from ..modals.task_form import as_workspace, task_spec

    agent = values.get("agent") or {}
    workspace = as_workspace(values.get("workspace"))
    return with_agent(task_spec(values), agent.get("profile"), agent.get("model"), workspace)


def _changed_fields(original: TaskDetail, values: dict[str, Any]) -> dict[str, Any]:
    """Only what the person changed (text fields compare with what the form showed;
    `command` is there only when the form's agent or workspace fields changed it)."""
    shown = {
        "title": safe(original.title),
        "description": strip_ansi(original.description),
        "priority": original.priority.value,
        "assignee": original.assignee,
        "estimated_hours": original.estimated_hours,
        "requires_approval": original.requires_approval,
    }
    changed = {k: v for k, v in values.items() if k in shown and v != shown[k]}
    if values.get("command") is not None:
        changed["command"] = values["command"]
    return changed
