"""Many validated plan tasks, kept small.

A validated `PlanTask` costs about 3 KB beside its texts (41 fields, the set
of fields given, an empty list or mapping of its own for every list field):
140 MB for a 45,000-task import, more than the file. `PackedTasks` keeps each
task as the values that differ from the defaults and the names of the fields
given (shared by every task that gives the same ones), about a tenth of that,
and rebuilds an equal `PlanTask` when one is asked for (`model_construct`, with
copies of its lists, mappings and models: tasks rebuilt from one packed task
share nothing that can change). Beside each task it
keeps its `TaskOutline`: what the plan-level checks (unique keys, references,
cycles, parents) need, so that they run without rebuilding any task.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, NamedTuple, overload

from pydantic import BaseModel

from .plan import PlanTask


class TaskOutline(NamedTuple):
    """What the checks over a whole plan need of one task."""

    key: str
    parent: str | None
    #: (key, dependency type) of each task it depends on
    depends_on: tuple[tuple[str, str], ...]
    #: the agents named as participants
    participants: tuple[str, ...]
    source: str | None
    external_id: str | None
    title: str


def outline(task: PlanTask) -> TaskOutline:
    return outlines_of([task])[0]


def outlines_of(tasks: Sequence[PlanTask]) -> list[TaskOutline]:
    """The outline of every task, without rebuilding packed ones."""
    if isinstance(tasks, PackedTasks):
        return tasks.outlines
    return [  # one comprehension, each task read once: a plan load makes 100k of them
        _new_outline(
            (
                t.key,
                t.parent,
                tuple([(r.key, _text(r.type)) for r in deps]) if (deps := t.depends_on) else (),
                tuple([p.agent for p in people]) if (people := t.participants) else (),
                t.source,
                t.external_id,
                t.title,
            )
        )
        for t in tasks
    ]


#: A StrEnum member's value as a plain str
_text = str.__str__
#: TaskOutline of a tuple of its fields (what `TaskOutline._make` does, in C)
_new_outline = partial(tuple.__new__, TaskOutline)


def _fresh(field: Any) -> Callable[[], Any] | None:
    """How a field's default is made anew for each task, as pydantic makes it
    (None: its default is one value shared by every task)."""
    if field.default_factory is not None:
        if field.default_factory_takes_validated_data:
            raise TypeError("a default made from other fields cannot be packed")
        return field.default_factory
    default = field.default
    if isinstance(default, list | dict | set):
        return lambda: copy.deepcopy(default)
    return None


_FIELDS = PlanTask.model_fields
_REQUIRED = tuple(name for name, field in _FIELDS.items() if field.is_required())
#: every field in order, with its default (the required ones filled from the task)
_TEMPLATE: dict[str, Any] = {
    name: None if field.is_required() else field.get_default(call_default_factory=True)
    for name, field in _FIELDS.items()
}
_FRESH = {name: make for name, f in _FIELDS.items() if not f.is_required() and (make := _fresh(f))}
#: a default of each optional field to compare a task's values with (never handed out)
_DEFAULTS = {name: value for name, value in _TEMPLATE.items() if name not in _REQUIRED}
#: Fields not given hold their defaults, unless a model validator (or a validated
#: default) sets them; then each task's values are compared with the defaults.
_SET_UNGIVEN = bool(PlanTask.__pydantic_decorators__.model_validators) or any(
    f.validate_default for f in _FIELDS.values()
)
_Packed = tuple[frozenset[str], tuple[str, ...], tuple[Any, ...]]
#: values a rebuilt task gets a copy of (a change to one must not reach another)
_MUTABLE = (list, dict, set, BaseModel)


class PackedTasks(Sequence[PlanTask]):
    """A sequence of plan tasks held packed; indexing or iterating rebuilds each
    one (a new `PlanTask`, equal to the one appended, with the same fields given)."""

    def __init__(self, tasks: Iterable[PlanTask] = ()) -> None:
        self._items: list[_Packed] = []
        #: one copy of each set of fields given, with the names of the values kept
        self._shared: dict[frozenset[str], tuple[frozenset[str], tuple[str, ...]]] = {}
        self.outlines: list[TaskOutline] = []
        self.extend(tasks)

    def append(self, task: PlanTask) -> None:
        self._pack(task)
        self.outlines.append(outline(task))

    def _pack(self, task: PlanTask) -> None:
        given = frozenset(task.model_fields_set)
        shared = self._shared.get(given)
        if shared is None:
            names = tuple(n for n in _FIELDS if n in given or n in _REQUIRED)
            shared = self._shared[given] = (given, names)
        given, names = shared
        if _SET_UNGIVEN:  # a validator may have set fields not given: keep what differs
            names = (
                *names,
                *(n for n, d in _DEFAULTS.items() if n not in given and getattr(task, n) != d),
            )
        self._items.append((given, names, tuple(getattr(task, n) for n in names)))

    def extend(self, tasks: Iterable[PlanTask]) -> None:
        if isinstance(tasks, PackedTasks):
            tasks = list(tasks)
        tasks = tasks if isinstance(tasks, list) else list(tasks)
        for task in tasks:
            self._pack(task)
        self.outlines += outlines_of(tasks)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> PlanTask: ...

    @overload
    def __getitem__(self, index: slice) -> list[PlanTask]: ...

    def __getitem__(self, index: int | slice) -> PlanTask | list[PlanTask]:
        if isinstance(index, slice):
            return [_unpack(item) for item in self._items[index]]
        return _unpack(self._items[index])

    def __iter__(self) -> Iterator[PlanTask]:
        for item in self._items:
            yield _unpack(item)

    def __eq__(self, other: object) -> bool:
        """Equal to a list (or packed tasks) of equal tasks in the same order."""
        if not isinstance(other, list | PackedTasks):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedTasks({list(self)!r})"


def _unpack(item: _Packed) -> PlanTask:
    """`PlanTask.model_construct` of copies of the packed values, every field given
    (so pydantic need not look up each default's factory: it inspects its
    signature on every call)."""
    given, names, values = item
    data = _TEMPLATE.copy()
    for name, make in _FRESH.items():
        data[name] = make()
    data.update(zip(names, map(_own, values), strict=True))
    return PlanTask.model_construct(set(given), **data)


def _own(value: Any) -> Any:
    return copy.deepcopy(value) if isinstance(value, _MUTABLE) else value
