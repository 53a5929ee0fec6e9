"""Errors a user can cause, each with the exit code the CLI returns for it."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Every exit code the CLI returns, by name (README "Exit codes", `--help`)."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    NOT_FOUND = 3
    REFUSED = 4
    CYCLE = 5
    DATABASE_UNAVAILABLE = 6
    INVALID_INPUT = 7
    SCHEMA_TOO_NEW = 8
    TIMED_OUT = 9
    RUN_INCOMPLETE = 10
    RUN_STOPPED_BY_PERSON = 11
    INTERRUPTED = 130


class OrchestratorError(Exception):
    """Base for every error with a message meant for a person."""

    exit_code: int = ExitCode.UNEXPECTED


class UsageError(OrchestratorError):
    """The command was called wrongly: an argument missing that argparse cannot
    require by itself, such as the confirmation of a destructive command."""

    exit_code = ExitCode.USAGE


class NotFound(OrchestratorError):
    exit_code = ExitCode.NOT_FOUND


class InvalidTransition(OrchestratorError):
    exit_code = ExitCode.REFUSED


class Conflict(OrchestratorError):
    """Someone else changed the row first (lost compare-and-set)."""

    exit_code = ExitCode.REFUSED


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
    exit_code = ExitCode.CYCLE

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle: " + " -> ".join(cycle))


class ValidationFailed(OrchestratorError):
    """Bad input: a malformed file, a missing field, a value out of range."""

    exit_code = ExitCode.INVALID_INPUT


class PermissionDenied(OrchestratorError):
    """For example an actor approving work it ran itself."""

    exit_code = ExitCode.REFUSED


class DatabaseUnavailable(OrchestratorError):
    """Locked by another process past the timeout, or unreachable."""

    exit_code = ExitCode.DATABASE_UNAVAILABLE


class DatabaseLocked(DatabaseUnavailable):
    """Another process held the database past the busy timeout (it is there, and
    may be free again soon: a runner waits for it)."""


class SchemaTooNew(OrchestratorError):
    exit_code = ExitCode.SCHEMA_TOO_NEW


class TimedOut(OrchestratorError):
    """Waited as long as asked for, and what was awaited did not happen."""

    exit_code = ExitCode.TIMED_OUT


#: What each exit code means, for `--help` (the README's table says it at length).
EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "success (an empty list too: `task runs` of a task that has not run)",
    ExitCode.UNEXPECTED: "unexpected error",
    ExitCode.USAGE: "usage error (bad arguments)",
    ExitCode.NOT_FOUND: "not found (unknown task, run or agent; `task logs --follow`: the "
    "database was reset under it), or nothing to show (`task logs` before a run)",
    ExitCode.REFUSED: "refused: invalid transition, lost race, or not permitted "
    "(`task cancel-run`: a process survived SIGKILL)",
    ExitCode.CYCLE: "dependency cycle",
    ExitCode.DATABASE_UNAVAILABLE: "database locked or unreachable",
    ExitCode.INVALID_INPUT: "invalid input (malformed file or value; "
    "`db validate`: the database has problems)",
    ExitCode.SCHEMA_TOO_NEW: "database schema is newer than this program",
    ExitCode.TIMED_OUT: "timed out waiting (`task ask --timeout`: no answer yet; "
    "the question stays open)",
    ExitCode.RUN_INCOMPLETE: "`run` stopped, but a task it ran failed for good or a run was "
    "lost (the database reset under it, too)",
    ExitCode.RUN_STOPPED_BY_PERSON: "`run` stopped, nothing failed or was lost, but a person "
    "stopped a run it ran (cancelled it, or moved its task)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


class DatabaseReset(OrchestratorError):
    """The database was emptied (`db reset`, `db copy --replace`) under a runner, a
    follower or a server: the rows it knew are gone (and their ids may name others),
    so it stops, or refuses the call, writing nothing for them."""

    exit_code = ExitCode.RUN_INCOMPLETE

    @classmethod
    def of(cls, where: str, when: str) -> DatabaseReset:
        """How every reader and writer says it: `the database WHERE was reset (emptied)
        WHEN` (`meanwhile`, `while following A's run 3: ...`)."""
        return cls(f"the database {where} was reset (emptied) {when}")


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
