"""What a task declares about its git workspace, and what a run changed there.

Pure data: the git work lives in `orchestrator_tui.workspaces`, the storage in
`services.workspaces`. A task's workspace options travel inside its command
(`CommandSpec.workspace`, `.verify`, `.on_verify_fail`), so every place that
already carries a command (claims, plan loads, task details) carries them too.
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class OnApprove(StrEnum):
    """What approving a task does with its branch."""

    NONE = "none"  # the branch stays for a person
    MERGE = "merge"  # into base: fast-forward when possible, else a merge commit
    PUSH = "push"  # push the branch to the remote


class OnVerifyFail(StrEnum):
    RETRY = "retry"  # another attempt (counted against max_retries), the output as feedback
    FAIL = "fail"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _argv_list(value: list[list[str]]) -> list[list[str]]:
    for argv in value:
        if not argv or not argv[0].strip():
            raise ValueError("each command is a non-empty argument list (no shell strings)")
    return value


class SetupSpec(_Input):
    """Steps run in a freshly made worktree, before the task's command."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, populate_by_name=True, serialize_by_alias=True
    )

    #: `copy:` glob patterns (relative to the repository) of untracked files, e.g. `.env`.
    copy_files: list[str] = Field(default_factory=list, alias="copy")
    #: Commands (argument lists) run in the worktree, e.g. `[npm, ci]`.
    run: list[list[str]] = Field(default_factory=list)

    _argv = field_validator("run")(_argv_list)

    @field_validator("copy_files")
    @classmethod
    def _relative(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if not pattern or pattern.startswith("/") or ".." in pattern.split("/"):
                raise ValueError(f"copy pattern {pattern!r} must stay inside the repository")
        return patterns


DEFAULT_BRANCH = "task/{key}"
#: The branch a task's worktree starts from when its workspace names none.
DEFAULT_BASE = "main"


class WorkspaceSpec(_Input):
    """`workspace:` of a task or plan: a worktree per task on its own branch."""

    repo: str = Field(min_length=1)
    base: str = Field(default=DEFAULT_BASE, min_length=1)
    #: Branch name; `{key}` is replaced by the task key (plain substitution).
    branch: str = Field(default=DEFAULT_BRANCH, min_length=1)
    #: Folder holding the worktrees (default: `<repo>.worktrees` beside the repository).
    root: str | None = None
    setup: SetupSpec = Field(default_factory=SetupSpec)
    keep: bool = False
    on_approve: OnApprove = OnApprove.NONE
    remote: str = "origin"
    #: Author of the commit made from what the agent left uncommitted: `Name <email>`.
    author: str | None = Field(default=None, pattern=r"^[^<>]+ <[^<>]+>$")

    def branch_for(self, key: str) -> str:
        return self.branch.replace("{key}", ref_safe(key))


_UNSAFE_REF = re.compile(r"[^A-Za-z0-9._/-]+")


def _tag(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:6]


def ref_safe(key: str) -> str:
    """A task key made usable in a branch name (`:` and `..` are not allowed in
    refs); a key that had to change gets a short hash of itself, so two keys
    never share a branch (`A:1` -> `A-1-3f2a9c`, while `A-1` stays `A-1`)."""
    name = _UNSAFE_REF.sub("-", key)
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r"/{2,}", "/", name).strip("/.")
    if name.endswith(".lock"):
        name = name[: -len(".lock")] + "-lock"
    if name != key:
        name = f"{name or 'task'}-{_tag(key)}"
    return name


def folder_name(key: str) -> str:
    """A task key as one folder name (distinct keys, distinct folders)."""
    name = ref_safe(key)
    return name if "/" not in name else f"{name.replace('/', '-')}-{_tag(key)}"


class FileChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    added: int
    removed: int
    binary: bool = False


class ChangeSummary(BaseModel):
    """What one run changed on its task's branch (without the diff text)."""

    model_config = ConfigDict(frozen=True)

    run_id: int
    task_key: str
    attempt: int
    repo: str
    base: str
    branch: str
    worktree: str
    base_commit: str
    head_commit: str
    committed: str | None  # the commit made from uncommitted leftovers, if any
    files: list[FileChange]
    added: int
    removed: int
    diff_bytes: int
    verify: list[dict[str, Any]]

    @property
    def no_changes(self) -> bool:
        return not self.files

    @property
    def commit_range(self) -> str:
        return f"{self.base_commit[:12]}..{self.head_commit[:12]}"

    def headline(self) -> str:
        """One line: which run, which branch, how much changed (plain text; the
        branch and base come from a plan file, so escapes are neutralised)."""
        from .text import printable

        head = (
            f"{self.task_key} run {self.run_id} (attempt {self.attempt}): "
            f"{printable(self.branch)} against {printable(self.base)}"
        )
        if self.no_changes:
            return f"{head}: no changes"
        n = len(self.files)
        return (
            f"{head}, {self.commit_range}: {n} file{'s' if n != 1 else ''}, "
            f"+{self.added} -{self.removed}"
        )

    def file_lines(self) -> list[str]:
        """`  +A -R  path` per file; paths with control characters shown escaped."""
        from .text import visible

        width = max((len(f"+{f.added}") for f in self.files), default=2)
        lines = []
        for f in self.files:
            counts = (
                "binary".ljust(width + 3)
                if f.binary
                else f"+{f.added}".rjust(width) + f" -{f.removed}"
            )
            lines.append(f"  {counts}  {visible(f.path)}")
        return lines
