"""A worktree per task: make or reuse it, run its setup, commit what a run left,
read what changed, and remove it.

Every step either finishes or leaves nothing behind: a worktree whose creation
or setup failed is removed again (with the branch, when this call made it).
Branches made here are marked in the repository's config
(`branch.<name>.orchestrator-task = KEY`), so a branch of the same name that
someone else made is never taken over.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.command_text import argv_text
from ..domain.words import counted
from ..domain.workspace import FileChange, WorkspaceSpec, folder_name
from .git import Git, WorkspaceError, repo_lock, top_level

Say = Callable[[str], None]

#: Stored diffs are cut at this size (the files list still counts every line).
MAX_DIFF_BYTES = 64 * 1024 * 1024
DEFAULT_IDENTITY = ("orchestrator-tui", "orchestrator-tui@localhost")
_MARK = "orchestrator-task"
_SETUP_DONE = "orchestrator-setup.json"


@dataclass(frozen=True)
class Layout:
    """Where a task's worktree lives and which branches it joins."""

    repo: Path
    base: str
    branch: str
    path: Path
    key: str


def layout(spec: WorkspaceSpec, key: str) -> Layout:
    """Paths and names only (no git call): usable before the worktree exists."""
    repo = Path(spec.repo).expanduser().resolve()
    if spec.root:
        root = Path(spec.root).expanduser().resolve()
    else:
        root = repo.parent / f"{repo.name}.worktrees"
    return Layout(repo, spec.base, spec.branch_for(key), root / folder_name(key), key)


@dataclass
class Prepared:
    layout: Layout
    created: bool
    base_commit: str
    copied: list[str] = field(default_factory=list)


def identity_env(git: Git, author: str | None) -> dict[str, str]:
    """Author (configurable) and a committer for repositories without user.email."""
    env: dict[str, str] = {}
    if author:
        name, _, email = author.partition(" <")
        env.update(GIT_AUTHOR_NAME=name.strip(), GIT_AUTHOR_EMAIL=email.rstrip(">").strip())
    if not git.run("config", "user.email", check=False).out.strip():
        name, email = DEFAULT_IDENTITY
        env.setdefault("GIT_AUTHOR_NAME", name)
        env.setdefault("GIT_AUTHOR_EMAIL", email)
        env.update(GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    return env


def _registered(git: Git, path: Path) -> dict[str, str] | None:
    for item in git.worktrees():
        if Path(item.get("worktree", "")).resolve() == path:
            return item
    return None


def checked_out_at(git: Git, branch: str) -> Path | None:
    for item in git.worktrees():
        if item.get("branch") == f"refs/heads/{branch}":
            return Path(item["worktree"])
    return None


def prepare(spec: WorkspaceSpec, key: str, say: Say | None = None) -> Prepared:
    """Make (or reuse) the task's worktree and run its setup; a WorkspaceError
    with a one-line reason when it cannot, leaving nothing half made."""
    say = say or (lambda _text: None)
    where = layout(spec, key)
    repo = top_level(where.repo)
    where = Layout(repo, where.base, where.branch, where.path, key)
    if where.path == repo or where.path.is_relative_to(repo):
        raise WorkspaceError(f"workspace root {where.path.parent} is inside the repository {repo}")
    git = Git(repo)
    with repo_lock(git):
        return _prepare(spec, key, where, git, say)


def _on(git: Git, missing: str) -> str:
    """Where the repository's checkout is, when that is another branch: the base one
    most likely meant (a repository whose first branch is `master`, not `main`)."""
    head = git.run("symbolic-ref", "--short", "-q", "HEAD", check=False).out.strip()
    return f" (its checkout is on {head!r})" if head and head != missing else ""


def base_commit_of(git: Git, base: str) -> str:
    """The commit `base` names in `git`'s repository (its top folder): a WorkspaceError
    saying it does not exist there when it names none. Checked when a task is given
    the base (`task add`, `task edit`, the task forms) and again when its run starts."""
    found = git.rev(base)
    if found is None:
        raise WorkspaceError(f"base {base!r} does not exist in {git.where}{_on(git, base)}")
    return found


def _prepare(spec: WorkspaceSpec, key: str, where: Layout, git: Git, say: Say) -> Prepared:
    repo = where.repo
    git.run("worktree", "prune")  # forget worktrees whose folders are gone (killed runners)
    base_at = base_commit_of(git, where.base)
    if not git.run("check-ref-format", "--branch", where.branch, check=False).ok:
        raise WorkspaceError(f"branch name {where.branch!r} is not a valid git branch name")
    existing = _registered(git, where.path)
    if existing is not None:
        on = existing.get("branch", "(detached)")
        if on != f"refs/heads/{where.branch}":
            raise WorkspaceError(
                f"{where.path} is a worktree on {on.removeprefix('refs/heads/')}, "
                f"not {where.branch}; remove it with `git worktree remove`"
            )
        if _owner(git, where.branch) != key:
            raise WorkspaceError(f"{where.path} is not the worktree of {key}; move it away")
        say(f"workspace: reusing {where.path} on {where.branch}")
        _clear_stale_lock(Git(where.path))
        prepared = Prepared(where, False, base_at)
        if _setup_record(where.path) is None:
            _setup_or_undo(spec, prepared, git, made_branch=False, say=say)
        else:
            prepared.copied = _setup_record(where.path) or []
        return prepared
    _check_base_clean(git, where.base)
    if where.path.exists() and any(where.path.iterdir()):
        raise WorkspaceError(
            f"{where.path} exists and is not a worktree of {repo}; move it away or set `root:`"
        )
    owner = _owner(git, where.branch)
    branch_exists = git.rev(f"refs/heads/{where.branch}") is not None
    if branch_exists and owner != key:
        raise WorkspaceError(
            f"branch {where.branch} already exists in {repo} and was not made for {key}; "
            "delete it or choose another `branch:`"
        )
    if branch_exists:
        elsewhere = checked_out_at(git, where.branch)
        if elsewhere is not None:
            raise WorkspaceError(f"branch {where.branch} is checked out at {elsewhere}")
    where.path.parent.mkdir(parents=True, exist_ok=True)
    made_branch = not branch_exists
    try:
        if made_branch:
            git.run("worktree", "add", "-b", where.branch, str(where.path), where.base)
            git.run("config", f"branch.{where.branch}.{_MARK}", key)
        else:
            git.run("worktree", "add", str(where.path), where.branch)
    except WorkspaceError:
        _undo(git, where, made_branch)
        raise
    say(f"workspace: {where.path} on new branch {where.branch} from {where.base}")
    prepared = Prepared(where, True, base_at)
    _setup_or_undo(spec, prepared, git, made_branch, say)
    return prepared


def _owner(git: Git, branch: str) -> str:
    """The task key a branch was made for here ("" when it was not made here)."""
    return git.run("config", "--get", f"branch.{branch}.{_MARK}", check=False).out.strip()


def _check_base_clean(git: Git, base: str) -> None:
    checkout = checked_out_at(git, base)
    if checkout is None or not checkout.exists():
        return
    dirty = Git(checkout).lines("status", "--porcelain", "--untracked-files=no")
    if dirty:
        raise WorkspaceError(
            f"base {base} has uncommitted changes in {checkout} "
            f"({counted(len(dirty), 'file')}); commit or stash them first"
        )


def _clear_stale_lock(git: Git) -> None:
    """A killed run may leave `index.lock` behind; nothing else can hold it now
    (the task's lease is ours)."""
    gitdir = Path(git.out("rev-parse", "--absolute-git-dir"))
    (gitdir / "index.lock").unlink(missing_ok=True)


def _setup_file(path: Path) -> Path:
    return Path(Git(path).out("rev-parse", "--absolute-git-dir")) / _SETUP_DONE


def _setup_record(path: Path) -> list[str] | None:
    """Files the finished setup copied, or None when setup never finished."""
    marker = _setup_file(path)
    if not marker.exists():
        return None
    return list(json.loads(marker.read_text(encoding="utf-8")).get("copied", []))


def _setup_or_undo(
    spec: WorkspaceSpec, prepared: Prepared, git: Git, made_branch: bool, say: Say
) -> None:
    try:
        prepared.copied = run_setup(spec, prepared.layout, say)
    except BaseException:
        _undo(git, prepared.layout, made_branch)
        raise


def run_setup(spec: WorkspaceSpec, where: Layout, say: Say) -> list[str]:
    """Copy untracked files by pattern, then run the setup commands; the copied paths."""
    import subprocess

    copied: list[str] = []
    for pattern in spec.setup.copy_files:
        matches = [p for p in sorted(where.repo.glob(pattern)) if p.is_file()]
        matches = [p for p in matches if ".git" not in p.relative_to(where.repo).parts]
        if not matches:
            say(f"setup: nothing matches {pattern!r}")
        for source in matches:
            relative = source.relative_to(where.repo)
            target = where.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(relative.as_posix())
            say(f"setup: copied {relative.as_posix()}")
    for argv in spec.setup.run:
        say(f"setup: {argv_text(argv)}")
        try:
            proc = subprocess.run(
                argv,
                cwd=where.path,
                capture_output=True,
                text=True,
                errors="replace",
                stdin=subprocess.DEVNULL,
                timeout=3600,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise WorkspaceError(f"setup step `{argv_text(argv)}` could not run: {exc}") from None
        for line in (proc.stdout + proc.stderr).splitlines():
            say(line)
        if proc.returncode != 0:
            raise WorkspaceError(f"setup step `{argv_text(argv)}` failed (exit {proc.returncode})")
    _setup_file(where.path).write_text(json.dumps({"copied": copied}), encoding="utf-8")
    return copied


def _undo(git: Git, where: Layout, made_branch: bool) -> None:
    """Remove what a failed prepare made."""
    if _registered(git, where.path) is not None:
        git.run("worktree", "remove", "--force", str(where.path), check=False)
    if where.path.exists():
        shutil.rmtree(where.path, ignore_errors=True)
    git.run("worktree", "prune", check=False)
    if made_branch:
        git.run("branch", "-D", where.branch, check=False)
        git.run("config", "--unset", f"branch.{where.branch}.{_MARK}", check=False)


def remove(spec: WorkspaceSpec, key: str) -> bool:
    """Remove the task's worktree (its branch stays); True when there was one."""
    where = layout(spec, key)
    if not where.repo.is_dir():
        return False
    git = Git(top_level(where.repo))
    with repo_lock(git):
        found = _registered(git, where.path) is not None
        if found:
            git.run("worktree", "remove", "--force", str(where.path))
        git.run("worktree", "prune", check=False)
    return found


# -- after a run ------------------------------------------------------------------


@dataclass(frozen=True)
class Captured:
    """What a run changed on its branch, relative to base."""

    base_commit: str
    head_commit: str
    committed: str | None
    files: list[FileChange]
    diff: str
    diff_bytes: int


def commit_leftovers(
    where: Layout, attempt: int, author: str | None, exclude: list[str]
) -> str | None:
    """Commit whatever the run left uncommitted; the new commit, or None."""
    git = Git(where.path)
    _clear_stale_lock(git)
    # Ignored files are never added anyway, and naming them makes `git add` fail.
    exclude = [p for p in exclude if not git.run("check-ignore", "-q", "--", p, check=False).ok]
    git.run("add", "-A", "--", ".", *[f":(exclude,literal){p}" for p in exclude])
    if git.run("diff", "--cached", "--quiet", check=False).ok:
        return None
    message = f"{where.key}: attempt {attempt}\n\nWork left uncommitted by run attempt {attempt}."
    Git(where.path, identity_env(git, author)).run("commit", "--no-verify", "-q", "-m", message)
    return git.out("rev-parse", "HEAD")


def capture(where: Layout, attempt: int, author: str | None, exclude: list[str]) -> Captured:
    """Commit leftovers, then read the files changed and the diff against base."""
    committed = commit_leftovers(where, attempt, author, exclude)
    git = Git(where.path)
    head = git.out("rev-parse", "HEAD")
    base_commit = git.out("merge-base", where.base, head)
    span = f"{where.base}...{head}"
    files = parse_numstat(git.raw("diff", "--numstat", "-z", "--no-renames", span))
    raw = git.raw("diff", "--no-color", "--no-ext-diff", "--no-renames", span)
    text = raw[:MAX_DIFF_BYTES].decode("utf-8", "replace")
    if len(raw) > MAX_DIFF_BYTES:
        text += f"\n[diff cut at {MAX_DIFF_BYTES} of {len(raw)} bytes]\n"
    return Captured(base_commit, head, committed, files, text, len(raw))


def parse_numstat(raw: bytes) -> list[FileChange]:
    """`git diff --numstat -z` (without renames): `ADDED\\tREMOVED\\tPATH\\0` each."""
    files = []
    for record in raw.split(b"\0"):
        if not record:
            continue
        added, removed, path = record.split(b"\t", 2)
        binary = added == b"-"
        files.append(
            FileChange(
                path=path.decode("utf-8", "replace"),
                added=0 if binary else int(added),
                removed=0 if binary else int(removed),
                binary=binary,
            )
        )
    return files
