"""`import PATH --watch`: import again whenever the file or folder changes, so
a team can keep editing its task-master file or Backlog.md folder while the
TUI shows the plan.

Each round reads the source whole and loads it like any import (all or
nothing; a source that fails to read, say half-saved, is reported and the
next change is waited for). Between rounds a task's status can change here
(a person, a runner) and in the file. A change made only here is kept (the
file has nothing newer to say about that task). A change on both sides is a
conflict, reported with the task, and the newer side wins: the time of the
change here (the task's `updated_at`) against the file's modification time
(for a Backlog.md task its own file, else the source).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from ...domain.enums import TaskStatus
from ...domain.errors import OrchestratorError
from ...domain.event_text import words
from ...store.tables import Task
from ..plans import named_row
from . import ImportReport, load_import, read_import
from .backlog import RESERVED as BACKLOG_FILE
from .common import ParsedImport
from .source import Source

if TYPE_CHECKING:
    from .. import Orchestrator


@dataclass(frozen=True)
class Conflict:
    key: str
    here: str
    file: str
    #: "here" or "file": the side whose status the task now has
    winner: str

    def message(self) -> str:
        kept = (
            "the change here is newer and stays"
            if self.winner == "here"
            else ("the file is newer and wins")
        )
        here, file = words(self.here), words(self.file)
        return f"{self.key}: status changed here to {here} and in the file to {file}; {kept}"


@dataclass
class WatchRound:
    number: int
    report: ImportReport | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    error: str | None = None


def _file_time(parsed: ParsedImport, key: str) -> datetime:
    origin = Path(parsed.origin)
    task = next((t for t in parsed.plan.tasks if t.key == key), None)
    mine = (task.extra or {}).get(BACKLOG_FILE) if task is not None else None
    path = origin / mine["file"] if isinstance(mine, dict) and mine.get("file") else origin
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError:
        return datetime.now(UTC)


def settle_conflicts(
    orch: Orchestrator, parsed: ParsedImport, last: dict[str, str]
) -> list[Conflict]:
    """Keep status changes made here since the last round (`last`: the file's
    statuses then): a task whose status changed only here keeps it; one
    changed both here and in the file is a conflict, and the newer side wins
    (where the change here is newer, the plan carries our status instead).
    A record naming one of our tasks (`parsed.adopt`) is that task's, when the
    load takes it for that task (`plans.named_row`)."""
    ours = parsed.adopt
    asked = {t.key for t in parsed.plan.tasks if t.key in last}
    asked |= {ours[k].key for k in asked if k in ours}
    if not asked:
        return []
    t = Task.__table__
    with orch.db.read() as conn:
        rows = {
            r.key: r
            for r in conn.execute(
                select(t.c.key, t.c.status, t.c.updated_at, t.c.source).where(
                    t.c.key.in_(sorted(asked))
                )
            )
        }
    here = {key: (r.status, r.updated_at) for key, r in rows.items()}
    conflicts = []
    tasks = []
    for task in parsed.plan.tasks:
        named = named_row(ours.get(task.key), rows)  # as the load will match it
        key = task.key if named is None else named.key
        was, now = last.get(task.key), here.get(key)
        theirs = task.status.value
        if was is None or now is None or now[0] == was or theirs == now[0]:
            tasks.append(task)
            continue
        if theirs == was:  # changed here only: the file has nothing newer to say
            tasks.append(task.model_copy(update={"status": TaskStatus(now[0])}))
            continue
        changed_here = now[1] if now[1].tzinfo else now[1].replace(tzinfo=UTC)
        if changed_here > _file_time(parsed, task.key):
            conflicts.append(Conflict(key, now[0], theirs, "here"))
            task = task.model_copy(update={"status": TaskStatus(now[0])})
        else:
            conflicts.append(Conflict(key, now[0], theirs, "file"))
        tasks.append(task)
    parsed.plan = parsed.plan.model_copy(update={"tasks": tasks})
    return conflicts


def watch_import(
    orch: Orchestrator,
    path: Path | str,
    on_round: Callable[[WatchRound], None],
    *,
    fmt: str | None = None,
    strict: bool = False,
    prefix: str | None = None,
    interval: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Import `path`, then again after each change, until `should_stop()`;
    returns the number of rounds run."""
    watched = str(path)
    seen: str | None = None
    last: dict[str, str] = {}
    rounds = 0
    while not should_stop():
        try:
            current = Source(watched).fingerprint()  # a new Source: it caches what it read
        except (OrchestratorError, OSError):
            current = None
        if current is not None and current != seen:
            rounds += 1
            result = WatchRound(rounds)
            try:
                parsed = read_import(path, fmt, strict=strict, prefix=prefix, fingerprint=True)
                as_read = {t.key: t.status.value for t in parsed.plan.tasks}
                result.conflicts = settle_conflicts(orch, parsed, last)
                result.report = load_import(orch, parsed)
                last = as_read
                watched = parsed.origin
                seen = parsed.fingerprint
            except OrchestratorError as exc:
                result.error = str(exc)
                seen = current
            on_round(result)
        sleep(interval)
    return rounds
