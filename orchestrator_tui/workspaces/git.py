"""A thin typed wrapper over the `git` program: argument lists only, never a shell."""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import ExitCode, OrchestratorError

#: Environment for every git call: no pager, no prompts, no editor, stable output.
_QUIET = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": "true",
    "GIT_MERGE_AUTOEDIT": "no",
    "LC_ALL": "C",
}


class WorkspaceError(OrchestratorError):
    """A git workspace could not be made, read or merged; the message says why."""

    exit_code = ExitCode.INVALID_INPUT


@dataclass(frozen=True)
class GitResult:
    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.code == 0


class Git:
    """git commands in one directory (a repository or one of its worktrees)."""

    def __init__(self, where: Path | str, env: Mapping[str, str] | None = None) -> None:
        self.where = Path(where)
        self.env = {**os.environ, **_QUIET, **(env or {})}

    def run(self, *args: str, check: bool = True, timeout: float = 300) -> GitResult:
        argv = ["git", "-c", "core.quotepath=on", *args]
        try:
            proc = subprocess.run(
                argv,
                cwd=self.where,
                env=self.env,
                capture_output=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError as exc:
            raise WorkspaceError(f"cannot run git in {self.where}: {exc.strerror}") from None
        except subprocess.TimeoutExpired:
            raise WorkspaceError(f"git {args[0]} in {self.where} took over {timeout:g}s") from None
        result = GitResult(
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
        )
        if check and not result.ok:
            raise WorkspaceError(
                f"git {' '.join(args[:2])} failed in {self.where}: {_first(result)}"
            )
        return result

    def out(self, *args: str) -> str:
        return self.run(*args).out.strip()

    def lines(self, *args: str) -> list[str]:
        return [line for line in self.run(*args).out.splitlines() if line]

    def raw(self, *args: str) -> bytes:
        """Standard output as bytes (for diffs, which may be huge or not UTF-8)."""
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=on", *args],
            cwd=self.where,
            env=self.env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise WorkspaceError(
                f"git {args[0]} failed in {self.where}: {err[-1] if err else proc.returncode}"
            )
        return proc.stdout

    def rev(self, ref: str) -> str | None:
        """The commit a ref names, or None when there is none."""
        res = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return res.out.strip() if res.ok else None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.run("merge-base", "--is-ancestor", older, newer, check=False).ok

    def worktrees(self) -> list[dict[str, str]]:
        """`git worktree list --porcelain`, one dict per worktree."""
        items: list[dict[str, str]] = []
        current: dict[str, str] = {}
        for line in self.run("worktree", "list", "--porcelain").out.splitlines():
            if not line:
                if current:
                    items.append(current)
                current = {}
                continue
            name, _, value = line.partition(" ")
            current[name] = value
        if current:
            items.append(current)
        return items


def _first(result: GitResult) -> str:
    lines = [line for line in (result.err or result.out).splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (fatal or lines or [f"exit code {result.code}"])[0]


def top_level(path: Path) -> Path:
    """The repository's top folder, or a WorkspaceError when `path` is not in one."""
    if not path.is_dir():
        raise WorkspaceError(f"workspace repo {path} does not exist")
    res = Git(path).run("rev-parse", "--show-toplevel", check=False)
    if not res.ok:
        raise WorkspaceError(f"workspace repo {path} is not a git repository")
    return Path(res.out.strip())


_held = threading.local()


@contextmanager
def repo_lock(git: Git) -> Iterator[None]:
    """Hold the repository's lock while changing what its worktrees share (its
    config, branches, the worktree list): parallel tasks (threads or runner
    processes) would otherwise fail on git's own `config.lock` and friends.
    Re-entrant within a thread."""
    common = Path(git.out("rev-parse", "--path-format=absolute", "--git-common-dir"))
    depth: dict[Path, int] = getattr(_held, "depth", None) or {}
    _held.depth = depth
    if depth.get(common):
        depth[common] += 1
        try:
            yield
        finally:
            depth[common] -= 1
        return
    with (common / "orchestrator-tui.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        depth[common] = 1
        try:
            yield
        finally:
            depth[common] = 0
            fcntl.flock(handle, fcntl.LOCK_UN)
