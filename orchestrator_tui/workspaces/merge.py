"""What approving a task does with its branch: nothing, merge into base, or push.

A merge fast-forwards when it can, else makes a merge commit. Conflicts are
found with `git merge --no-commit` and undone with `git merge --abort`, so a
conflicting merge changes nothing and names the files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from ..domain.workspace import OnApprove, WorkspaceSpec, folder_name
from .git import Git, WorkspaceError, repo_lock, top_level
from .worktree import checked_out_at, identity_env, layout

PUSH_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class MergeOutcome:
    ok: bool
    message: str
    conflicts: list[str] = field(default_factory=list)
    #: The commit base points at afterwards (merge), or None.
    commit: str | None = None


def merge_for_approval(spec: WorkspaceSpec, key: str) -> MergeOutcome:
    """Do what `spec.on_approve` says with the task's branch."""
    if spec.on_approve is OnApprove.NONE:
        return MergeOutcome(True, "the branch stays for a person")
    where = layout(spec, key)
    try:
        git = Git(top_level(where.repo))
        if git.rev(f"refs/heads/{where.branch}") is None:
            return MergeOutcome(False, f"branch {where.branch} does not exist in {where.repo}")
        if spec.on_approve is OnApprove.PUSH:
            # An approval holds the database's write lock meanwhile: keep it short.
            push = ("push", spec.remote, f"refs/heads/{where.branch}")
            res = git.run(*push, check=False, timeout=PUSH_TIMEOUT_SECONDS)
            if not res.ok:
                why = (res.err.strip().splitlines() or ["push failed"])[-1]
                return MergeOutcome(False, f"pushing {where.branch} to {spec.remote}: {why}")
            return MergeOutcome(True, f"pushed {where.branch} to {spec.remote}")
        with repo_lock(git):
            return _merge(git, spec, where.base, where.branch, key)
    except WorkspaceError as exc:
        return MergeOutcome(False, str(exc))


def _merge(git: Git, spec: WorkspaceSpec, base: str, branch: str, key: str) -> MergeOutcome:
    base_commit = git.rev(f"refs/heads/{base}")
    if base_commit is None:
        return MergeOutcome(False, f"base {base} does not exist")
    tip = git.out("rev-parse", f"refs/heads/{branch}")
    if git.is_ancestor(tip, base_commit):
        return MergeOutcome(True, f"{branch} is already in {base}", commit=base_commit)
    checkout = checked_out_at(git, base)
    if checkout is not None:
        return _merge_in(Git(checkout), spec, base, branch, key, fast_forward_to=tip)
    if git.is_ancestor(base_commit, tip):
        git.run("update-ref", f"refs/heads/{base}", tip, base_commit)
        return MergeOutcome(True, f"fast-forwarded {base} to {branch}", commit=tip)
    # base is not checked out anywhere: merge in a temporary detached worktree
    temp = layout(spec, key).path.parent / f".merge-{folder_name(key)}"
    if temp.exists():
        git.run("worktree", "remove", "--force", str(temp), check=False)
        shutil.rmtree(temp, ignore_errors=True)
    git.run("worktree", "prune")
    git.run("worktree", "add", "--detach", str(temp), base_commit)
    try:
        outcome = _merge_in(Git(temp), spec, base, branch, key, fast_forward_to=None)
        if outcome.ok and outcome.commit:
            git.run("update-ref", f"refs/heads/{base}", outcome.commit, base_commit)
        return outcome
    finally:
        git.run("worktree", "remove", "--force", str(temp), check=False)
        shutil.rmtree(temp, ignore_errors=True)
        git.run("worktree", "prune", check=False)


def _merge_in(
    here: Git, spec: WorkspaceSpec, base: str, branch: str, key: str, fast_forward_to: str | None
) -> MergeOutcome:
    """Merge `branch` into what is checked out in `here`."""
    dirty = here.lines("status", "--porcelain", "--untracked-files=no")
    if dirty:
        return MergeOutcome(
            False, f"{base} has uncommitted changes in {here.where}; commit or stash them first"
        )
    if fast_forward_to is not None and here.is_ancestor("HEAD", fast_forward_to):
        here.run("merge", "--ff-only", "-q", branch)
        return MergeOutcome(True, f"fast-forwarded {base} to {branch}", commit=fast_forward_to)
    env = identity_env(here, spec.author)
    merging = Git(here.where, env)
    res = merging.run("merge", "--no-ff", "--no-commit", "-q", branch, check=False)
    if not res.ok:
        conflicts = here.lines("diff", "--name-only", "--diff-filter=U")
        here.run("merge", "--abort", check=False)
        if conflicts:
            return MergeOutcome(
                False,
                f"merging {branch} into {base} conflicts in {', '.join(conflicts)}",
                conflicts,
            )
        why = (res.err.strip().splitlines() or [f"exit {res.code}"])[-1]
        return MergeOutcome(False, f"merging {branch} into {base} failed: {why}")
    merging.run("commit", "--no-verify", "-q", "-m", f"Merge {branch} ({key}) into {base}")
    return MergeOutcome(True, f"merged {branch} into {base}", commit=here.out("rev-parse", "HEAD"))
