"""Stored rows to the plain views the front doors show, for rows read through
SQLAlchemy and through `sqlite3` alike (any row with the columns as attributes).
No SQLAlchemy here: the CLI's quick reads use it before (or without) loading it.
The fields of each view come from `row_fields`, which the CLI prints from directly
when it needs no pydantic model."""

from __future__ import annotations

from typing import Any

from ..domain.models import (
    ApprovalView,
    CommandSpec,
    DependencyView,
    EventView,
    NoteView,
    ProgressView,
    TaskDetail,
    TaskRow,
)
from .row_fields import (
    approval_fields,
    event_fields,
    note_fields,
    progress_fields,
    task_detail_fields,
    task_row_fields,
)


def task_row(r: Any) -> TaskRow:
    """A task list row from the columns `row_fields.task_row_fields` reads."""
    return TaskRow(**task_row_fields(r))


def task_detail_of(
    r: Any, parent: str | None, blockers: list[DependencyView], dependents: list[DependencyView]
) -> TaskDetail:
    """A task's detail from its full row, its parent's key and its links."""
    fields = task_detail_fields(r, parent, blockers, dependents)
    command = fields["command"]
    fields["command"] = CommandSpec.model_validate(command) if command else None
    return TaskDetail(**fields)


def event_view(r: Any, key: str | None) -> EventView:
    return EventView(**event_fields(r, key))


def approval_view(r: Any, key: str) -> ApprovalView:
    return ApprovalView(**approval_fields(r, key))


def progress_view(r: Any) -> ProgressView:
    return ProgressView(**progress_fields(r))


def note_view(r: Any) -> NoteView:
    return NoteView(**note_fields(r))
