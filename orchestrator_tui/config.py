"""Where the database and the agent profiles file live, and who is acting."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

DB_ENV = "ORCHESTRATOR_TUI_DB"
ACTOR_ENV = "ORCHESTRATOR_TUI_ACTOR"
#: Set by a runner for every command it runs: the task's key and the attempt number.
TASK_ENV = "ORCHESTRATOR_TUI_TASK"
ATTEMPT_ENV = "ORCHESTRATOR_TUI_ATTEMPT"
#: The task's git worktree, set when it runs in one (the command's working directory).
WORKSPACE_ENV = "ORCHESTRATOR_TUI_WORKSPACE"
#: Also set for every command: the attempt's execution id, and the runner's own mark
#: (what its watcher looks for in every process's environment when the runner dies).
EXECUTION_ENV = "ORCHESTRATOR_TUI_EXECUTION_ID"
RUNNER_MARK_ENV = "ORCHESTRATOR_TUI_RUNNER_MARK"
#: The notification hooks: a command (an argument list in shell syntax) and a webhook URL.
NOTIFY_CMD_ENV = "ORCHESTRATOR_TUI_NOTIFY_CMD"
WEBHOOK_ENV = "ORCHESTRATOR_TUI_WEBHOOK"
APP_NAME = "orchestrator-tui"
#: Names the user's agent profiles file (else agents.yaml in the config folder).
PROFILES_ENV = "ORCHESTRATOR_TUI_AGENTS"


def default_db_path() -> Path:
    from platformdirs import user_data_dir  # only here: --db and the variable skip it

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "orchestrator.db"


def resolve_db(db: str | None) -> str:
    """`--db`, else $ORCHESTRATOR_TUI_DB, else the file in the user data directory."""
    return db or os.environ.get(DB_ENV) or str(default_db_path())


def profiles_path() -> Path:
    """$ORCHESTRATOR_TUI_AGENTS (an existing file), else the one in the config folder."""
    from platformdirs import user_config_dir

    default = Path(user_config_dir(APP_NAME, appauthor=False)) / "agents.yaml"
    return file_named_by(PROFILES_ENV, default)


def resolve_actor(actor: str | None) -> str:
    """`--as`, else $ORCHESTRATOR_TUI_ACTOR, else the operating-system user (a blank
    name counts as none: the audit trail never records nobody)."""
    if actor and actor.strip():
        return actor.strip()
    if env := os.environ.get(ACTOR_ENV, "").strip():
        return env
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def file_named_by(variable: str, default: Path, written: bool = False) -> Path:
    """The file the environment `variable` names, else `default` (which may be
    missing: its reader says what that means). A variable naming a path that is not
    an existing file is bad configuration, refused in one line naming both (exit 7)
    before anything else happens: a typo never silently falls back to no file. A file
    the program `written` itself (the TUI's settings) may be missing, to be created
    in its folder, which must exist."""
    value = os.environ.get(variable)
    if not value:
        return default
    path = Path(value).expanduser()
    if path.is_file() or (written and not path.exists() and path.parent.is_dir()):
        return path
    # Only here: a watcher process loads this module, and nothing of the domain.
    from .domain.errors import ValidationFailed

    if path.exists():
        what = "which is not a file"
    elif written:
        what = f"whose folder {path.parent} does not exist"
    else:
        what = "which does not exist"
    raise ValidationFailed(f"${variable} names {path}, {what} (create it, or unset ${variable})")
