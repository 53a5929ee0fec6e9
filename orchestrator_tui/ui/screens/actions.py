"""What a person can do to the selected (or marked) tasks: status changes,
approvals, undo. Shared by the main screen and the approvals inbox; the key
bindings live on the screens, the palette calls the same actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from ...domain.enums import TaskStatus
from ...domain.errors import OrchestratorError
from ...domain.state_machine import VERB_TARGETS, VERBS, can_change_status, change_refusal
from ...domain.text import printable
from ...domain.words import counted
from ..db import run_db
from ..host import binds_key, host
from ..messages import DataMessage
from ..render import STATUS_LONG, about_task, safe

if TYPE_CHECKING:
    from ...domain.models import ChangePreview, TaskDetail, TaskRow
    from ...domain.undo import UndoPreview
    from ...services import Orchestrator


#: action name -> target status, for the five status keys.
STATUS_ACTIONS: dict[str, TaskStatus] = {
    verb: VERB_TARGETS[verb] for verb in ("start", "done", "fail", "block", "reset")
}


#: The approval decisions' actions.
DECISIONS = ("approve", "reject", "request_changes")

#: Other actions whose availability depends on the selection (see `check_action`).
EXTRA_CHECKED = (
    "edit_task",
    "add_dependency",
    "remove_dependency",
    "clear_marks",
    "open",
    "run_now",
    "cancel_run",
    "answer",
)


#: Why a task action does not apply when the list is empty or nothing is selected.
NO_TASK = "no task is selected"


class TaskChanged(DataMessage):
    """A write finished; `detail` is the task afterwards (None for bulk changes)."""

    detail: TaskDetail | None
    note: str
    select: bool = False
    #: Moves this write recorded (event ids), for this session's undo stack.
    undoable: tuple[int, ...] = ()
    #: The move this write undid (taken off the undo stack).
    undone: int | None = None


class UndoPlanned(DataMessage):
    """What `u` would undo (or why it cannot), before anything is written."""

    plan: UndoPreview


class ChangeRefused(DataMessage):
    """A change shown ahead of its commit was refused: show `key` as it is."""

    key: str


class OwnWorkKnown(DataMessage):
    """Whether the person may approve a task (None) or why not, for its version."""

    stamp: tuple[str, object]
    refusal: str | None


class BulkPlanned(DataMessage):
    """What a change of the marked tasks would do to each, planned before asking."""

    target: TaskStatus
    previews: list[ChangePreview]

    @property
    def eligible(self) -> list[str]:
        return [p.key for p in self.previews if p.refusal is None]


#: How many tasks a bulk confirmation lists by name, of those changed and of those skipped.
LIST_AT_MOST = 4
#: The width of a confirmation's text (styles/modals.tcss: 72 less border and padding).
LINE_CELLS = 66


def describe_move(key: str, before: TaskStatus, after: TaskDetail) -> str:
    return f"{key}: {STATUS_LONG[before]} → {STATUS_LONG[after.status]}"


def none_can_change(reasons: list[str]) -> str:
    """One line for a change none of the marked tasks can make: the first reason."""
    more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return f"none of the {len(reasons)} marked tasks can change: {reasons[0]}{more}"


def bulk_summary(verb: str, changes: list[ChangePreview], skips: list[ChangePreview]) -> Text:
    """The bulk confirmation: the tasks that will change (from -> to) and those
    skipped, each with the planner's reason, one line each (cut to the dialog's
    width); long lists end with a count of the rest."""

    lines: list[Text] = []
    n, k = len(changes), len(skips)
    lines.append(Text(f"{verb.capitalize()} {counted(n, 'marked task')}?", "bold"))
    for p in changes[:LIST_AT_MOST]:
        before = STATUS_LONG[p.status] if p.status else "?"
        after = STATUS_LONG[p.target] if p.target else "?"
        line = Text(f"· {p.key}: {before} → {after}  ")
        line.append(safe(p.title, 80), "dim")
        lines.append(line)
    if n > LIST_AT_MOST:
        lines.append(Text(f"· … and {n - LIST_AT_MOST} more"))
    if skips:
        they = "they are" if k != 1 else "it is"
        lines.append(Text(f"{counted(k, 'other marked task')} will stay as {they}:", "bold"))
        lines.extend(Text(f"· {printable(p.refusal or '')}") for p in skips[:LIST_AT_MOST])
        if k > LIST_AT_MOST:
            lines.append(Text(f"· … and {k - LIST_AT_MOST} more"))
    for line in lines:
        line.truncate(LINE_CELLS, overflow="ellipsis")
    return Text("\n", end="").join(lines)


class TaskActions(Screen[None]):
    """The task actions of a screen; subclasses say which task is selected. The
    decisions and undo are actions here, so a screen binding `a`, `x`, `m` or `u`
    runs the same code on every screen."""

    #: Per task key: the version asked about and whether `action_approve` refuses it as the
    #: person's own work (see `_own_work_refusal`).
    _own_work: dict[str, tuple[tuple[str, object], str | None]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._own_work = {}

    def selected(self) -> TaskRow | None:
        raise NotImplementedError

    def marked(self) -> dict[str, TaskStatus]:
        return {}

    def after_change(self, message: TaskChanged) -> None:
        """Hook: show the change at once (the change feed reloads the rest)."""

    def before_change(self, key: str, target: TaskStatus) -> None:
        """Hook: show the move before it is committed (`after_change` confirms it,
        `ChangeRefused` takes it back)."""

    def show_task(self, key: str) -> None:
        """Hook: put the cursor on the task `key` (before undoing a change to it)."""

    def write_move(
        self,
        call: Callable[[Orchestrator], TaskDetail],
        note: Callable[[TaskDetail], str],
        title: str = "",
        failed: Callable[[Exception], Message | None] | None = None,
        more: Callable[[Orchestrator, TaskDetail], str | None] | None = None,
    ) -> None:
        """Run a move of one task; the move it recorded goes on the undo stack
        (`failed` makes the message posted when the service refuses it; `more`, asked
        of the services after the move, adds a line to the note)."""

        def work(o: Orchestrator) -> tuple[TaskDetail, int | None, str | None]:
            detail = call(o)
            return detail, o.undo.last_own_move(detail.key), more and more(o, detail)

        def changed(r: tuple[TaskDetail, int | None, str | None]) -> TaskChanged:
            said = note(r[0]) + (f"\n{r[2]}" if r[2] else "")
            return TaskChanged(r[0], said, undoable=(r[1],) if r[1] else ())

        run_db(
            self,
            work,
            changed,
            title=title,
            failed=failed,
        )

    # -- availability (check_action) and why not ------------------------------

    def refusal(self, action: str) -> str | None:
        """Why `action` does not apply now, in one line, from the rule the services
        apply; None when it does (or when it is not an action this screen checks)."""
        if action in STATUS_ACTIONS:
            target = STATUS_ACTIONS[action]
            marks = self.marked()
            if marks:
                if any(can_change_status(s, target) for s in marks.values()):
                    return None
                reasons = [change_refusal(k, s, target) or "" for k, s in sorted(marks.items())]
                return none_can_change(reasons)
            row = self.selected()
            return NO_TASK if row is None else row.change_refusal(target)
        if action in DECISIONS:
            row = self.selected()
            if row is None:
                return NO_TASK
            if row.decision_refusal or action != "approve":
                return row.decision_refusal
            return self._own_work_refusal(row)
        return None

    def _own_work_refusal(self, row: TaskRow) -> str | None:
        """Whether `action_approve` would refuse this as the person's own work: asked of the
        service once per version of the task (enabled until the answer comes); only
        each task's latest version is kept."""
        stamp = (row.key, row.updated_at)
        known = self._own_work.get(row.key)
        if known is None or known[0] != stamp:
            self._own_work[row.key] = (stamp, None)
            key = row.key
            run_db(
                self,
                lambda o: o.approvals.approval_refusal(key),
                lambda refusal: OwnWorkKnown(stamp, refusal),
                group="own-work",
                title=f"checking who worked on {key}",
            )
            return None
        return known[1]

    def on_own_work_known(self, message: OwnWorkKnown) -> None:
        key = message.stamp[0]
        if self._own_work.get(key, (None, None))[0] == message.stamp:
            self._own_work[key] = (message.stamp, message.refusal)
        self.refresh_task_bindings()

    def task_action_state(self, action: str) -> bool | None:
        """True when `action` applies now, None (shown disabled) when it does not,
        False when it is not a task action at all."""
        if action not in STATUS_ACTIONS and action not in DECISIONS:
            return False
        return None if self.refusal(action) else True

    def on_key(self, event: events.Key) -> None:
        """A key whose action does not apply is shown disabled, and Textual does not
        run it: say why instead of doing nothing. (Keys reach the screen before the
        app looks up bindings; an enabled binding for the key runs as usual.)"""
        if isinstance(self.focused, Input) or not binds_key(self, event.key):
            return
        # Keys typed together (`G` then `y`) reach this handler before the app has run
        # the first one's binding: look once the app has, as it will for this key.
        self.app.call_later(self._say_why_disabled, event.key)

    def _say_why_disabled(self, key: str) -> None:
        if self.app.screen is not self:
            return
        bound = self.app.active_bindings.get(key)
        if bound is None or bound.enabled or bound.node is not self:
            return
        reason = self.refusal(bound.binding.action.split("(")[0])
        if reason:
            self.notify(reason, severity="warning", markup=False)

    def refresh_task_bindings(self) -> None:
        """Tell the footer about enabled/disabled keys, only when that changed
        (each announcement has the footer collect the screen's keys again)."""
        state = tuple(
            self.check_action(name, ()) for name in (*STATUS_ACTIONS, *DECISIONS, *EXTRA_CHECKED)
        )
        if state != getattr(self, "_binding_state", None):
            self._binding_state = state
            self.refresh_bindings()

    # -- status changes -----------------------------------------------------

    def change_status(self, target: TaskStatus) -> None:
        if self.marked():
            self._plan_bulk(target)
            return
        row = self.selected()
        if row is None or not row.can_move_to(target):
            return
        key, before = row.key, row.status
        if row.needs_force(target):
            message = about_task(
                key,
                row.title,
                f"waits on {counted(row.unfinished_blockers, 'unfinished dependency')}. "
                "Starting it anyway is recorded with your reason.",
            )

            def forced(reason: str | None) -> None:
                if reason:
                    self.write_move(
                        lambda o: o.tasks.start(key, force=True, reason=reason),
                        lambda d: f"{describe_move(key, before, d)} (forced)",
                    )

            from ..modals.prompt import TextPrompt  # (dialogs load when first opened)

            self.app.push_screen(
                TextPrompt(f"Force start {key}", message, placeholder="reason"), forced
            )
            return
        self.before_change(key, target)
        self.write_move(
            lambda o: o.tasks.transition(key, target),
            lambda d: describe_move(key, before, d),
            failed=lambda _: ChangeRefused(key),
        )

    def _plan_bulk(self, target: TaskStatus) -> None:
        keys = sorted(self.marked())
        run_db(
            self, lambda o: BulkPlanned(target, o.tasks.preview_changes(keys, target)), lambda m: m
        )

    def on_bulk_planned(self, message: BulkPlanned) -> None:
        verb = VERBS[message.target]
        changes = [p for p in message.previews if p.refusal is None]
        skips = [p for p in message.previews if p.refusal is not None]
        if not changes:
            reasons = [printable(p.refusal or "") for p in skips]
            self.notify(none_can_change(reasons), severity="warning", markup=False)
            return
        text = bulk_summary(verb, changes, skips)
        target, keys = message.target, message.eligible
        n = len(keys)

        def confirmed(yes: bool | None) -> None:
            if yes:
                run_db(self, lambda o: self._apply_bulk(o, keys, target), lambda m: m)

        from ..modals.prompt import Confirm

        self.app.push_screen(
            Confirm(f"Change {counted(n, 'task')}", text, yes_label=verb.capitalize()), confirmed
        )

    @staticmethod
    def _apply_bulk(orch: Orchestrator, keys: list[str], target: TaskStatus) -> TaskChanged:
        changed, refused, moves = 0, [], []
        for key in keys:
            try:
                orch.tasks.transition(key, target)
                changed += 1
                move = orch.undo.last_own_move(key)
                if move is not None:
                    moves.append(move)
            except OrchestratorError as exc:
                refused.append(f"{key} ({printable(str(exc))})")
        note = f"{counted(changed, 'task')} changed"
        if refused:
            note += f"; {len(refused)} refused: " + "; ".join(refused[:3])
        return TaskChanged(None, note, undoable=tuple(moves))

    # -- approvals ----------------------------------------------------------

    def action_approve(self) -> None:
        row = self.selected()
        if row is None or not row.can_decide:
            return
        key = row.key
        self.write_move(
            lambda o: o.approvals.approve(key),
            lambda d: f"{key} approved: {STATUS_LONG[d.status]}",
            more=lambda o, d: o.approvals.branch_outcome(d),
        )

    def action_reject(self) -> None:
        self._decide_with_comment(
            "Reject",
            "Say why it is rejected (required); the task becomes failed, and if it is "
            "reset its next attempt is given your comment.",
            lambda o, key, comment: o.approvals.reject(key, comment),
            "rejected",
        )

    def action_request_changes(self) -> None:
        self._decide_with_comment(
            "Request changes",
            "Say what to change (required); the task goes back to ready and its "
            "next attempt is given your comment.",
            lambda o, key, comment: o.approvals.request_changes(key, comment),
            "sent back",
        )

    def _decide_with_comment(
        self,
        verb: str,
        explanation: str,
        decide: Callable[[Orchestrator, str, str], TaskDetail],
        done: str,
    ) -> None:
        row = self.selected()
        if row is None or not row.can_decide:
            return
        key = row.key
        message = about_task(key, row.title, explanation)

        def decided(comment: str | None) -> None:
            if comment:
                self.write_move(
                    lambda o: decide(o, key, comment),
                    lambda d: f"{key} {done}: {STATUS_LONG[d.status]}",
                )

        from ..modals.prompt import TextPrompt

        self.app.push_screen(
            TextPrompt(
                f"{verb} {key}",
                message,
                placeholder="comment",
                ok_label=verb,
                ok_variant="error" if verb == "Reject" else "warning",
            ),
            decided,
        )

    # -- undo: a stack of this session's own moves ----------------------------

    def action_undo(self) -> None:
        """Offer to undo the newest move still on this session's stack."""
        stack = host(self).undo_stack
        if not stack:
            self.notify(
                "nothing to undo: no change of yours in this session is left to undo",
                markup=False,
            )
            return
        event_id = stack[-1]
        run_db(self, lambda o: o.undo.preview(event_id), UndoPlanned, title="Cannot undo")

    def on_undo_planned(self, message: UndoPlanned) -> None:
        message.stop()
        plan, stack = message.plan, host(self).undo_stack
        move = plan.move
        self.show_task(move.key)
        if plan.refusal:
            # It will not become undoable by waiting: take it off, so `u` goes further back.
            if move.event_id in stack:
                stack.remove(move.event_id)
            further = "; press u again to go further back" if stack else ""
            self.notify(f"cannot undo: {plan.refusal}{further}", severity="warning", markup=False)
            return
        text = Text(
            f"Undo {move.key}: {STATUS_LONG[move.after]} → {STATUS_LONG[move.before]}?\n"
            f"This reverses your {move.name}; it is recorded as a reversal."
        )
        if move.closed_questions:
            ids = ", ".join(str(q) for q in move.closed_questions)
            noun = "question" if len(move.closed_questions) == 1 else "questions"
            text.append(f"\nIt reopens {noun} {ids}, which it closed unanswered.")
        event_id = move.event_id

        def confirmed(yes: bool | None) -> None:
            if yes:
                run_db(
                    self,
                    lambda o: o.undo.undo(event_id),
                    lambda d: TaskChanged(
                        d,
                        f"undone: {d.key} is {STATUS_LONG[d.status]} again",
                        select=True,
                        undone=event_id,
                    ),
                    title="Cannot undo",
                )

        from ..modals.prompt import Confirm

        self.app.push_screen(Confirm(f"Undo {move.key}", text, yes_label="Undo"), confirmed)

    # -- results ------------------------------------------------------------

    def on_task_changed(self, message: TaskChanged) -> None:
        message.stop()
        stack = host(self).undo_stack
        stack.extend(message.undoable)
        if message.undone in stack:
            stack.remove(message.undone)
        self.notify(message.note, markup=False)
        self.after_change(message)
        host(self).poke_feed()
