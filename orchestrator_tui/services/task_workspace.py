"""The git worktree a task is given: the repository it is made from and the branch
it starts from, as `task add --workspace REPO --base BRANCH` and the TUI's
new-task form take them. Checks the file system (call it off the UI thread)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..domain.errors import UsageError, ValidationFailed
from ..domain.workspace import DEFAULT_BASE
from ..workspaces.git import Git, WorkspaceError, top_level
from ..workspaces.worktree import base_commit_of


def workspace_over(
    current: dict[str, Any] | None,
    repo: str | None,
    base: str | None,
    names: tuple[str, str] = ("--workspace", "--base"),
) -> dict[str, Any] | None:
    """`current` (a command's `workspace`, or None) with the repository and base
    branch given laid over it; `names` are what errors call the two fields.
    Refused: a repository that is not a folder or not a git repository, a base
    branch without a repository, a base branch (given, or the default one when a
    repository is) that does not exist in the repository."""
    repo_name, base_name = names
    data = dict(current) if current else None
    if repo is not None:
        data = {**(data or {}), "repo": repository_folder(repo, repo_name)}
    if base is not None:
        if not data:
            raise UsageError(f"{base_name} needs a {repo_name}")
        data = {**data, "base": base}
    if data and (repo is not None or base is not None):
        check_base(data["repo"], data.get("base", DEFAULT_BASE), base_name)
    return data


def check_base(repo: str, base: str, name: str = "--base") -> None:
    """Refuse (naming `name`) a base branch that does not exist in the repository
    `repo`, as the task's run would when it makes the worktree."""
    try:
        base_commit_of(Git(top_level(Path(repo))), base)
    except WorkspaceError as exc:
        raise ValidationFailed(f"{name}: {exc}") from None


def repository_folder(folder: str, name: str = "--workspace") -> str:
    """`folder` as an absolute path, refused (naming `name`) unless it is a folder
    inside a git repository."""
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise ValidationFailed(f"{name}: {folder} is not a folder")
    try:
        top_level(path)
    except WorkspaceError:
        raise ValidationFailed(f"{name}: {folder} is not a git repository") from None
    return str(path)
