"""Creating, editing and moving tasks through the state machine.

Every status change is one compare-and-set statement
(`UPDATE ... WHERE id = :id AND status = :expected`) whose row count is
checked, plus its event, in one transaction: of two racing writers exactly
one wins and the other gets `Conflict`.

The pydantic views are imported by the methods that answer with them: `move`,
the command line's status change, writes through the same writer without them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, update

from ..domain.enums import EventKind, TaskStatus
from ..domain.errors import (
    Conflict,
    CycleError,
    OrchestratorError,
    ValidationFailed,
)
from ..domain.rules import DECIDABLE
from ..domain.state_machine import STARTED
from ..domain.transitions import Intent, Move, plan_move
from ..store.engine import inserted_id
from ..store.tables import Task, TaskDependency
from .base import ServiceContext, T, find_task, record_event
from .moves import current_of, move_one, record_initial_requests

if TYPE_CHECKING:
    from ..domain.models import ChangePreview, TaskDetail, TaskPatch, TaskSpec

S = TaskStatus


def spec_to_values(spec: TaskSpec, now: Any) -> dict[str, Any]:
    """Column values for a new task (without key, parent and dependencies)."""
    return {name: values[0] for name, values in spec_columns([spec], now).items()}


def spec_columns(specs: Sequence[TaskSpec], now: Any) -> dict[str, list[Any]]:
    """`spec_to_values` of many specs at once, column by column (a plan load's
    rows are built this way, without a dict per task). Each spec's fields are
    read from its `__dict__` in one C call (where pydantic keeps them), not an
    attribute at a time."""
    count = len(specs)
    rows = list(map(_READ_ALL, map(_FIELDS, specs)))
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in _READ]
    fields = dict(zip(_READ, columns, strict=True))
    values = {
        name: convert(fields[name]) if convert else fields[name]
        for name, convert in _COLUMNS.items()
    }
    statuses = fields["status"]
    done = [status is S.DONE for status in statuses]
    values["progress"] = [100 if d else p for d, p in zip(done, fields["progress"], strict=True)]
    values["created_at"] = [now] * count
    values["updated_at"] = [now] * count
    values["completed_at"] = [now if d else None for d in done]
    values["started_at"] = [now if status in STARTED else None for status in statuses]
    return values


def _words(column: list[Any]) -> list[str]:
    return list(map(_text, column))


def _optional_words(column: list[Any]) -> list[str | None]:
    return [_text(value) if value else None for value in column]


def _dumped(column: list[Any]) -> list[dict[str, Any] | None]:
    return [value.model_dump() if value else None for value in column]


#: The spec fields `spec_columns` copies into the task's columns of the same name,
#: each with how its column is converted (None: as it is; progress is 100 once done)
_COLUMNS: dict[str, Callable[[list[Any]], list[Any]] | None] = {
    "title": None,
    "description": None,
    "status": _words,
    "priority": _words,
    "complexity": _words,
    "component_area": _words,
    "phase": None,
    "assignee": None,
    "agent_type": _optional_words,
    "estimated_hours": None,
    "actual_hours": None,
    "deadline": None,
    "success_criteria": None,
    "requires_approval": None,
    "command": _dumped,
    "max_retries": None,
    "tags": None,
    "extra": None,
    "progress": None,
    "source": None,
    "external_id": None,
}
#: The spec fields `spec_columns` reads, each spec's at once
_READ = tuple(_COLUMNS)
_READ_ALL = itemgetter(*_READ)
_FIELDS = attrgetter("__dict__")
#: A StrEnum member's value as a plain str (what `.value` gives, at C speed; any
#: other kind of value is a TypeError, never a wrong word)
_text = str.__str__


def next_key(conn: Connection, prefix: str = "T") -> str:
    """The next free `PREFIX-N` key."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    keys = conn.execute(select(T.key).where(T.key.like(f"{prefix}-%"))).scalars()
    highest = max((int(m.group(1)) for k in keys if (m := pattern.match(k))), default=0)
    return f"{prefix}-{highest + 1}"


class TaskService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- creating and editing -------------------------------------------------

    def create(self, spec: TaskSpec) -> TaskDetail:
        from .views import task_detail

        with self.ctx.db.write() as conn:
            key = spec.key or next_key(conn)
            if conn.execute(select(T.id).where(T.key == key)).first():
                raise ValidationFailed(f"task key {key!r} is taken")
            values = spec_to_values(spec, self.ctx.now())
            values["key"] = key
            if spec.parent:
                values["parent_id"] = find_task(conn, spec.parent).id
            _check_refs(key, spec)
            task_id = inserted_id(conn.execute(Task.__table__.insert().values(**values)))
            for ref in spec.depends_on:
                blocker = find_task(conn, ref.key)
                conn.execute(
                    TaskDependency.__table__.insert().values(
                        task_id=task_id,
                        depends_on_id=blocker.id,
                        dep_type=ref.type.value,
                        created_at=self.ctx.now(),
                    )
                )
            record_event(
                conn, self.ctx, EventKind.TASK_CREATED, task_id, {"key": key, "title": spec.title}
            )
            if S(values["status"]) in DECIDABLE:
                record_initial_requests(conn, [(task_id, values["updated_at"])])
            return task_detail(conn, find_task(conn, key))

    def edit(self, key: str, patch: TaskPatch, expected_version: int | None = None) -> TaskDetail:
        changes = patch.changes()
        if "command" in changes and patch.command is not None:
            changes["command"] = patch.command.model_dump()
        for name in ("priority", "complexity", "component_area", "agent_type"):
            if name in changes:
                changes[name] = getattr(patch, name).value
        if not changes:
            raise ValidationFailed("nothing to change")
        from .views import task_detail

        with self.ctx.db.write() as conn:
            row = find_task(conn, key)
            before = {name: plain_value(getattr(row, name)) for name in changes}
            stmt = update(Task.__table__).where(T.id == row.id)
            if expected_version is not None:
                stmt = stmt.where(T.version == expected_version)
            result = conn.execute(
                stmt.values(**changes, version=T.version + 1, updated_at=self.ctx.now())
            )
            if result.rowcount != 1:
                raise Conflict(f"{key} was changed by someone else meanwhile; reload and retry")
            record_event(
                conn,
                self.ctx,
                EventKind.TASK_EDITED,
                row.id,
                {"before": before, "after": {k: plain_value(v) for k, v in changes.items()}},
            )
            return task_detail(conn, find_task(conn, key))

    # -- status changes -------------------------------------------------------

    def start(self, key: str, force: bool = False, reason: str | None = None) -> TaskDetail:
        return self.transition(key, S.IN_PROGRESS, force=force, reason=reason)

    def complete(self, key: str, summary: str | None = None) -> TaskDetail:
        """Done, or awaiting approval when the task requires approval."""
        return self.transition(key, S.DONE, reason=summary)

    def fail(self, key: str, reason: str | None = None) -> TaskDetail:
        return self.transition(key, S.FAILED, reason=reason)

    def block(self, key: str, reason: str | None = None) -> TaskDetail:
        return self.transition(key, S.BLOCKED, reason=reason)

    def reset(self, key: str, reason: str | None = None) -> TaskDetail:
        return self.transition(key, S.PENDING, reason=reason)

    def transition(
        self,
        key: str,
        target: TaskStatus,
        *,
        force: bool = False,
        reason: str | None = None,
    ) -> TaskDetail:
        from .views import task_detail

        with self.ctx.db.write() as conn:
            self._move(conn, key, Intent(target, force=force, reason=reason))
            return task_detail(conn, find_task(conn, key))

    def move(
        self,
        key: str,
        target: TaskStatus,
        *,
        force: bool = False,
        reason: str | None = None,
    ) -> Move:
        """`transition`, answering with the move written (its task's key and the
        status it now has) instead of the task's view: the command line's status
        change prints that, without importing the views."""
        with self.ctx.db.write() as conn:
            return self._move(conn, key, Intent(target, force=force, reason=reason))

    def _move(self, conn: Connection, key: str, intent: Intent) -> Move:
        return move_one(conn, self.ctx, find_task(conn, key), intent)

    def preview_changes(self, keys: list[str], target: TaskStatus) -> list[ChangePreview]:
        """Plan moving each task to `target` without writing: what each would
        become, or why it would be refused (a bulk change's confirmation)."""
        from ..domain.models import ChangePreview

        out: list[ChangePreview] = []
        now = self.ctx.now()
        with self.ctx.db.read() as conn:
            for key in keys:
                row = conn.execute(select(Task.__table__).where(T.key == key)).first()
                if row is None:
                    out.append(ChangePreview(key=key, refusal=f"{key} no longer exists"))
                    continue
                seen = ChangePreview(key=key, title=row.title, status=S(row.status))
                try:
                    move = plan_move(current_of(conn, row), Intent(target), now)
                except OrchestratorError as exc:
                    out.append(seen.model_copy(update={"refusal": str(exc)}))
                else:
                    out.append(seen.model_copy(update={"target": move.target}))
        return out

    def undo_last(self) -> TaskDetail:
        """Reverse this actor's most recent move (status change or decision)."""
        from .undo import UndoService

        return UndoService(self.ctx).undo_last()

    def count(self) -> int:
        with self.ctx.db.read() as conn:
            return conn.execute(select(func.count()).select_from(Task.__table__)).scalar_one()


def _check_refs(key: str, spec: TaskSpec) -> None:
    """A task cannot wait for itself, nor name the same blocker twice."""
    seen: set[str] = set()
    for ref in spec.depends_on:
        if ref.key == key:
            raise CycleError([key, key])
        if ref.key in seen:
            raise ValidationFailed(f"{key}: depends_on names {ref.key} twice")
        seen.add(ref.key)


def plain_value(value: Any) -> Any:
    """JSON-safe form of a column value for event data."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
