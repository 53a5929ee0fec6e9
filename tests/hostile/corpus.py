"""The hostile corpus: files built to hurt a reader, generated on demand (nothing
large is checked in). Each case makes its input under a folder and says what
the CLI must answer: the exit code and a part of its one-line error.

    python -m tests.hostile.corpus OUTDIR   # write the corpus out to look at
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator_tui.services.safe_files import MAX_BYTES
from orchestrator_tui.services.safe_yaml import MAX_DEPTH

INVALID = 7  # invalid input (malformed file or value)


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], Path]  # builds the input in a folder; returns what to import
    expect: str  # a part of the one-line error (`{path}` is replaced by the input's path)
    code: int = INVALID
    args: tuple[str, ...] = ()  # extra CLI arguments after `import PATH`
    needs: set[str] = field(default_factory=set)  # "fifo", "non-root"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _task(key: str, **fields: object) -> dict[str, object]:
    return {"key": key, "title": f"task {key}", **fields}


def alias_bomb(folder: Path) -> Path:
    """40 aliases (the limit is 200) that expand to 10^4 copies of a 1 kB string."""
    lines = [
        "tasks:",
        "  - key: BOMB",
        "    title: bomb",
        "    extra:",
        f"      l0: &l0 {'x' * 1000}",
    ]
    for level in range(1, 5):
        lines.append(f"      l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10)}]")
    return _write(folder / "plan.yaml", "\n".join(lines) + "\n")


def alias_bomb_in_context(folder: Path) -> Path:
    refs = ", ".join(["*a"] * 10)
    text = "tasks:\n  - key: CTX\n    title: context bomb\n    context:\n      a: &a [" + (
        ", ".join(["'" + "y" * 500 + "'"] * 10) + "]\n"
    )
    text += "".join(
        f"      b{i}: &b{i} [{refs if i == 0 else ', '.join([f'*b{i - 1}'] * 10)}]\n"
        for i in range(4)
    )
    return _write(folder / "plan.yaml", text)


def recursive_alias(folder: Path) -> Path:
    return _write(folder / "plan.yaml", "tasks:\n  - &t {key: A, title: a, extra: {me: *t}}\n")


def deep_yaml(folder: Path) -> Path:
    depth = MAX_DEPTH + 10
    return _write(
        folder / "plan.yaml",
        f"tasks:\n  - {{key: A, title: a, extra: {{x: {'[' * depth}{']' * depth}}}}}\n",
    )


def deep_json(depth: int) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        nested = "[" * depth + "]" * depth
        return _write(
            folder / "export.json",
            '{"tasks": [{"key": "A", "title": "a", "extra": {"x": ' + nested + "}}]}",
        )

    return make


def two_tasks_keys(folder: Path) -> Path:
    return _write(
        folder / "plan.yaml",
        "tasks:\n  - {key: A, title: a}\n  - {key: B, title: b}\n"
        "name: x\ntasks:\n  - {key: C, title: c}\n",
    )


def json_repeated_key(folder: Path) -> Path:
    return _write(
        folder / "export.json", '{"tasks": [\n  {"key": "A", "title": "a",\n   "title": "b"}\n]}'
    )


def taskmaster_repeated_tag(folder: Path) -> Path:
    tasks = [{"id": 1, "title": "one", "status": "pending", "dependencies": []}]
    body = json.dumps({"tasks": tasks})
    return _write(folder / "tasks.json", f'{{"master": {body},\n "master": {{"tasks": []}}}}')


def backlog(folder: Path, tasks: dict[str, str]) -> Path:
    root = folder / "project"
    _write(root / "backlog" / "config.yml", "project_name: hostile\n")
    for name, text in tasks.items():
        _write(root / "backlog" / "tasks" / name, text)
    return root


def backlog_repeated_key(folder: Path) -> Path:
    return backlog(
        folder, {"back-1 - a.md": "---\nid: BACK-1\ntitle: a\nstatus: To Do\nstatus: Done\n---\n"}
    )


def dev_zero_link(folder: Path) -> Path:
    link = folder / "plan.yaml"
    link.symlink_to("/dev/zero")
    return link


def fifo(name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        os.mkfifo(path)
        return path

    return make


def fifo_in_backlog(folder: Path) -> Path:
    root = backlog(folder, {"back-1 - a.md": "---\nid: BACK-1\ntitle: a\n---\n"})
    os.mkfifo(root / "backlog" / "tasks" / "back-2 - b.md")
    return root


def backlog_link_out(folder: Path) -> Path:
    """A task file that is a link to a file outside the imported folder."""
    secret = _write(folder / "elsewhere" / "secret.md", "---\nid: BACK-9\ntitle: private\n---\n")
    root = backlog(folder, {"back-1 - a.md": "---\nid: BACK-1\ntitle: a\n---\n"})
    (root / "backlog" / "tasks" / "back-9 - s.md").symlink_to(secret)
    return root


def folder_as_plan(folder: Path) -> Path:
    path = folder / "plan.yaml"
    path.mkdir()
    return path


def oversized(folder: Path) -> Path:
    path = folder / "plan.yaml"
    with path.open("wb") as out:  # sparse: takes no disk space
        out.truncate(MAX_BYTES + 1)
    return path


def not_utf8(folder: Path) -> Path:
    path = folder / "plan.yaml"
    path.write_bytes(b"tasks:\n  - {key: A, title: \xff\xfe}\n")
    return path


def bidi_in_bad_value(folder: Path) -> Path:
    """A key that turns the rest of the error line around, with a hidden character."""
    return _write(folder / "plan.yaml", 'tasks:\n  - {key: "A\u202e\u200bB", title: a}\n')


def unreadable_file(folder: Path) -> Path:
    path = _write(folder / "plan.yaml", "tasks:\n  - {key: A, title: a}\n")
    path.chmod(0)
    return path


def unreadable_tasks_folder(folder: Path) -> Path:
    root = backlog(folder, {"back-1 - a.md": "---\nid: BACK-1\ntitle: a\n---\n"})
    (root / "backlog" / "tasks").chmod(0)
    return root


CASES = [
    Case("alias bomb", alias_bomb, "{path}: invalid YAML: aliases expand the document by more"),
    Case("alias bomb in context", alias_bomb_in_context, "aliases expand the document by more"),
    Case("recursive alias", recursive_alias, "{path}: invalid YAML: an alias refers to"),
    Case("deep yaml", deep_yaml, f"{{path}}: invalid YAML: nested deeper than {MAX_DEPTH} levels"),
    Case("deep json", deep_json(300), f"{{path}}: invalid JSON: nested deeper than {MAX_DEPTH}"),
    Case("very deep json", deep_json(100_000), "{path}: invalid JSON: nested deeper than"),
    Case(
        "two tasks keys",
        two_tasks_keys,
        "{path}: invalid YAML: while reading a mapping, duplicate key 'tasks' at line 5, column 1",
    ),
    Case(
        "json repeated key",
        json_repeated_key,
        "{path}: invalid JSON: duplicate key 'title' in the object at line 2",
    ),
    Case(
        "task-master repeated tag",
        taskmaster_repeated_tag,
        "duplicate key 'master' in the object at line 1",
    ),
    Case(
        "backlog repeated key",
        backlog_repeated_key,
        "back-1 - a.md: frontmatter: invalid YAML: while reading a mapping, "
        "duplicate key 'status' at line 4",
        args=("--strict",),  # a folder is read file by file: otherwise a warning
    ),
    Case(
        "link to /dev/zero",
        dev_zero_link,
        "{path}: a character device, not a regular file; nothing was read",
    ),
    Case(
        "fifo tasks.json",
        fifo("tasks.json"),
        "{path}: a named pipe (FIFO), not a regular file",
        needs={"fifo"},
    ),
    Case(
        "fifo plan.yaml",
        fifo("plan.yaml"),
        "{path}: a named pipe (FIFO), not a regular file",
        needs={"fifo"},
    ),
    Case(
        "fifo with --format",
        fifo("in.json"),
        "{path}: a named pipe (FIFO)",
        args=("--format", "task-master"),
        needs={"fifo"},
    ),
    Case(
        "fifo among backlog tasks",
        fifo_in_backlog,
        "back-2 - b.md: a named pipe (FIFO), not a regular file",
        args=("--strict",),
        needs={"fifo"},
    ),
    Case(
        "backlog link out of the folder",
        backlog_link_out,
        "outside the imported folder; skipped (refused by --strict)",
        args=("--strict",),
    ),
    Case(
        "folder named like a plan",
        folder_as_plan,
        "{path}: a folder, not a regular file",
        args=("--format", "yaml"),
    ),
    Case(
        "over the size limit",
        oversized,
        f"{{path}}: over the {MAX_BYTES} byte limit; nothing was read",
    ),
    Case("not UTF-8", not_utf8, "{path}: not UTF-8 text"),
    Case("bidi in a bad value", bidi_in_bad_value, "tasks[0] (A\\u202e\\u200bB).key"),
    Case(
        "unreadable file",
        unreadable_file,
        "{path}: cannot read: Permission denied",
        needs={"non-root"},
    ),
    Case(
        "unreadable tasks folder",
        unreadable_tasks_folder,
        "/backlog/tasks: cannot read folder: Permission denied",
        needs={"non-root"},
    ),
]


@dataclass(frozen=True)
class DbCase:
    """A database (or URL) the CLI must refuse to open, touching nothing."""

    name: str
    make: Callable[[Path], str]  # given a seeded database file, what to pass as --db
    expect: str
    code: int = INVALID


def _set_version(value: str) -> Callable[[Path], str]:
    def make(db: Path) -> str:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE schema_meta SET value = ? WHERE key = 'schema_version'", (value,))
        conn.close()
        return str(db)

    return make


DB_CASES = [
    DbCase(
        "mysql url", lambda db: "mysql://someone@localhost/tasks", "cannot use a 'mysql' database"
    ),
    DbCase(
        "unknown driver",
        lambda db: "postgresql+nodriver://h/db",
        "cannot use a 'postgresql+nodriver' database",
    ),
    DbCase("not a url", lambda db: "not a url://", "is neither a file path nor a database URL"),
    DbCase("schema version abc", _set_version("abc"), "schema version 'abc' is not a version"),
    DbCase("schema version 0", _set_version("0"), "schema version '0' is not a version"),
    DbCase("schema version -1", _set_version("-1"), "schema version '-1' is not a version"),
]


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "hostile-corpus")
    for case in CASES:
        folder = out / case.name.replace(" ", "-").replace("/", "")
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{case.name}: {case.make(folder)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
