"""Large task-master files shaped like task-master's own `tasks.json` (long
`details` and `testStrategy` texts, five subtasks a task, ~1.4 KB a record), for
the import memory benchmark (`bench_import_memory.py`) and the import's tests."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

WORDS = ["the", "task", "parser", "should", "handle", "input", "files", "with", "care", "and"]


def _text(rng: random.Random, chars: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(chars // 6))


def taskmaster_task(rng: random.Random, i: int, subtasks: int = 5) -> dict[str, Any]:
    """Task `i`, with `subtasks` subtasks; each depends on the one before."""
    task: dict[str, Any] = {
        "id": i,
        "title": _text(rng, 45),
        "description": _text(rng, 155),
        "status": rng.choice(["pending", "done", "in-progress"]),
        "dependencies": [i - 1] if i > 1 and i % 4 else [],
        "priority": rng.choice(["high", "medium", "low"]),
        "details": _text(rng, 1150),
        "testStrategy": _text(rng, 550),
        "subtasks": [],
    }
    for j in range(1, subtasks + 1):
        sub: dict[str, Any] = {
            "id": j,
            "title": _text(rng, 45),
            "description": _text(rng, 150),
            "status": rng.choice(["pending", "done"]),
            "dependencies": [j - 1] if j > 1 else [],
            "details": _text(rng, 820),
        }
        if j % 2:
            sub["testStrategy"] = _text(rng, 150)
        task["subtasks"].append(sub)
    return task


def tagged(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """A tagged file (tag `master`) holding `tasks`."""
    return {"master": {"tasks": tasks, "metadata": {"created": "2025-01-01T00:00:00Z"}}}


def taskmaster_document(tasks: int, subtasks: int = 5) -> dict[str, Any]:
    """A tagged file of `tasks` tasks."""
    rng = random.Random(1)
    return tagged([taskmaster_task(rng, i, subtasks) for i in range(1, tasks + 1)])


def write_file(path: Path, megabytes: float) -> None:
    """A tagged task-master file of about `megabytes` (indented, as task-master writes)."""
    rng = random.Random(1)
    tasks: list[dict[str, Any]] = []
    size = 0
    while size < megabytes * 1_000_000 * 0.957:  # json.dump's indentation adds ~4.5%
        tasks.append(taskmaster_task(rng, len(tasks) + 1))
        size += len(json.dumps(tasks[-1], indent=2))
    with path.open("w") as out:
        json.dump(tagged(tasks), out, indent=2)
