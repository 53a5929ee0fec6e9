"""What a person can do to the selected (or marked) tasks: status changes,
approvals, undo. Shared by the main screen and the approvals inbox; the key
bindings live on the screens, the palette calls the same actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from ...domain.enums import TaskStatus
from ...domain.errors import OrchestratorError
from ...domain.models import TaskDetail, TaskRow
from ...domain.rules import blocker_open
from ...domain.state_machine import STARTS_WORK, VERB_TARGETS, VERBS, can_change_status
from ...domain.text import printable
from ...domain.undo import UndoPreview
from ..db import run_db
from ..host import host
from ..modals.prompt import Confirm, TextPrompt
from ..render import STATUS_LONG, safe

if TYPE_CHECKING:
    from ...services import Orchestrator

S = TaskStatus

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


def can_move(status: TaskStatus, target: TaskStatus) -> bool:
    """Whether the status key for `target` applies to a task in `status`."""
    return can_change_status(status, target)


@dataclass
class TaskChanged(Message):
    """A write finished; `detail` is the task afterwards (None for bulk changes)."""

    detail: TaskDetail | None
    note: str
    select: bool = False
    #: Moves this write recorded (event ids), for this session's undo stack.
    undoable: tuple[int, ...] = ()
    #: The move this write undid (taken off the undo stack).
    undone: int | None = None


@dataclass
class UndoPlanned(Message):
    """What `u` would undo (or why it cannot), before anything is written."""

    plan: UndoPreview


@dataclass
class BulkPlanned(Message):
    target: TaskStatus
    eligible: list[str]
    skipped: list[str] = field(default_factory=list)


def describe_move(key: str, before: TaskStatus, after: TaskDetail) -> str:
    return f"{key}: {STATUS_LONG[before]} → {STATUS_LONG[after.status]}"


class TaskActions(Screen[None]):
    """The task actions of a screen; subclasses say which task is selected."""

    def selected(self) -> TaskRow | None:
        raise NotImplementedError

    def marked(self) -> dict[str, TaskStatus]:
        return {}

    def after_change(self, message: TaskChanged) -> None:
        """Hook: show the change at once (the change feed reloads the rest)."""

    def show_task(self, key: str) -> None:
        """Hook: put the cursor on the task `key` (before undoing a change to it)."""

    def write_move(
        self,
        call: Callable[[Orchestrator], TaskDetail],
        note: Callable[[TaskDetail], str],
        title: str = "",
    ) -> None:
        """Run a move of one task; the move it recorded goes on the undo stack."""

        def work(o: Orchestrator) -> tuple[TaskDetail, int | None]:
            detail = call(o)
            return detail, o.undo.last_own_move(detail.key)

        run_db(
            self,
            work,
            lambda r: TaskChanged(r[0], note(r[0]), undoable=(r[1],) if r[1] else ()),
            title=title,
        )

    # -- availability (check_action) and why not ------------------------------

    def refusal(self, action: str) -> str | None:
        """Why `action` does not apply now, in one line, from the rule the services
        apply; None when it does (or when it is not an action this screen checks)."""
        if action in STATUS_ACTIONS:
            target = STATUS_ACTIONS[action]
            marks = self.marked()
            if marks:
                if any(can_move(s, target) for s in marks.values()):
                    return None
                return f"none of the {len(marks)} marked tasks can {VERBS[target]}"
            row = self.selected()
            return NO_TASK if row is None else row.change_refusal(target)
        if action in DECISIONS:
            row = self.selected()
            return NO_TASK if row is None else row.decision_refusal
        return None

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
        if isinstance(self.focused, Input):
            return
        bound = self.app.active_bindings.get(event.key)
        if bound is None or bound.enabled or bound.node is not self:
            return
        reason = self.refusal(bound.binding.action.split("(")[0])
        if reason:
            self.notify(reason, severity="warning", markup=False)

    def refresh_task_bindings(self) -> None:
        """Tell the footer about enabled/disabled keys, only when that changed
        (the footer rebuilds itself on every refresh, which costs a frame)."""
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
        if target is S.IN_PROGRESS and row.unfinished_blockers:
            message = Text(end="")
            message.append(f"{key} ")
            message.append(safe(row.title, 200), "bold")
            message.append(
                f"\nwaits on {row.unfinished_blockers} unfinished "
                f"{'dependency' if row.unfinished_blockers == 1 else 'dependencies'}. "
                "Starting it anyway is recorded with your reason."
            )

            def forced(reason: str | None) -> None:
                if reason:
                    self.write_move(
                        lambda o: o.tasks.start(key, force=True, reason=reason),
                        lambda d: f"{describe_move(key, before, d)} (forced)",
                    )

            self.app.push_screen(
                TextPrompt(f"Force start {key}", message, placeholder="reason"), forced
            )
            return
        self.write_move(
            lambda o: o.tasks.transition(key, target),
            lambda d: describe_move(key, before, d),
        )

    def _plan_bulk(self, target: TaskStatus) -> None:
        keys = sorted(self.marked())

        def plan(orch: Orchestrator) -> BulkPlanned:
            eligible, skipped = [], []
            for key in keys:
                try:
                    task = orch.queries.get_task(key)
                except OrchestratorError:
                    skipped.append(key)
                    continue
                unfinished = any(blocker_open(b.type, b.status) for b in task.blockers)
                if can_move(task.status, target) and not (target in STARTS_WORK and unfinished):
                    eligible.append(key)
                else:
                    skipped.append(key)
            return BulkPlanned(target, eligible, skipped)

        run_db(self, plan, lambda m: m)

    def on_bulk_planned(self, message: BulkPlanned) -> None:
        verb, n = VERBS[message.target], len(message.eligible)
        if not n:
            self.notify(
                f"none of the {len(message.skipped)} marked tasks can {verb}",
                severity="warning",
                markup=False,
            )
            return
        text = Text(f"{verb.capitalize()} {n} marked task{'s' if n != 1 else ''}?")
        if message.skipped:
            text.append(
                f"\n{len(message.skipped)} other marked task"
                f"{'s' if len(message.skipped) != 1 else ''} cannot {verb} and "
                f"will stay as {'they are' if len(message.skipped) != 1 else 'it is'}: "
                + ", ".join(message.skipped[:10])
                + (" …" if len(message.skipped) > 10 else "")
            )
        target, keys = message.target, list(message.eligible)

        def confirmed(yes: bool | None) -> None:
            if yes:
                run_db(self, lambda o: self._apply_bulk(o, keys, target), lambda m: m)

        self.app.push_screen(Confirm(f"Change {n} tasks", text, yes_label=verb), confirmed)

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
        note = f"{changed} task{'s' if changed != 1 else ''} changed"
        if refused:
            note += f"; {len(refused)} refused: " + "; ".join(refused[:3])
        return TaskChanged(None, note, undoable=tuple(moves))

    # -- approvals ----------------------------------------------------------

    def approve(self) -> None:
        row = self.selected()
        if row is None or not row.can_decide:
            return
        key = row.key
        self.write_move(
            lambda o: o.approvals.approve(key),
            lambda d: f"{key} approved: {STATUS_LONG[d.status]}",
        )

    def reject(self) -> None:
        self._decide_with_comment(
            "Reject",
            "Say why it is rejected (required); the task becomes failed.",
            lambda o, key, comment: o.approvals.reject(key, comment),
            "rejected",
        )

    def request_changes(self) -> None:
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
        message = Text(end="")
        message.append(f"{key} ")
        message.append(safe(row.title, 200), "bold")
        message.append(f"\n{explanation}")

        def decided(comment: str | None) -> None:
            if comment:
                self.write_move(
                    lambda o: decide(o, key, comment),
                    lambda d: f"{key} {done}: {STATUS_LONG[d.status]}",
                )

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

    def undo(self) -> None:
        """Offer to undo the newest move still on this session's stack."""
        stack = host(self).undo_stack
        if not stack:
            self.notify("nothing to undo: you have changed no status in this session", markup=False)
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
