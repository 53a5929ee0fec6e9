"""The reads agents make in a loop (`task next`, `task show`, `task list`) straight
from a SQLite file with the standard library: no SQLAlchemy, no tables module, and
no pydantic either (`PlainViews`; `PlainJsonViews` for JSON), so a command is answered
in little more than the time it takes to start Python.

Same answers as `services/queries.py` (a test compares them over a varied
database); the rules are rendered from `domain/rules.py` as SQLite text here,
as `services/rules.py` renders them for SQLAlchemy (that text is in `quick_sql`,
which the TUI's first page in `quick.py` reads with too).
Only a SQLite file at exactly the schema these statements were written for is
read here; anything else (a missing file, another version, another backend, an
unknown key, any SQLite error) gives up, and the real services decide.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ..domain import rules
from ..domain.enums import DependencyType, Readiness, RunStatus, TaskStatus
from .quick_sql import (
    NEXT_TASK_ARMS,
    ROW_SQL,
    SORT_SQL,
    SQLITE_DATETIME,
    connect_read_only,
    next_task_sql,
    readiness_sql,
    sqlite_file,
)
from .row_fields import (
    COMMAND_SHAPE,
    COMMAND_UNUSED,
    approval_fields,
    event_fields,
    list_row,
    note_fields,
    progress_fields,
    task_detail_fields,
)

if TYPE_CHECKING:
    from ..domain.models import ApprovalView, NoteView, ProgressView

#: The schema version these statements were written for. A test keeps it equal to
#: `schema.SCHEMA_VERSION`: when the schema moves, check the SQL below, then this.
READS_SCHEMA = 9

#: How long a read waits for a writer's lock (WAL readers rarely wait at all).
_TIMEOUT_SECONDS = 5.0


class GiveUp(Exception):
    """Not answerable here: the caller asks the real services instead."""


#: The declared column types `_stored` converts.
_CONVERTED = frozenset({"DATETIME", "JSON", "BOOLEAN"})


def _stored(value: Any, kind: str) -> Any:
    """A stored value as SQLAlchemy gives it back for the column's declared type."""
    if value is None:
        return None
    if kind == "DATETIME":
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if kind == "JSON":
        return json.loads(value)
    if kind == "BOOLEAN":
        return bool(value)
    return value


def _plain_command(stored: Any) -> SimpleNamespace | None:
    """A stored command's argument list, for printing; GiveUp when it is not one that
    `CommandSpec` would take unchanged (the models then decide)."""
    if stored is None:
        return None
    argv = stored.get("argv") if isinstance(stored, dict) else None
    if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
        raise GiveUp("command")
    if not argv[0].strip() or any(a != a.strip() for a in argv):
        raise GiveUp("command")  # the model refuses an empty program and strips spaces
    timeout = stored.get("timeout_seconds")
    agent = stored.get("agent")
    if not (timeout is None or _positive_number(timeout)):
        raise GiveUp("command")
    cwd = stored.get("cwd")
    if not (cwd is None or (isinstance(cwd, str) and cwd == cwd.strip())):
        raise GiveUp("command")  # as for argv: the model strips spaces
    plain_agent = _plain_part(
        agent, profile=str, model=str, args=list, budget=dict, definition=dict
    )
    if plain_agent is not None and plain_agent.budget is not None:
        plain_agent.budget = _plain_budget(plain_agent.budget)
    return SimpleNamespace(
        argv=argv,
        timeout_seconds=timeout,
        agent=plain_agent,
        workspace=_plain_part(stored.get("workspace"), repo=str, base=str),
        cwd=cwd,
    )


def _plain_budget(stored: dict[str, Any]) -> SimpleNamespace:
    """A stored budget's limits as `Budget` holds them; GiveUp for any other shape."""
    limits = {name: stored.get(name) for name in ("usd", "tokens", "seconds")}
    if set(stored) - set(limits) or not all(
        value is None or (_positive_number(value) and (name != "tokens" or type(value) is int))
        for name, value in limits.items()
    ):
        raise GiveUp("command")
    return SimpleNamespace(**limits)


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _plain_part(stored: Any, **kinds: type) -> SimpleNamespace | None:
    """The fields `task show` prints of a command's agent or workspace; GiveUp when
    one is not of the kind the model would give (the models then decide)."""
    if stored is None:
        return None
    if not isinstance(stored, dict):
        raise GiveUp("command")
    values = {name: stored.get(name) for name in kinds}
    if any(v is not None and not isinstance(v, kinds[n]) for n, v in values.items()):
        raise GiveUp("command")
    return SimpleNamespace(**values)


def _command_as_dumped(stored: Any) -> dict[str, Any] | None:
    """A stored command as `CommandSpec` writes it in JSON: the services store its
    dump, so one holding every key the model writes (`COMMAND_SHAPE`), in its order,
    is that dump already. GiveUp for anything else (an older or hand-written command,
    or one whose unused parts the model would leave out): the models then write it."""
    _plain_command(stored)  # a program the model takes unchanged
    if stored is None:
        return None
    written = [k for k in COMMAND_SHAPE[""] if k in stored or k not in COMMAND_UNUSED]
    if list(stored) != written:
        raise GiveUp("command")
    unused = {k: stored[k] for k in COMMAND_UNUSED if k in stored}
    if any(v in (None, [], {}) for v in unused.values()) or (
        "on_verify_fail" in unused and "verify" not in unused
    ):
        raise GiveUp("command")  # a part the model may leave out: it decides
    for path, keys in COMMAND_SHAPE.items():
        part: Any = stored
        for name in path.split(".") if path else ():  # the command's own keys are above
            part = part.get(name) if isinstance(part, dict) else None
        if path and part is not None and (not isinstance(part, dict) or tuple(part) != keys):
            raise GiveUp("command")
    return stored


class PlainViews:
    """The answers without pydantic: a list row as the plain `ListRow` the TUI's first
    page draws, the others as namespaces holding the fields of `row_fields` (the views'
    names, enums and datetimes): enough to print text."""

    dependency = SimpleNamespace
    task_row = staticmethod(list_row)

    @staticmethod
    def event(r: Any, key: str | None) -> SimpleNamespace:
        return SimpleNamespace(**event_fields(r, key))

    @staticmethod
    def task_detail(r: Any, parent: str | None, up: list[Any], down: list[Any]) -> SimpleNamespace:
        fields = task_detail_fields(r, parent, up, down)
        fields["command"] = _plain_command(fields["command"])
        return SimpleNamespace(**fields)

    @staticmethod
    def approval(r: Any, key: str) -> SimpleNamespace:
        return SimpleNamespace(**approval_fields(r, key))

    @staticmethod
    def progress(r: Any) -> SimpleNamespace:
        return SimpleNamespace(**progress_fields(r))

    @staticmethod
    def note(r: Any) -> SimpleNamespace:
        return SimpleNamespace(**note_fields(r))


class PlainJsonViews(PlainViews):
    """`PlainViews` whose task holds its command as its model writes it in JSON
    (`cli.common.to_jsonable` then writes a task as its view does)."""

    @staticmethod
    def task_detail(r: Any, parent: str | None, up: list[Any], down: list[Any]) -> SimpleNamespace:
        fields = task_detail_fields(r, parent, up, down)
        fields["command"] = _command_as_dumped(fields["command"])
        return SimpleNamespace(**fields)


class ModelViews:
    """The answers as the pydantic views `QueryService` gives (for JSON)."""

    def __init__(self) -> None:
        from ..domain.models import DependencyView
        from .row_views import (
            approval_view,
            event_view,
            note_view,
            progress_view,
            task_detail_of,
            task_row,
        )

        self.task_row, self.task_detail, self.event = task_row, task_detail_of, event_view
        self.approval, self.progress, self.note = approval_view, progress_view, note_view
        self.dependency = DependencyView


class QuickReads:
    """Read-only queries over one SQLite connection, answering as `QueryService`:
    with its pydantic views, or (`plain`) with `PlainViews` of the same fields
    (`PlainJsonViews` when they are to be written as JSON)."""

    def __init__(
        self, conn: sqlite3.Connection, plain: bool = False, for_json: bool = False
    ) -> None:
        self.conn = conn
        self.views: Any = (
            (PlainJsonViews() if for_json else PlainViews()) if plain else ModelViews()
        )
        self._types: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        self.conn.close()

    # -- plumbing -------------------------------------------------------------

    def _column_types(self, table: str) -> dict[str, str]:
        if table not in self._types:
            info = self.conn.execute("SELECT name, type FROM pragma_table_info(?)", (table,))
            self._types[table] = {name: kind.upper() for name, kind in info}
        return self._types[table]

    def _rows(self, sql: str, params: Iterable[Any] = (), table: str = "tasks") -> list[Any]:
        """Rows as objects with the columns as attributes, each value converted as
        the column of `table` with that name is declared."""
        types = self._column_types(table)
        cur = self.conn.execute(sql, tuple(params))
        names = [d[0] for d in cur.description]
        kinds = [types.get(n, "") for n in names]
        converted = [
            (name, i, kind)
            for i, (name, kind) in enumerate(zip(names, kinds, strict=True))
            if kind in _CONVERTED
        ]
        rows = []
        for row in cur:
            values = dict(zip(names, row, strict=True))
            for name, i, kind in converted:  # the others are stored as they are read
                values[name] = _stored(row[i], kind)
            rows.append(SimpleNamespace(**values))
        return rows

    def _task(self, key: str) -> Any:
        rows = self._rows("SELECT * FROM tasks WHERE key = ?", (key,))
        if not rows:
            raise GiveUp(key)  # the services say so, with the nearest keys
        return rows[0]

    def _links(self, task_id: int, upstream: bool) -> list[Any]:
        mine, theirs = ("task_id", "depends_on_id") if upstream else ("depends_on_id", "task_id")
        rows = self.conn.execute(
            "SELECT o.key, o.title, o.status, d.dep_type FROM task_dependencies AS d "
            f"JOIN tasks AS o ON o.id = d.{theirs} WHERE d.{mine} = ? ORDER BY o.id",
            (task_id,),
        )
        return [
            self.views.dependency(key=k, title=t, status=TaskStatus(s), type=DependencyType(d))
            for k, t, s, d in rows
        ]

    def _of_task(self, table: str, key: str, order: str = "id") -> list[Any]:
        task_id = self._task(key).id
        return self._rows(
            f"SELECT * FROM {table} WHERE task_id = ? ORDER BY {order}, id", (task_id,), table
        )

    # -- the queries ----------------------------------------------------------

    def get_task(self, key: str) -> Any:
        r = self._task(key)
        parent = None
        if r.parent_id is not None:
            found = self.conn.execute("SELECT key FROM tasks WHERE id = ?", (r.parent_id,))
            parent = next((k for (k,) in found), None)
        up, down = self._links(r.id, upstream=True), self._links(r.id, upstream=False)
        return self.views.task_detail(r, parent, up, down)

    def last_run_state(self, key: str) -> str | None:
        """As `QueryService.last_run_state`."""
        found = self.conn.execute(
            "SELECT id, status, cancel_requested, exit_code, error FROM runs "
            "WHERE task_id = ? ORDER BY id DESC LIMIT 1",
            (self._task(key).id,),
        ).fetchone()
        if found is None:
            return None
        run_id, status, cancel_requested, exit_code, error = found
        return rules.last_run_text(run_id, RunStatus(status), cancel_requested, exit_code, error)

    def timeline(self, key: str, limit: int = 500) -> list[Any]:
        """As `QueryService.timeline` (the newest `limit`, in the order written)."""
        task_id = self._task(key).id
        rows = self._rows(
            "SELECT * FROM events WHERE task_id = ? ORDER BY id DESC LIMIT ?",
            (task_id, limit),
            "events",
        )
        return [self.views.event(r, key) for r in reversed(rows)]

    def approvals_for(self, key: str) -> list[ApprovalView]:
        return [self.views.approval(r, key) for r in self._of_task("approvals", key)]

    def progress_for(self, key: str) -> list[ProgressView]:
        return [self.views.progress(r) for r in self._of_task("progress", key)]

    def notes_for(self, key: str) -> list[NoteView]:
        return [self.views.note(r) for r in self._of_task("notes", key, "author")]

    def context_for(self, key: str) -> str:
        task_id = self._task(key).id
        found = self.conn.execute(
            "SELECT yaml_text FROM task_context WHERE task_id = ?", (task_id,)
        )
        return next((text for (text,) in found), None) or ""

    def count_tasks(self) -> int:
        """`QueryService.count_tasks()` with no filter."""
        return int(self.conn.execute("SELECT count(*) FROM tasks").fetchone()[0])

    def next_ready(self, agent_type: str | None = None) -> Any:
        """`QueryService.next_ready`: the task MCP `next_task` names (`rules.NEXT_ORDER`)."""
        types = (agent_type,) if agent_type else rules.MACHINE_TYPES
        now = datetime.now(UTC).strftime(SQLITE_DATETIME)
        rows = self._rows(
            f"{ROW_SQL} WHERE t.id = ({next_task_sql(len(types))})",
            (now, *types) * NEXT_TASK_ARMS,
        )
        return self.views.task_row(rows[0]) if rows else None

    def list_tasks(
        self,
        text: str = "",
        statuses: Iterable[TaskStatus] = (),
        readiness: Iterable[Readiness] = (),
        assignee: str | None = None,
        sort: str = "id",
        descending: bool = False,
        limit: int | None = None,
    ) -> list[Any]:
        """`QueryService.list_tasks` with the `TaskFilter` of these fields."""
        order = SORT_SQL.get(sort)
        if order is None:
            raise GiveUp(sort)
        where: list[str] = []
        params: list[Any] = []
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            like = "LIKE lower(?) ESCAPE '\\'"
            where.append(f"(lower(t.key) {like} OR lower(t.title) {like})")
            params += [f"%{escaped}%"] * 2
        wanted = sorted(s.value for s in statuses)
        if wanted:
            where.append(f"t.status IN ({', '.join('?' for _ in wanted)})")
            params += wanted
        if assignee:
            where.append("t.assignee = ?")
            params.append(assignee)
        ready = list(readiness)
        if ready:
            where.append("(" + " OR ".join(readiness_sql(r) for r in ready) + ")")
        sql = ROW_SQL + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += f" ORDER BY {order}{' DESC' if descending else ''}, t.id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self.views.task_row(r) for r in self._rows(sql, params)]


def open_reads(db_url: str, plain: bool = False, for_json: bool = False) -> QuickReads | None:
    """Quick reads over the SQLite file `db_url` names, when it is one at
    `READS_SCHEMA`, answering with `PlainViews` if `plain` (`PlainJsonViews` if
    `for_json` too); None otherwise (never
    creates or changes a file)."""
    file = sqlite_file(db_url)
    if file is None:
        return None
    try:
        conn = connect_read_only(file, _TIMEOUT_SECONDS)
    except (sqlite3.Error, ValueError):
        return None
    try:
        found = conn.execute("SELECT value FROM schema_meta WHERE key = 'schema_version'")
        version = next((v for (v,) in found), None)
        if str(version).strip() != str(READS_SCHEMA):
            conn.close()
            return None
    except sqlite3.Error:
        conn.close()
        return None
    return QuickReads(conn, plain, for_json)
