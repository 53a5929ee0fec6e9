"""Errors a user can cause, each with the exit code the CLI returns for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class OrchestratorError(Exception):
    """Base for every error with a message meant for a person."""

    exit_code = 1


class UsageError(OrchestratorError):
    """The command was called wrongly: an argument missing that argparse cannot
    require by itself, such as the confirmation of a destructive command."""

    exit_code = 2


class NotFound(OrchestratorError):
    exit_code = 3


class InvalidTransition(OrchestratorError):
    exit_code = 4


class Conflict(OrchestratorError):
    """Someone else changed the row first (lost compare-and-set)."""

    exit_code = 4


class DependenciesUnfinished(InvalidTransition):
    def __init__(self, key: str, unfinished: list[str]) -> None:
        self.key = key
        self.unfinished = unfinished
        names = ", ".join(unfinished)
        super().__init__(
            f"{key} waits on unfinished dependencies: {names}; "
            "force the start with a reason to override"
        )


class CycleError(OrchestratorError):
    exit_code = 5

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle: " + " -> ".join(cycle))


class ValidationFailed(OrchestratorError):
    """Bad input: a malformed file, a missing field, a value out of range."""

    exit_code = 7


class PermissionDenied(OrchestratorError):
    """For example an actor approving work it ran itself."""

    exit_code = 4


class DatabaseUnavailable(OrchestratorError):
    """Locked by another process past the timeout, or unreachable."""

    exit_code = 6


class DatabaseLocked(DatabaseUnavailable):
    """Another process held the database past the busy timeout (it is there, and
    may be free again soon: a runner waits for it)."""


class SchemaTooNew(OrchestratorError):
    exit_code = 8


class TimedOut(OrchestratorError):
    """Waited as long as asked for, and what was awaited did not happen."""

    exit_code = 9


EXIT_CODES: dict[int, str] = {
    0: "success (an empty list too: `task runs` of a task that has not run)",
    1: "unexpected error",
    2: "usage error (bad arguments)",
    3: "not found (unknown task, run or agent), or nothing to show (`task logs` before a run)",
    4: "refused: invalid transition, lost race, or not permitted",
    5: "dependency cycle",
    6: "database locked or unreachable",
    7: "invalid input (malformed file or value)",
    8: "database schema is newer than this program",
    9: "timed out waiting (`task ask --timeout`: no answer yet; the question stays open)",
    10: "`run` stopped, but a task it ran failed for good or a run was lost "
    "(the database reset under it, too)",
}
#: The exit code of a `run` that stopped with a task failed for good or a run lost.
RUN_INCOMPLETE = 10


class DatabaseReset(OrchestratorError):
    """The database was emptied (`db reset`, `db copy --replace`) under a runner: the
    runs it was working on are gone, so it stops, writing nothing more for them."""

    exit_code = RUN_INCOMPLETE


class MergeFailed(InvalidTransition):
    """Approving would merge or push the task's branch, and that failed (e.g. a
    conflict); the task stays awaiting approval."""

    def __init__(self, message: str, conflicts: list[str] | None = None) -> None:
        self.conflicts = conflicts or []
        super().__init__(message)


class ReadStopped(Exception):
    """A read stopped from another thread (`store.stoppable.StopReads`) because its
    answer is no longer wanted: nothing went wrong and nothing is shown."""


def validation_message(error: Mapping[str, Any]) -> str:
    """One validation error's message (an item of pydantic's `errors()`): a rule of our
    own says its sentence as written, without the library's `Value error, `."""
    own = (error.get("ctx") or {}).get("error")
    if error.get("type") == "value_error" and isinstance(own, ValueError):
        return str(own)
    return str(error["msg"])
