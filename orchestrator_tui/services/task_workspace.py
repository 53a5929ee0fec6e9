"""The git worktree a task is given: the repository it is made from and the branch
it starts from, as `task add --workspace REPO --base BRANCH` and the TUI's
new-task form take them. Checks the file system (call it off the UI thread)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..domain.errors import UsageError, ValidationFailed
from ..workspaces.git import WorkspaceError, top_level


def workspace_over(
    current: dict[str, Any] | None,
    repo: str | None,
    base: str | None,
    names: tuple[str, str] = ("--workspace", "--base"),
) -> dict[str, Any] | None:
    """`current` (a command's `workspace`, or None) with the repository and base
    branch given laid over it; `names` are what errors call the two fields.
    Refused: a repository that is not a folder or not a git repository, a base
    branch without a repository."""
    repo_name, base_name = names
    data = dict(current) if current else None
    if repo is not None:
        data = {**(data or {}), "repo": repository_folder(repo, repo_name)}
    if base is not None:
        if not data:
            raise UsageError(f"{base_name} needs a {repo_name}")
        data = {**data, "base": base}
    return data


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
