"""Loading a plan (the YAML sample-data format, or any importer's output) into
the database: the one write path for plan files and imports alike.

All or nothing: the whole plan is validated (fields, unique keys and external
ids, known dependencies and parents, no cycle) inside one write transaction;
any error rolls everything back and names the file, the record and the field.
The checks over the whole plan read each task's outline (`domain.packed`);
full tasks are rebuilt a batch at a time where rows are written, so an
importer's packed tasks are never all unpacked at once.

Loading is an upsert. A plan task matches an existing task by its
(source, external_id) when it has both, else by the key of ours its source
names for it (`adopt`: our export wrote it there; when it names the source
that task came from too, only a task from that source), else by its key. A key
only matches a task of the same origin; a task matched by the key its source
names keeps its owner and tags (its source, external id and tags are not
changed), whoever owns it. A matched task is
updated in the fields the plan sets explicitly (and its dependencies are made
equal to the plan's); an unmatched one is created. The result counts tasks
added, changed and unchanged. A dry run does the same work and rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, func, select, update

from ..agents.plan_agents import apply_agents
from ..domain.enums import EventKind, TaskStatus
from ..domain.errors import CycleError, ValidationFailed
from ..domain.graph import blockers_come_first, find_cycle
from ..domain.packed import TaskOutline, outlines_of
from ..domain.plan import NamedTask, PlanSpec, PlanTask, resolve_time
from ..domain.rules import DECIDABLE
from ..domain.state_machine import STARTED
from ..domain.transitions import Intent, Via, plan_move
from ..store.bulk import collector_paused, flat_document_column, insert_columns
from ..store.engine import take_turns
from ..store.tables import Agent, Event, Task, TaskDependency
from .agent_profiles import load_profiles
from .agent_runs import mark_plan_budget
from .base import DEPENDENCY_GRAPH, D, ServiceContext, T, chunks, record_event
from .moves import current_of, record_initial_requests, write_moves
from .plan_history import has_history, write_agents, write_history
from .safe_yaml import describe_validation_error, load_yaml, read_text
from .tasks import plain_value, spec_columns

S = TaskStatus
#: Rows built and written at a time: a batch of tasks with long texts is ~5 MB.
BATCH = 2000
_SCAN_ABOVE = 5000
Progress = Callable[[str, int, int], None]

#: Plan fields stored in a column of the same name.
_SAME_NAME = [
    *("title", "description", "status", "priority", "complexity", "component_area", "phase"),
    *("assignee", "agent_type", "estimated_hours", "actual_hours", "success_criteria"),
    *("requires_approval", "command", "max_retries", "tags", "extra", "progress", "source"),
    *("external_id", "completion_summary"),
]
#: Plan time fields and their columns.
_TIMES = {
    "created": "created_at",
    "updated": "updated_at",
    "started": "started_at",
    "completed": "completed_at",
    "deadline": "deadline",
}
#: What a task adopted by a source that names it keeps (see `_match`).
_OWNED = ("source", "external_id", "tags")
#: Small fields whose old and new values go into the TASK_EDITED event.
_SHOWN = {"title", "status", "priority", "assignee", "phase", "parent"}


#: A source format's rule (`ParsedImport.same_as_ours`): whether the value a file
#: gives a task's column (`values[name]`; for `extra`, its whole new `extra`) is
#: what that format's export writes for the value the task has: the file says
#: nothing new, and the task keeps its own (Backlog.md has no `critical`: a critical
#: task goes out `high`, and stays critical). For `extra`: whether the new one
#: differs only in what the file keeps for itself, written then without counting.
SameAsOurs = Callable[[Any, str, Mapping[str, Any]], bool]


def _only_memos_differ(row: Any, changes: dict[str, Any]) -> bool:
    """Whether a task's changes are only to the importers' memos in its `extra` (keys
    beginning with `_`, such as `_taskmaster`: a file's own ids, field order and tag,
    kept to write it back the same way), not to anything the task says."""
    if set(changes) != {"extra"}:
        return False
    old, new = row.extra or {}, changes["extra"] or {}
    content = {k for k in (*old, *new) if not k.startswith("_")}
    return all(old.get(k) == new.get(k) for k in content)


def parse_plan(data: Any, origin: str) -> PlanSpec:
    if not isinstance(data, dict):
        raise ValidationFailed(
            f"{origin}: a plan is a mapping with `tasks:` (got {type(data).__name__})"
        )
    try:
        plan = PlanSpec.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(exc, data, origin) from None
    return apply_agents(plan, origin, load_profiles)


def read_plan_file(path: Path, relative_to: Path | None = None) -> PlanSpec:
    """A plan file; relative workspace paths are read from its folder (or `relative_to`)."""
    plan = parse_plan(load_yaml(read_text(path), str(path)), str(path))
    return plan.resolve_paths((relative_to or path.parent).resolve())


@dataclass(frozen=True)
class LoadResult:
    tasks: int
    dependencies: int
    runs: int
    log_lines: int
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    dependencies_added: int = 0
    dependencies_removed: int = 0
    #: Tasks earlier loads created from the same sources that this plan no
    #: longer has; they are kept, never deleted.
    missing: int = 0
    dry_run: bool = False


class _Rollback(Exception):
    def __init__(self, result: LoadResult) -> None:
        self.result = result


class PlanService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def load_file(
        self, path: Path, progress: Progress | None = None, source: str | None = None
    ) -> LoadResult:
        """Load a plan file; with `source`, its tasks belong to that source (their
        keys as external ids), so that no other plan can take them over."""
        plan = read_plan_file(path)
        if source is not None:
            plan.tasks = [
                t if t.source else t.model_copy(update={"source": source, "external_id": t.key})
                for t in plan.tasks
            ]
        return self.load(plan, str(path), progress)

    def load(
        self,
        plan: PlanSpec,
        origin: str,
        progress: Progress | None = None,
        *,
        where: Mapping[str, str] | None = None,
        adopt: Mapping[str, NamedTask] | None = None,
        same_as_ours: SameAsOurs | None = None,
        dry_run: bool = False,
    ) -> LoadResult:
        """Write `plan` (see the module docstring). `where` names each task's
        record in the source file (key -> label) for error messages; `adopt`
        the existing task a plan key stands for (plan key -> our key);
        `same_as_ours` the source format's rule for values that say nothing new."""
        try:
            with collector_paused(), self.ctx.db.write() as conn:
                take_turns(conn, DEPENDENCY_GRAPH)  # its cycle check spans the database
                load = _Load(
                    self.ctx, conn, plan, origin, where or {}, progress, adopt or {}, same_as_ours
                )
                result = load.run(dry_run)
                if dry_run:
                    raise _Rollback(result)
        except _Rollback as done:
            return done.result
        return result


def named_row(said: NamedTask | None, rows: Mapping[str, Any]) -> Any:
    """The row (of `rows`, by key) of the task of ours a record names (`said`,
    from `adopt`): the task with that key, unless the record names another
    owner (it was written from a task of another database that has the same
    key). The load and `import --watch` both ask this."""
    if said is None:
        return None
    row = rows.get(said.key)
    return row if row is not None and said.is_from(row.source) else None


class _Load:
    """One plan load inside one transaction."""

    def __init__(
        self,
        ctx: ServiceContext,
        conn: Connection,
        plan: PlanSpec,
        origin: str,
        where: Mapping[str, str],
        progress: Progress | None,
        adopt: Mapping[str, NamedTask],
        same_as_ours: SameAsOurs | None = None,
    ) -> None:
        self.ctx, self.conn, self.plan, self.origin = ctx, conn, plan, origin
        self.where, self.adopt, self.same_as_ours = where, adopt, same_as_ours
        #: plan keys matched by the key of ours their source names (see `_match`)
        self.adopted: set[str] = set()
        self.progress = progress
        self.now = ctx.now()
        #: what the checks need of each task, in plan order
        self.outlines = outlines_of(plan.tasks)

    def record(self, index: int, task: TaskOutline) -> str:
        """The task's place in its source file, e.g. `tasks[3] (PAY-4)`."""
        return self.where.get(task.key) or f"tasks[{index}] ({task.key})"

    def label(self, index: int, task: TaskOutline) -> str:
        return f"{self.origin}: {self.record(index, task)}"

    def run(self, dry_run: bool) -> LoadResult:
        plan, conn, outlines = self.plan, self.conn, self.outlines
        self._check_unique()
        matched = self._match()
        # the key each plan key has in the database (a matched task keeps its key)
        if matched:
            keys = {t.key: (matched[t.key].key if t.key in matched else t.key) for t in outlines}
        else:
            keys = {t.key: t.key for t in outlines}
        ids = self._existing_ids(keys)
        self._check_references(keys, ids, renamed=bool(matched))
        agents = set(conn.execute(select(Agent.__table__.c.name)).scalars())
        write_agents(conn, plan, self.now, agents)
        new = [i for i, t in enumerate(outlines) if t.key not in matched]  # plan positions
        inserted, with_history, awaiting = self._insert(new, keys)
        ids.update(inserted)
        changed = self._update(matched, keys, ids)
        self._parents([outlines[i] for i in new], keys, ids)
        record_initial_requests(conn, [(ids[key], when) for key, when in awaiting])
        mark_plan_budget(conn, plan, [ids[keys[t.key]] for t in outlines], self.now)
        dep_added, dep_removed, dep_total = self._dependencies(matched, keys, ids)
        runs = lines = 0
        for index in with_history:
            task = plan.tasks[index]
            r, n = write_history(conn, task, ids[keys[task.key]], self.now, self.ctx.actor)
            runs, lines = runs + r, lines + n
        missing = self._missing(keys)
        result = LoadResult(
            tasks=len(outlines),
            dependencies=dep_total,
            runs=runs,
            log_lines=lines,
            added=len(new),
            changed=changed,
            unchanged=len(matched) - changed,
            dependencies_added=dep_added,
            dependencies_removed=dep_removed,
            missing=missing,
            dry_run=dry_run,
        )
        record_event(
            conn,
            self.ctx,
            EventKind.PLAN_IMPORTED,
            None,
            {
                "origin": self.origin,
                "name": plan.name,
                "tasks": len(outlines),
                "added": result.added,
                "changed": result.changed,
                "unchanged": result.unchanged,
            },
        )
        return result

    # -- validation -------------------------------------------------------------

    def _check_unique(self) -> None:
        agents: dict[str, int] = {}
        for index, agent in enumerate(self.plan.agents):
            if agent.name in agents:
                raise ValidationFailed(
                    f"{self.origin}: agents[{index}] ({agent.name}): name: "
                    f"duplicate of agents[{agents[agent.name]}]"
                )
            agents[agent.name] = index
        outlines = self.outlines
        # set sizes first: the walk below, which names the first problem, only on a failure
        keys = {t.key for t in outlines}
        idents = [(t.source, t.external_id) for t in outlines if t.source and t.external_id]
        # a name can repeat only in a list of two or more (the longest found at C speed)
        longest = max(
            max(map(len, map(_DEPENDS_ON, outlines)), default=0),
            max(map(len, map(_PARTICIPANTS, outlines)), default=0),
        )
        named_once = longest < 2 or all(
            len({key for key, _ in t.depends_on}) == len(t.depends_on)
            and len(set(t.participants)) == len(t.participants)
            for t in outlines
            if len(t.depends_on) > 1 or len(t.participants) > 1
        )
        if len(keys) == len(outlines) and len(set(idents)) == len(idents) and named_once:
            return
        self._name_first_duplicate()

    def _name_first_duplicate(self) -> None:
        seen: dict[str, int] = {}
        idents: dict[tuple[str, str], int] = {}
        for index, task in enumerate(self.outlines):
            if len(task.depends_on) > 1 or len(task.participants) > 1:
                self._check_named_once(index, task)
            if task.key in seen:
                raise ValidationFailed(
                    f"{self.label(index, task)}: key: duplicate of "
                    f"{self.record(seen[task.key], self.outlines[seen[task.key]])}"
                )
            seen[task.key] = index
            ident = _ident(task)
            if ident is not None:
                if ident in idents:
                    first = self.outlines[idents[ident]]
                    raise ValidationFailed(
                        f"{self.label(index, task)}: external_id: {ident[1]!r} appears twice "
                        f"(also {self.record(idents[ident], first)})"
                    )
                idents[ident] = index

    def _check_named_once(self, index: int, task: TaskOutline) -> None:
        for field, names in (
            ("depends_on", [key for key, _ in task.depends_on]),
            ("participants", list(task.participants)),
        ):
            twice = {n for n in names if names.count(n) > 1}
            if twice:
                raise ValidationFailed(
                    f"{self.label(index, task)}: {field}: {min(twice)} named twice"
                )

    def _match(self) -> dict[str, Any]:
        """Existing task rows the plan's tasks update, by plan key."""
        conn, outlines = self.conn, self.outlines
        sources = sorted({t.source for t in outlines if t.source and t.external_id})
        by_ident: dict[tuple[str, str], Any] = {}
        #: keys of the tasks of the plan's sources before the load (see `_missing`)
        self.source_keys: list[str] = []
        for source in sources:
            for row in conn.execute(select(Task.__table__).where(T.source == source)):
                self.source_keys.append(row.key)
                if row.external_id is not None:
                    by_ident[(row.source, row.external_id)] = row
        by_key: dict[str, Any] = {}
        # by key only the tasks their source and id did not match (a task matched so
        # is never looked up by key below): a re-import reads each row once
        if by_ident:
            plan_keys = {t.key for t in outlines if (i := _ident(t)) is None or i not in by_ident}
        else:
            plan_keys = {t.key for t in outlines}
        if len(plan_keys) > _SCAN_ABOVE:
            taken = {k for k in conn.execute(select(T.key)).scalars() if k in plan_keys}
        else:
            taken = plan_keys
        for part in chunks(sorted(taken), 900):
            for row in conn.execute(select(Task.__table__).where(T.key.in_(part))):
                by_key[row.key] = row
        self.sources = sources
        named = self._named()
        matched: dict[str, Any] = {}
        if not by_ident and not by_key and not named:  # nothing to match (a first import)
            return matched
        # a task is matched once: by its source and id first, then by the key named
        claimed = {by_ident[i].id for t in outlines if (i := _ident(t)) in by_ident}
        for index, task in enumerate(outlines):
            ident = _ident(task)
            found = by_ident.get(ident) if ident else None
            ours = self._named_row(named, task.key) if found is None else None
            if ours is not None and ours.id not in claimed:
                claimed.add(ours.id)
                self.adopted.add(task.key)
                found = ours
            if found is None:
                found = by_key.get(task.key)
                # One rule whatever the plan came from: a key only updates a task of
                # the same origin (an imported task only from its own source); the key
                # a source names as its record's (above) updates the task whoever owns it.
                owned = (
                    found is not None and found.source is not None and found.external_id is not None
                )
                if found is not None and (ident is not None or owned):
                    owner = f"imported from {found.source}" if found.source else "made here"
                    raise ValidationFailed(
                        f"{self.label(index, task)}: key: {task.key!r} is already used by a "
                        f"task {owner}; import with --prefix to keep both"
                    )
            if found is not None:
                matched[task.key] = found
        return matched

    def _named_row(self, named: dict[str, Any], plan_key: str) -> Any:
        return named_row(self.adopt.get(plan_key), named)

    def _named(self) -> dict[str, Any]:
        """The existing rows the plan's sources name as theirs (`adopt`), by key."""
        rows: dict[str, Any] = {}
        for part in chunks(sorted({named.key for named in self.adopt.values()}), 900):
            for row in self.conn.execute(select(Task.__table__).where(T.key.in_(part))):
                rows[row.key] = row
        return rows

    def _existing_ids(self, keys: dict[str, str]) -> dict[str, int]:
        """Database ids of every key the plan uses or refers to that exists."""
        outlines = self.outlines
        #: keys named by a dependency, and by a parent, that are not the plan's own
        self.deps_outside = {k for t in outlines for k, _ in t.depends_on}.difference(keys)
        self.parents_outside = {t.parent for t in outlines if t.parent}.difference(keys)
        return self._ids_of(set(keys.values()) | self.deps_outside | self.parents_outside)

    def _ids_of(self, keys: set[str] | list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        if len(keys) > _SCAN_ABOVE:  # one pass over the table beats many IN (...) lookups
            wanted = set(keys)
            rows = self.conn.execute(select(T.key, T.id)).all()
            return {key: id_ for key, id_ in rows if key in wanted}
        for part in chunks(sorted(keys), 900):
            ids.update(self.conn.execute(select(T.key, T.id).where(T.key.in_(part))).all())
        return ids

    def _check_references(self, keys: dict[str, str], ids: dict[str, int], renamed: bool) -> None:
        """Every reference names a task, and the links close no cycle nor the parents
        a loop; `renamed`: some plan keys stand for tasks with another key."""
        if self.deps_outside.difference(ids) or self.parents_outside.difference(ids):
            self._name_first_unknown(keys, ids)
        outlines = self.outlines
        if not self.deps_outside and blockers_come_first(
            [t.key for t in outlines],
            map(len, map(_DEPENDS_ON, outlines)),
            map(_FIRST, chain.from_iterable(map(_DEPENDS_ON, outlines))),
        ):  # each task waits only for tasks before it in the plan: no cycle to look for
            self._check_parent_loops(keys)
            return
        if renamed:
            graph: dict[str, list[str]] = {
                keys[t.key]: [keys.get(ref, ref) for ref, _ in t.depends_on] for t in self.outlines
            }
        else:
            graph = {t.key: [ref for ref, _ in t.depends_on] for t in self.outlines}
        if self.deps_outside:  # a cycle may run through tasks already in the database
            mine = {ids[k] for k in graph if k in ids}
            rows = self.conn.execute(
                select(Task.__table__.c.key.label("task"), D.depends_on_id).join(
                    TaskDependency.__table__, D.task_id == T.id
                )
            ).all()
            id_key = dict(self.conn.execute(select(T.id, T.key)).all())
            for row in rows:
                if ids.get(row.task) not in mine:
                    graph.setdefault(row.task, []).append(id_key[row.depends_on_id])
        cycle = find_cycle(graph)  # one walk of the graph; no order is needed here
        if cycle is not None:
            exc = CycleError([str(k) for k in cycle])
            back = {v: k for k, v in keys.items()}
            first = next(k for k in exc.cycle if k in back)
            index = next(i for i, t in enumerate(self.outlines) if t.key == back[first])
            exc.args = (
                f"{self.label(index, self.outlines[index])}: depends_on: "
                f"dependency cycle: {' -> '.join(exc.cycle)}",
            )
            raise exc
        self._check_parent_loops(keys)

    def _name_first_unknown(self, keys: dict[str, str], ids: dict[str, int]) -> None:
        for index, task in enumerate(self.outlines):
            for ref, _ in task.depends_on:
                if ref not in keys and ref not in ids:
                    raise ValidationFailed(
                        f"{self.label(index, task)}: depends_on: unknown task {ref!r}"
                    )
            if task.parent and task.parent not in keys and task.parent not in ids:
                raise ValidationFailed(
                    f"{self.label(index, task)}: parent: unknown task {task.parent!r}"
                )

    def _check_parent_loops(self, keys: dict[str, str]) -> None:
        parent = {keys[t.key]: keys.get(t.parent, t.parent) for t in self.outlines if t.parent}
        done: set[str] = set()
        for index, task in enumerate(self.outlines):
            if not task.parent:  # a loop only runs through tasks that have a parent
                continue
            chain: list[str] = []
            node: str | None = keys[task.key]
            while node is not None and node not in done:
                if node in chain:
                    loop = [*chain[chain.index(node) :], node]
                    raise ValidationFailed(
                        f"{self.label(index, task)}: parent: parents form a loop: "
                        + " -> ".join(loop)
                    )
                chain.append(node)
                node = parent.get(node)
            done.update(chain)

    # -- writing ----------------------------------------------------------------

    def _columns(self, tasks: Sequence[PlanTask], keys: list[str]) -> dict[str, list[Any]]:
        """The column values of `tasks` (stored under `keys`), column by column."""
        now = self.now
        columns = spec_columns(tasks, now)
        statuses = [t.status for t in tasks]
        given = [t.__pydantic_fields_set__ for t in tasks]  # `model_fields_set`, read directly
        created = [c or now for c in _resolved([t.created for t in tasks], now)]
        updated = [
            u or c for u, c in zip(_resolved([t.updated for t in tasks], now), created, strict=True)
        ]
        completed = [
            c if "completed" in g else (u if s is S.DONE else None)
            for c, g, u, s in zip(
                _resolved([t.completed for t in tasks], now), given, updated, statuses, strict=True
            )
        ]
        started = [
            b if "started" in g else (c if s in STARTED else None)
            for b, g, c, s in zip(
                _resolved([t.started for t in tasks], now), given, created, statuses, strict=True
            )
        ]
        columns.update(
            key=keys,
            created_at=created,
            updated_at=updated,
            deadline=_resolved([t.deadline for t in tasks], now),
            completed_at=completed,
            started_at=started,
            completion_summary=[t.completion_summary for t in tasks],
            attempts=[len(t.runs) for t in tasks],
        )
        return columns

    def _insert(
        self, new: list[int], keys: dict[str, str]
    ) -> tuple[dict[str, int], list[int], list[tuple[str, datetime]]]:
        """Insert the new tasks (by plan position), a batch of full tasks at a time:
        their database ids by key, the positions of those with a history, and the
        (key, last update) of those that start out awaiting approval."""
        total = len(new)
        # On SQLite the write lock is held (BEGIN IMMEDIATE): ids can be given, not read back.
        explicit = self.conn.dialect.name == "sqlite"
        next_id = (self.conn.execute(select(func.max(T.id))).scalar() or 0) + 1
        ids: dict[str, int] = {}
        with_history: list[int] = []
        awaiting: list[tuple[str, datetime]] = []
        tasks, outlines = self.plan.tasks, self.outlines
        for done, positions in enumerate(chunks(new, BATCH)):
            part = [tasks[i] for i in positions]
            with_history += [i for i, t in zip(positions, part, strict=True) if has_history(t)]
            stored = [keys[outlines[i].key] for i in positions]
            columns = self._columns(part, stored)
            if not _AWAITING.isdisjoint(columns["status"]):
                awaiting += [
                    (key, when)
                    for key, status, when in zip(
                        stored, columns["status"], columns["updated_at"], strict=True
                    )
                    if status in _AWAITING
                ]
            if explicit:
                given = list(range(next_id, next_id + len(part)))
                next_id += len(part)
                ids.update(zip(stored, given, strict=True))
                columns = {"id": given, **columns}
            insert_columns(self.conn, Task.__table__, columns)
            if self.progress:
                self.progress("tasks", min((done + 1) * BATCH, total), total)
        if not explicit:
            ids = self._ids_of([keys[outlines[i].key] for i in new])
        return ids, with_history, awaiting

    def _parents(self, new: list[TaskOutline], keys: dict[str, str], ids: dict[str, int]) -> None:
        rows = [
            {"b_id": ids[keys[t.key]], "b_parent": ids[keys.get(t.parent, t.parent)]}
            for t in new
            if t.parent
        ]
        if rows:
            self.conn.execute(
                update(Task.__table__)
                .where(T.id == bindparam("b_id"))
                .values(parent_id=bindparam("b_parent")),
                rows,
            )
        # the audit event of every new task, a batch at a time, its data serialised
        # from fragments (the text json.dumps gives)
        for part in chunks(new, BATCH):
            stored = [keys[t.key] for t in part]
            count = len(part)
            insert_columns(
                self.conn,
                Event.__table__,
                {
                    "created_at": [self.now] * count,
                    "actor": [self.ctx.actor] * count,
                    "kind": [EventKind.TASK_CREATED.value] * count,
                    "task_id": [ids[key] for key in stored],
                    "data": flat_document_column(
                        ("key", "title", "source"),
                        stored,
                        [t.title for t in part],
                        [t.source or "plan" for t in part],
                    ),
                },
                serialised=("data",),
            )

    def _update(self, matched: dict[str, Any], keys: dict[str, str], ids: dict[str, int]) -> int:
        diffs = []  # (whether the plan gives `updated`, the row, its changes)
        if not matched:
            return 0
        positions = [i for i, outline in enumerate(self.outlines) if outline.key in matched]
        for part in chunks(positions, BATCH):  # the plan's values a batch of tasks at a time
            tasks = [self.plan.tasks[i] for i in part]
            rows = [matched[self.outlines[i].key] for i in part]
            columns = self._columns(tasks, [row.key for row in rows])
            for n, (task, row) in enumerate(zip(tasks, rows, strict=True)):
                values = {name: column[n] for name, column in columns.items()}
                if task.key in self.adopted:  # it keeps its owner and its tags
                    for name in _OWNED:
                        values[name] = getattr(row, name)
                if changes := self._diff(row, task, values, keys, ids):
                    diffs.append(("updated" in task.model_fields_set, row, changes))
        self._move_statuses(diffs)
        noted = 0  # tasks whose only change is how the file names them
        for updated_given, row, changes in diffs:
            memos_only = _only_memos_differ(row, changes) or (  # a status move is a change
                set(changes) == {"extra"}
                and self.same_as_ours is not None
                and self.same_as_ours(row, "extra", changes)
            )
            changes.pop("status", None)
            if not changes:
                continue
            if memos_only:
                # Kept (the next export writes the file's ids again), but the task did
                # not change: no edit event, no new `updated_at`, not counted.
                self.conn.execute(
                    update(Task.__table__).where(T.id == row.id).values(extra=changes["extra"])
                )
                noted += 1
                continue
            if not updated_given:
                changes["updated_at"] = self.now
            self.conn.execute(
                update(Task.__table__)
                .where(T.id == row.id)
                .values(**changes, version=T.version + 1)
            )
            before = {k: plain_value(getattr(row, k)) for k in changes if k in _SHOWN}
            after = {k: plain_value(v) for k, v in changes.items() if k in _SHOWN}
            record_event(
                self.conn,
                self.ctx,
                EventKind.TASK_EDITED,
                row.id,
                {
                    "origin": self.origin,
                    "changed": sorted(k for k in changes if k not in ("updated_at",)),
                    "before": before,
                    "after": after,
                },
            )
        return len(diffs) - noted

    def _move_statuses(self, diffs: list[tuple[bool, Any, dict[str, Any]]]) -> None:
        """A status the plan changes moves through the state machine's planner as an
        import (never on a task a runner holds), with the events a change records."""
        moves = [
            plan_move(
                current_of(self.conn, row, with_blockers=False),
                Intent(S(changes["status"]), via=Via.IMPORT, origin=self.origin),
                self.now,
            )
            for _, row, changes in diffs
            if "status" in changes
        ]
        if moves:
            write_moves(self.conn, self.ctx, moves)

    def _diff(
        self,
        row: Any,
        task: PlanTask,
        values: dict[str, Any],
        keys: dict[str, str],
        ids: dict[str, int],
    ) -> dict[str, Any]:
        """Columns whose value the plan (`values`, the task's columns) sets and the
        row does not have."""
        given = task.model_fields_set
        changes: dict[str, Any] = {}
        for name in _SAME_NAME:
            if name in given and values[name] != getattr(row, name):
                changes[name] = values[name]
        for name, column in _TIMES.items():
            raw = getattr(task, name)
            if (
                name in given
                and not isinstance(raw, str)
                and values[column] != getattr(row, column)
            ):
                changes[column] = values[column]
        if "parent" in given:
            parent_id = ids[keys.get(task.parent, task.parent)] if task.parent else None
            if parent_id != row.parent_id:
                changes["parent_id"] = parent_id
        for name in [n for n in changes if n != "extra"]:
            if self.same_as_ours is not None and self.same_as_ours(row, name, values):
                del changes[name]  # the file's word for what the task already has
        return changes

    def _dependencies(
        self, matched: dict[str, Any], keys: dict[str, str], ids: dict[str, int]
    ) -> tuple[int, int, int]:
        """Make each plan task's dependencies equal to the plan's: (added, removed, total)."""
        want: dict[tuple[int, int], str] = {
            (ids[keys[task.key]], ids[keys.get(ref, ref)]): kind
            for task in self.outlines
            if task.depends_on
            for ref, kind in task.depends_on
        }
        have: dict[tuple[int, int], tuple[int, str]] = {}
        matched_ids = sorted(row.id for row in matched.values())
        links = select(D.id, D.task_id, D.depends_on_id, D.dep_type)
        if len(matched_ids) > _SCAN_ABOVE:  # one pass over the table beats many IN (...)
            mine = set(matched_ids)
            for link_id, task_id, blocker_id, kind in self.conn.execute(links):
                if task_id in mine:
                    have[(task_id, blocker_id)] = (link_id, kind)
        else:
            for part in chunks(matched_ids, 900):
                for link_id, task_id, blocker_id, kind in self.conn.execute(
                    links.where(D.task_id.in_(part))
                ):
                    have[(task_id, blocker_id)] = (link_id, kind)
        gone = [have[pair][0] for pair in have if pair not in want or want[pair] != have[pair][1]]
        for part in chunks(gone, 900):
            self.conn.execute(TaskDependency.__table__.delete().where(D.id.in_(part)))
        added = (
            [
                (pair, kind)
                for pair, kind in want.items()
                if pair not in have or have[pair][1] != kind
            ]
            if have
            else list(want.items())
        )
        for part in chunks(added, BATCH):
            insert_columns(
                self.conn,
                TaskDependency.__table__,
                {
                    "task_id": [t for (t, _), _ in part],
                    "depends_on_id": [d for (_, d), _ in part],
                    "dep_type": [kind for _, kind in part],
                    "created_at": [self.now] * len(part),
                },
            )
        matched_set = set(matched_ids)
        # a new task's links are part of its creation; a matched task's new ones are events
        relinked = [(t, d) for (t, d), _ in added if t in matched_set] if matched_set else []
        by_id = {v: k for k, v in ids.items()} if relinked else {}
        touched: dict[int, list[str]] = {}
        for t, d in relinked:
            touched.setdefault(t, []).append(by_id.get(d, str(d)))
        for task_id, blockers in touched.items():
            record_event(
                self.conn,
                self.ctx,
                EventKind.DEPENDENCY_ADDED,
                task_id,
                {"on": blockers, "origin": self.origin},
            )
        return len(added), len(gone), len(want)

    def _missing(self, keys: dict[str, str]) -> int:
        """Tasks of the plan's sources that the plan does not have (the load never
        changes their number, so those read before writing are counted)."""
        mine = set(keys.values())
        return sum(1 for key in self.source_keys if key not in mine)


#: Statuses a task may be loaded in whose approval request is recorded with it.
_AWAITING = frozenset(s.value for s in DECIDABLE)
_DEPENDS_ON = attrgetter("depends_on")
_FIRST = itemgetter(0)
_PARTICIPANTS = attrgetter("participants")


def _resolved(values: list[Any], now: datetime) -> list[datetime | None]:
    """`resolve_time` of each plan time (only relative ones need work)."""
    return [v if v is None or v.__class__ is datetime else resolve_time(v, now) for v in values]


def _ident(task: TaskOutline) -> tuple[str, str] | None:
    if task.source and task.external_id:
        return (task.source, task.external_id)
    return None


#: The source of the demo's tasks (`db seed` without --plan, `demo`).
DEMO_SOURCE = "demo"


def sample_plan_path() -> Path:
    from ..resources import resource_path

    return resource_path("sample_data", "demo_plan.yaml")
