"""Read-only queries: task lists, trees, timelines, runs and logs.

Nothing here writes; the TUI's refresh path calls only these.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Select, func, or_, select

from ..domain import rules as domain_rules
from ..domain.enums import (
    DependencyType,
    EventKind,
    LogStream,
    Readiness,
    RunStatus,
    TaskStatus,
)
from ..domain.graph import INDEX, longest_path_dense
from ..domain.models import (
    ApprovalView,
    DependencyView,
    EventView,
    FeedbackView,
    LogLineView,
    NoteView,
    ParticipantView,
    ProgressView,
    RunView,
    TaskDetail,
    TaskRow,
    TreeNode,
    WaitingApproval,
)
from ..domain.rules import MACHINE_TYPES
from ..store.row_views import approval_view, note_view, progress_view
from ..store.row_views import event_view as _event_view
from ..store.schema import GENERATION
from ..store.tables import (
    Approval,
    Event,
    Feedback,
    LogLine,
    Note,
    Participant,
    ProgressRecord,
    Run,
    Task,
    TaskContext,
    TaskDependency,
)
from .base import D, ServiceContext, T, find_task
from .rules import NEXT_ORDER, PRIORITY_RANK, STATUS_RANK, claimable, one_of, readiness_clause
from .views import OTHER, _links, row_select, run_view, task_detail, task_row

S = TaskStatus


#: A task with no estimate weighs this much, on the critical path and in progress.
UNESTIMATED_HOURS = 1.0
PATH_KEYS_PER_QUERY = 500  # ids in one `IN (...)` when reading the critical path's keys
E = Event.__table__.c
R = Run.__table__.c


SORTS: dict[str, Any] = {
    "id": T.id,
    "key": T.key_order,  # PAY-2 before PAY-10 (`domain.natural`), read from its index
    "title": func.lower(T.title),
    "status": STATUS_RANK,
    "priority": PRIORITY_RANK,
    "assignee": T.assignee,
    "progress": T.progress,
    "phase": T.phase,
    "updated": T.updated_at,
}


@dataclass(frozen=True)
class TaskFilter:
    """What the task list shows: text in key/title, statuses, readiness."""

    text: str = ""
    statuses: frozenset[TaskStatus] = field(default_factory=frozenset)
    readiness: frozenset[Readiness] = field(default_factory=frozenset)
    assignee: str | None = None

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        if self.text:
            escaped = self.text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            pattern = f"%{escaped}%"
            stmt = stmt.where(
                or_(T.key.ilike(pattern, escape="\\"), T.title.ilike(pattern, escape="\\"))
            )
        if self.statuses:
            stmt = stmt.where(T.status.in_([s.value for s in self.statuses]))
        if self.assignee:
            stmt = stmt.where(T.assignee == self.assignee)
        if self.readiness:
            stmt = stmt.where(or_(*[readiness_clause(r) for r in self.readiness]))
        return stmt


@dataclass(frozen=True)
class FeedChanges:
    """What moved in the change feed: the newest event id seen, the keys of the
    tasks the events touched (None: too many to list) and the events' kinds."""

    last_id: int
    keys: frozenset[str] | None
    kinds: frozenset[str]


class FeedMarks(NamedTuple):
    """Where the change feed stands: the database's generation (a new one after `db
    reset` or `db copy --replace`: reload everything, whatever the ids say), the
    newest event id and the newest stored log line id."""

    generation: str | None
    events: int
    lines: int


class QueryService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- tasks ----------------------------------------------------------------

    def list_tasks(
        self,
        flt: TaskFilter | None = None,
        sort: str = "id",
        descending: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[TaskRow]:
        order = SORTS.get(sort)
        if order is None:
            raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
        stmt = (flt or TaskFilter()).apply(row_select())
        stmt = stmt.order_by(order.desc() if descending else order, T.id)
        if limit is not None:
            stmt = stmt.limit(limit).offset(offset)
        with self.ctx.db.read() as conn:
            return [task_row(r) for r in conn.execute(stmt)]

    def position_of(
        self,
        key: str,
        flt: TaskFilter | None = None,
        sort: str = "id",
        descending: bool = False,
    ) -> int | None:
        """The 0-based index of `key` in `list_tasks(flt, sort, descending)`, or
        None when the filter hides it (keeps a paged view's cursor on a task)."""
        order = SORTS.get(sort)
        if order is None:
            raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
        rank = func.row_number().over(order_by=(order.desc() if descending else order, T.id))
        ranked = (flt or TaskFilter()).apply(select(T.key, rank.label("rank"))).subquery()
        stmt = select(ranked.c.rank).where(ranked.c.key == key)
        with self.ctx.db.read() as conn:
            found = conn.execute(stmt).scalar()
        return None if found is None else int(found) - 1

    def keys_starting_with(self, prefix: str, limit: int = 1) -> list[str]:
        """Task keys that start with `prefix`, ignoring case, in natural order."""
        escaped = prefix.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        stmt = (
            select(T.key)
            .where(T.key.ilike(f"{escaped}%", escape="\\"))
            .order_by(T.key_order, T.id)
            .limit(limit)
        )
        with self.ctx.db.read() as conn:
            return list(conn.execute(stmt).scalars())

    def resolve_key(self, text: str) -> str | None:
        """The key `text` names: itself if it exists, else the one key equal to it
        ignoring case (None when there is none, or more than one)."""
        with self.ctx.db.read() as conn:
            if conn.execute(select(T.key).where(T.key == text)).first() is not None:
                return text
            found = list(
                conn.execute(
                    select(T.key).where(func.lower(T.key) == text.lower()).limit(2)
                ).scalars()
            )
        return found[0] if len(found) == 1 else None

    def longest_key(self) -> int:
        """The length of the longest task key (keys are ASCII: one cell a letter), 0
        without tasks: the task list sets its key column from it, so that no filter
        moves the columns."""
        with self.ctx.db.read() as conn:
            return conn.execute(select(func.max(func.length(T.key)))).scalar() or 0

    def count_tasks(self, flt: TaskFilter | None = None) -> int:
        stmt = (flt or TaskFilter()).apply(select(func.count()).select_from(Task.__table__))
        with self.ctx.db.read() as conn:
            return conn.execute(stmt).scalar_one()

    def get_task(self, key: str) -> TaskDetail:
        with self.ctx.db.read() as conn:
            return task_detail(conn, find_task(conn, key))

    def next_ready(self, agent_type: str | None = None) -> TaskRow | None:
        """The task an agent of `agent_type` (any but a person, when None) would
        claim now, command or not: the one MCP `next_task` names (`rules.NEXT_ORDER`)."""
        types = (agent_type,) if agent_type else MACHINE_TYPES
        where = claimable(self.ctx.now(), types, need_command=False)
        stmt = row_select().where(where).order_by(*NEXT_ORDER).limit(1)
        with self.ctx.db.read() as conn:
            row = conn.execute(stmt).first()
            return task_row(row) if row else None

    def ready_keys(self) -> list[str]:
        stmt = (
            select(T.key)
            .where(readiness_clause(Readiness.READY))
            .order_by(PRIORITY_RANK.desc(), T.id)
        )
        with self.ctx.db.read() as conn:
            return list(conn.execute(stmt).scalars())

    def links(self, key: str, upstream: bool) -> list[DependencyView]:
        """Direct blockers (upstream) or direct dependents (downstream)."""
        with self.ctx.db.read() as conn:
            return _links(conn, find_task(conn, key).id, upstream)

    def tree(
        self,
        key: str,
        upstream: bool,
        max_nodes: int = 2000,
        critical: Iterable[str] | None = None,
    ) -> TreeNode:
        """The recursive upstream or downstream tree (depth first, at most
        `max_nodes` below the root), critical path marked. Pass `critical` (the
        keys of a critical path computed earlier) to skip recomputing it.

        Iterative, with each task's links fetched once and in batches, so a
        deep chain or a wide diamond of thousands of tasks stays cheap."""
        path = set(self.critical_path()[0] if critical is None else critical)
        with self.ctx.db.read() as conn:
            root = find_task(conn, key)
            links = _LinkCache(conn, upstream)
            # node: (key, title, status, type); children by index, parents first
            nodes: list[tuple[str, str, str, str]] = [
                (root.key, root.title, root.status, DependencyType.BLOCKS.value)
            ]
            children: list[list[int]] = [[]]
            budget = max_nodes
            on_path: set[int] = set()

            def frame(index: int, task_id: int) -> tuple[int, int, Any, bool]:
                expand = budget > 0 and task_id not in on_path
                if expand:
                    on_path.add(task_id)
                return (index, task_id, iter(links.get(task_id) if expand else ()), expand)

            stack = [frame(0, root.id)]
            while stack:
                index, task_id, pending, expanded = stack[-1]
                link = next(pending, None)
                if link is not None:
                    budget -= 1
                if link is None or budget < 0:
                    stack.pop()
                    if expanded:
                        on_path.discard(task_id)
                    continue
                child_id, *shown = link
                nodes.append(tuple(shown))
                children.append([])
                children[index].append(len(nodes) - 1)
                stack.append(frame(len(nodes) - 1, child_id))
        built: dict[int, TreeNode] = {}  # children come after their parent
        for index in range(len(nodes) - 1, -1, -1):
            k, title, status, typ = nodes[index]
            built[index] = TreeNode(
                key=k,
                title=title,
                status=TaskStatus(status),
                type=DependencyType(typ),
                on_critical_path=k in path,
                children=[built[c] for c in children[index]],
            )
        return built[0]

    def critical_path(self) -> tuple[list[str], float]:
        """Longest chain of unfinished work by estimated hours (unknown = 1h).

        Streamed as plain tuples (never a list of 200k rows) and solved on flat
        arrays indexed by task id, with no object per task: only the path's keys are
        read, at the end. At 100k tasks and 200k dependencies this is a fraction of
        a second and a few MB."""
        open_statuses = [s.value for s in S if s not in domain_rules.CLOSED]
        with self.ctx.db.read() as conn:
            size = (conn.execute(select(func.max(T.id))).scalar() or 0) + 1
            node = array(INDEX, [-1]) * size  # task id -> its index in `ids`, -1: closed
            ids = array(INDEX)
            weights = array("d")
            for task_id, hours in conn.execute(
                select(T.id, T.estimated_hours).where(T.status.in_(open_statuses))
            ):
                if task_id < size:
                    node[task_id] = len(ids)
                    ids.append(task_id)
                    weights.append(UNESTIMATED_HOURS if hours is None else hours)
            edges = conn.execute(
                select(D.task_id, D.depends_on_id).where(
                    one_of(D.dep_type, [t.value for t in domain_rules.GATING])
                )
            )
            pairs = (
                (node[t], node[b])
                for t, b in edges
                if t < size and b < size and node[t] >= 0 and node[b] >= 0
            )
            path, hours = longest_path_dense(weights, pairs)
            on_path = [ids[i] for i in path]
            keys: dict[int, str] = {}
            for at in range(0, len(on_path), PATH_KEYS_PER_QUERY):
                chunk = on_path[at : at + PATH_KEYS_PER_QUERY]
                rows = conn.execute(select(T.id, T.key).where(T.id.in_(chunk)))
                keys.update((task_id, key) for task_id, key in rows)
        return [keys[i] for i in on_path], hours

    # -- history ----------------------------------------------------------------

    def timeline(self, key: str, limit: int = 500) -> list[EventView]:
        """The task's events in the order they were written (dates can disagree
        between writers' clocks, and a plan dates the request of a task it loads
        awaiting approval by the plan, before the load). The newest `limit` of
        them, oldest first."""
        with self.ctx.db.read() as conn:
            row = find_task(conn, key)
            rows = conn.execute(
                select(Event.__table__)
                .where(E.task_id == row.id)
                .order_by(E.id.desc())
                .limit(limit)
            ).all()
            return [_event_view(r, key) for r in reversed(rows)]

    def recent_events(self, limit: int = 20) -> list[EventView]:
        with self.ctx.db.read() as conn:
            rows = conn.execute(
                select(Event.__table__, T.key.label("task_key"))
                .select_from(Event.__table__.outerjoin(Task.__table__, T.id == E.task_id))
                .order_by(E.id.desc())
                .limit(limit)
            ).all()
            return [_event_view(r, r.task_key) for r in rows]

    def last_event_id(self) -> int:
        """The change feed's high-water mark: poll it to notice other writers."""
        with self.ctx.db.read() as conn:
            return conn.execute(select(func.max(E.id))).scalar() or 0

    def feed_marks(self) -> FeedMarks:
        """The database's generation, the newest event id and the newest stored log
        line id, in one cheap read (one row, and the last entry of two primary keys):
        poll it to notice other writers, runners' output and resets included."""
        stmt = select(
            GENERATION,  # first: a reset on PostgreSQL locks it first (`schema.recreate`)
            select(func.max(E.id)).scalar_subquery(),
            select(func.max(LogLine.__table__.c.id)).scalar_subquery(),
        )
        with self.ctx.db.read() as conn:
            generation, events, lines = conn.execute(stmt).one()
        return FeedMarks(generation, events or 0, lines or 0)

    def changes_since(self, after_id: int, limit: int = 500) -> FeedChanges:
        """Which tasks the events after `after_id` touched, and their kinds; more
        than `limit` events give `keys=None` (too many: reload everything), and so does
        a feed that went back below `after_id` (its events emptied: `db reset`, `db copy
        --replace`)."""
        stmt = (
            select(E.id, E.kind, T.key)
            .select_from(Event.__table__.outerjoin(Task.__table__, T.id == E.task_id))
            .where(E.id > after_id)
            .order_by(E.id)
            .limit(limit + 1)
        )
        with self.ctx.db.read() as conn:
            rows = conn.execute(stmt).all()
            if len(rows) > limit:
                last = conn.execute(select(func.max(E.id))).scalar() or after_id
                return FeedChanges(last, None, frozenset(r.kind for r in rows))
            if not rows:
                newest = conn.execute(select(func.max(E.id))).scalar() or 0
                if newest < after_id:
                    return FeedChanges(newest, None, frozenset())
        last = rows[-1].id if rows else after_id
        keys = frozenset(r.key for r in rows if r.key is not None)
        return FeedChanges(last, keys, frozenset(r.kind for r in rows))

    def changed_rows(
        self, keys: frozenset[str], among: frozenset[str], flt: TaskFilter | None = None
    ) -> tuple[frozenset[str], list[TaskRow]]:
        """The rows of `among` that may have changed when `keys` did (the tasks
        themselves and the tasks waiting for them, whose readiness follows), and of
        those the ones `flt` still shows: (considered keys, rows)."""
        if not keys or not among:
            return frozenset(), []
        blocker = Task.__table__.alias("blocker")
        dependents = (
            select(T.key)
            .select_from(
                Task.__table__.join(TaskDependency.__table__, D.task_id == T.id).join(
                    blocker, blocker.c.id == D.depends_on_id
                )
            )
            .where(blocker.c.key.in_(sorted(keys)))
        )
        with self.ctx.db.read() as conn:
            related = set(keys) | set(conn.execute(dependents).scalars())
            considered = frozenset(related & among)
            if not considered:
                return considered, []
            stmt = (flt or TaskFilter()).apply(row_select()).where(T.key.in_(sorted(considered)))
            return considered, [task_row(r) for r in conn.execute(stmt)]

    # -- approvals, notes, context ------------------------------------------------

    def waiting_approvals(self) -> list[WaitingApproval]:
        """Every task awaiting approval (`rules.DECIDABLE`), oldest first."""
        since = (
            select(func.max(E.created_at))
            .where(E.task_id == T.id, E.kind == EventKind.APPROVAL_REQUESTED.value)
            .scalar_subquery()
        )
        submitter = (
            select(E.actor)
            .where(E.task_id == T.id, E.kind == EventKind.APPROVAL_REQUESTED.value)
            .order_by(E.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        last_agent = (
            select(R.agent).where(R.task_id == T.id).order_by(R.id.desc()).limit(1)
        ).scalar_subquery()
        stmt = select(
            T.key,
            T.title,
            T.assignee,
            T.updated_at,
            since.label("since"),
            last_agent.label("agent"),
            submitter.label("submitter"),
        ).where(one_of(T.status, [s.value for s in domain_rules.DECIDABLE]))
        with self.ctx.db.read() as conn:
            rows = conn.execute(stmt).all()
        items = [
            WaitingApproval(
                key=r.key,
                title=r.title,
                assignee=r.assignee,
                waiting_since=r.since or r.updated_at,
                last_run_actor=r.agent,
                submitted_by=r.submitter,
            )
            for r in rows
        ]
        return sorted(items, key=lambda w: (w.waiting_since, w.key))

    def _rows_of(self, table: Any, key: str, order: str = "id") -> tuple[list[Any], str]:
        """Every row of a per-task table for one task, and the task's key."""
        c = table.__table__.c
        with self.ctx.db.read() as conn:
            task = find_task(conn, key)
            rows = conn.execute(
                select(table.__table__).where(c.task_id == task.id).order_by(c[order], c.id)
            ).all()
        return list(rows), task.key

    def approvals_for(self, key: str) -> list[ApprovalView]:
        rows, key = self._rows_of(Approval, key)
        return [approval_view(r, key) for r in rows]

    def progress_for(self, key: str) -> list[ProgressView]:
        return [progress_view(r) for r in self._rows_of(ProgressRecord, key)[0]]

    def notes_for(self, key: str) -> list[NoteView]:
        return [note_view(r) for r in self._rows_of(Note, key, "author")[0]]

    def feedback_for(self, key: str) -> list[FeedbackView]:
        return [FeedbackView.model_validate(r._mapping) for r in self._rows_of(Feedback, key)[0]]

    def participants_for(self, key: str) -> list[ParticipantView]:
        rows = self._rows_of(Participant, key)[0]
        return [ParticipantView.model_validate(r._mapping) for r in rows]

    def context_for(self, key: str) -> str:
        C = TaskContext.__table__.c
        with self.ctx.db.read() as conn:
            row = find_task(conn, key)
            return conn.execute(select(C.yaml_text).where(C.task_id == row.id)).scalar() or ""

    def context_data(self, key: str) -> dict[str, Any]:
        from .collaboration import parse_context

        return parse_context(self.context_for(key))

    # -- runs and logs ------------------------------------------------------------

    def last_run_state(self, key: str) -> str | None:
        """The task's newest run, its state or how it ended (`rules.last_run_text`)."""
        with self.ctx.db.read() as conn:
            row = find_task(conn, key)
            run = conn.execute(
                select(R.id, R.status, R.cancel_requested, R.exit_code, R.error)
                .where(R.task_id == row.id)
                .order_by(R.id.desc())
                .limit(1)
            ).first()
        if run is None:
            return None
        return domain_rules.last_run_text(
            run.id, RunStatus(run.status), run.cancel_requested, run.exit_code, run.error
        )

    def runs_for(self, key: str) -> list[RunView]:
        return self._runs_of(key)

    def latest_run(self, key: str) -> RunView | None:
        """The task's newest run, or None when it has not run."""
        newest = self._runs_of(key, newest_only=True)
        return newest[0] if newest else None

    def _runs_of(self, key: str, newest_only: bool = False) -> list[RunView]:
        L = LogLine.__table__.c
        lines = (  # what a person reads: an agent's raw events are not counted
            select(func.count())
            .select_from(LogLine.__table__)
            .where(L.run_id == R.id, _raw_or_shown(False))
        ).scalar_subquery()
        with self.ctx.db.read() as conn:
            row = find_task(conn, key)
            rows = conn.execute(
                select(Run.__table__, lines.label("line_count"))
                .where(R.task_id == row.id)
                .order_by(R.id.desc() if newest_only else R.id)
                .limit(1 if newest_only else None)
            ).all()
        return [run_view(r, key, r.line_count) for r in rows]

    def log_lines(
        self, run_id: int, after_seq: int = -1, limit: int = 1000, raw: bool = False
    ) -> list[LogLineView]:
        """A page of a run's log lines with seq > after_seq, in order (an agent's
        raw events only with `raw`, and then only they)."""
        L = LogLine.__table__.c
        with self.ctx.db.read() as conn:
            rows = conn.execute(
                select(L.id, L.seq, L.stream, L.text, L.created_at)
                .where(L.run_id == run_id, L.seq > after_seq, _raw_or_shown(raw))
                .order_by(L.seq)
                .limit(limit)
            ).all()
        return _line_views(rows)

    def log_lines_before(
        self, run_id: int, before_seq: int | None = None, limit: int = 1000
    ) -> list[LogLineView]:
        """The last `limit` lines with seq < before_seq (the run's tail if None), in order."""
        L = LogLine.__table__.c
        stmt = select(L.id, L.seq, L.stream, L.text, L.created_at).where(
            L.run_id == run_id, _raw_or_shown(False)
        )
        if before_seq is not None:
            stmt = stmt.where(L.seq < before_seq)
        with self.ctx.db.read() as conn:
            rows = conn.execute(stmt.order_by(L.seq.desc()).limit(limit)).all()
        return _line_views(reversed(rows))

    def find_log_lines(
        self,
        run_id: int,
        text: str,
        *,
        after_seq: int | None = None,
        before_seq: int | None = None,
        backwards: bool = False,
        limit: int = 200,
    ) -> list[LogLineView]:
        """Lines that may show `text` once escapes and controls are removed, nearest first.

        Removing escape sequences and control characters only ever deletes
        characters (or turns tabs into spaces), so a line that shows `text`
        stores its non-blank characters in order: that is the test here,
        case-insensitively for ASCII. It lets through a few lines that do not
        show `text`; callers check candidates against what they display.
        """
        L = LogLine.__table__.c
        stmt = select(L.id, L.seq, L.stream, L.text, L.created_at).where(
            L.run_id == run_id,
            L.text.ilike(subsequence_pattern(text), escape="\\"),
            _raw_or_shown(False),
        )
        if after_seq is not None:
            stmt = stmt.where(L.seq > after_seq)
        if before_seq is not None:
            stmt = stmt.where(L.seq < before_seq)
        stmt = stmt.order_by(L.seq.desc() if backwards else L.seq).limit(limit)
        with self.ctx.db.read() as conn:
            return _line_views(conn.execute(stmt).all())

    def shown_lines_before(self, run_id: int, seq: int) -> int:
        """How many of a run's lines a person reads (raw events not counted) come before `seq`."""
        L = LogLine.__table__.c
        with self.ctx.db.read() as conn:
            return conn.execute(
                select(func.count())
                .select_from(LogLine.__table__)
                .where(L.run_id == run_id, L.seq < seq, _raw_or_shown(False))
            ).scalar_one()

    def log_line_count(self, run_id: int) -> int:
        L = LogLine.__table__.c
        with self.ctx.db.read() as conn:
            return conn.execute(
                select(func.count()).select_from(LogLine.__table__).where(L.run_id == run_id)
            ).scalar_one()


def _raw_or_shown(raw: bool) -> Any:
    """An agent's raw events, or every other line (what a person reads)."""
    L = LogLine.__table__.c
    return L.stream == LogStream.RAW.value if raw else L.stream != LogStream.RAW.value


def subsequence_pattern(text: str) -> str:
    """A LIKE pattern matching text that holds `text`'s non-blank characters in order.

    Non-ASCII characters become wildcards, as LIKE folds case for ASCII only.
    """
    parts = []
    for ch in text:
        if ch.isspace() or not ch.isascii():
            continue
        parts.append("\\" + ch if ch in "%_\\" else ch)
    return "%" + "%".join(parts) + "%" if parts else "%"


def _line_views(rows: Iterable[Any]) -> list[LogLineView]:
    return [
        LogLineView(
            id=r.id, seq=r.seq, stream=LogStream(r.stream), text=r.text, created_at=r.created_at
        )
        for r in rows
    ]


class _LinkCache:
    """Direct links per task, each task fetched once; a miss also fetches the
    other tasks discovered but not fetched yet, up to a batch."""

    BATCH = 500

    def __init__(self, conn: Any, upstream: bool) -> None:
        self.conn = conn
        self.mine, self.theirs = (
            (D.task_id, D.depends_on_id)
            if upstream
            else (
                D.depends_on_id,
                D.task_id,
            )
        )
        self.cache: dict[int, list[tuple[int, str, str, str, str]]] = {}
        self.wanted: dict[int, None] = {}

    def get(self, task_id: int) -> list[tuple[int, str, str, str, str]]:
        if task_id not in self.cache:
            self.wanted.pop(task_id, None)
            batch = [task_id, *list(self.wanted)[: self.BATCH - 1]]
            for queued in batch[1:]:
                del self.wanted[queued]
            for tid in batch:
                self.cache[tid] = []
            other = OTHER
            rows = self.conn.execute(
                select(
                    self.mine, other.c.id, other.c.key, other.c.title, other.c.status, D.dep_type
                )
                .select_from(TaskDependency.__table__.join(other, other.c.id == self.theirs))
                .where(self.mine.in_(batch))
                .order_by(self.mine, other.c.id)
            )
            for mine, *link in rows:
                self.cache[mine].append(tuple(link))
                if link[0] not in self.cache:
                    self.wanted[link[0]] = None
        return self.cache[task_id]
