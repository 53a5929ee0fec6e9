"""What the task list shows: text filter, quick view, sort. Pure data; turned
into a service `TaskFilter` only inside a worker (keeps sqlmodel off the first frame)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..domain.changes import MEMBERSHIP
from ..domain.enums import Readiness, TaskStatus
from ..domain.rules import DECIDABLE, RUNNING

if TYPE_CHECKING:
    from ..services.queries import TaskFilter

S = TaskStatus


class View(NamedTuple):
    """A quick filter (`v` cycles them): the statuses and readiness it keeps."""

    name: str
    label: str
    statuses: frozenset[TaskStatus] = frozenset()
    readiness: frozenset[Readiness] = frozenset()


#: Quick filters, in the order `cycle_view` walks them.
VIEWS: dict[str, View] = {
    v.name: v
    for v in (
        View("all", "all"),
        View("ready", "ready", readiness=frozenset({Readiness.READY})),
        View("running", "running", statuses=frozenset({RUNNING})),
        View("awaiting", "awaiting approval", statuses=DECIDABLE),  # the inbox's tasks
        View("failed", "failed", statuses=frozenset({S.FAILED})),
    )
}

#: Sortable columns (task-list column name -> service sort name), in cycle order.
SORTABLE: dict[str, str] = {
    "key": "key",
    "title": "title",
    "status": "status",
    "priority": "priority",
    "assignee": "assignee",
    "progress": "progress",
}


class TableQuery(NamedTuple):
    """What the list shows: the filter's text, the quick view, and the order."""

    text: str = ""
    view: str = "all"
    sort: str = "key"
    descending: bool = False

    def with_text(self, text: str) -> TableQuery:
        return self._replace(text=text.strip())

    def with_view(self, view: str) -> TableQuery:
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}")
        return self._replace(view=view)

    def sorted_by(self, column: str) -> TableQuery:
        """Sort by `column`; choosing the current sort column flips the direction."""
        if column not in SORTABLE:
            raise ValueError(f"column {column!r} is not sortable")
        if column == self.sort:
            return self._replace(descending=not self.descending)
        return self._replace(sort=column, descending=column in ("priority", "progress"))

    def next_sort(self) -> TableQuery:
        names = list(SORTABLE)
        column = names[(names.index(self.sort) + 1) % len(names)]
        return self._replace(sort=column, descending=column in ("priority", "progress"))

    def reversed(self) -> TableQuery:
        return self._replace(descending=not self.descending)

    def next_view(self) -> TableQuery:
        names = list(VIEWS)
        return self._replace(view=names[(names.index(self.view) + 1) % len(names)])

    def depends_on(self) -> frozenset[str]:
        """Row fields whose change can move a row in or out of this list, or within
        it (see domain/changes.py); adding or removing tasks always can."""
        view = VIEWS[self.view]
        fields = {MEMBERSHIP, self.sort}
        if self.text:
            fields |= {"key", "title"}
        if view.statuses:
            fields.add("status")
        if view.readiness:
            fields.add("readiness")
        return frozenset(fields)

    def to_filter(self) -> TaskFilter:
        from ..services.queries import TaskFilter

        view = VIEWS[self.view]
        return TaskFilter(text=self.text, statuses=view.statuses, readiness=view.readiness)

    def describe(self) -> str:
        arrow = "↓" if self.descending else "↑"
        return f"view {VIEWS[self.view].label} · sort {self.sort} {arrow}"
