"""Answers stay bounded at 10k tasks, a claim races a real runner fairly, and
nothing but JSON-RPC reaches the server's stdout."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from mcp.types import LATEST_PROTOCOL_VERSION
from sqlalchemy import func, select

from orchestrator_tui.domain.enums import EventKind, TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.mcp_server import MAX_ANSWER_BYTES, MAX_PAGE
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.services.tasks import spec_to_values
from orchestrator_tui.store.tables import Event, Run, Task

from ..databases import Databases
from .conftest import AGENT, call, clean_env, session

TASKS = 10_000


def add_many(orch: Orchestrator, count: int) -> None:
    """`count` tasks with the longest titles a task may have (T-77 also has the
    longest description)."""
    now = orch.ctx.now()
    rows = []
    for n in range(1, count + 1):
        spec = TaskSpec(title=f"{n} " + "ä" * 480, description="d" * (100_000 if n == 77 else 10))
        rows.append({**spec_to_values(spec, now), "key": f"T-{n}"})
    with orch.db.write() as conn:
        conn.execute(Task.__table__.insert(), rows)


def answer_bytes(result: object) -> int:
    return len(result.model_dump_json(by_alias=True, exclude_none=True).encode())  # type: ignore[attr-defined]


async def test_paging_10k_tasks_every_answer_bounded(db: Path, orch: Orchestrator) -> None:
    add_many(orch, TASKS)
    seen: list[str] = []
    async with session(db) as client:
        greedy = await client.call_tool("list_tasks", {"limit": 1_000_000})
        assert not greedy.is_error and answer_bytes(greedy) < MAX_ANSWER_BYTES
        assert len(greedy.structured_content["tasks"]) == MAX_PAGE  # type: ignore[index]
        offset: int | None = 0
        while offset is not None:
            result = await client.call_tool("list_tasks", {"limit": MAX_PAGE, "offset": offset})
            assert not result.is_error
            assert answer_bytes(result) < MAX_ANSWER_BYTES, answer_bytes(result)
            page = result.structured_content
            assert page is not None and page["total"] == TASKS
            seen += [t["key"] for t in page["tasks"]]
            offset = page["next_offset"]
        detail = await client.call_tool("get_task", {"key": "T-77"})
        assert answer_bytes(detail) < MAX_ANSWER_BYTES
        assert detail.structured_content["truncated"] is True  # type: ignore[index]
        found = await call(client, "list_tasks", text="9999", limit=5)
    assert seen == [f"T-{n}" for n in range(1, TASKS + 1)]
    assert found["total"] == 1 and found["tasks"][0]["key"] == "T-9999"


async def test_claim_racing_a_runner_gives_each_task_one_owner(databases: Databases) -> None:
    """On each backend: the agent's claim and the runner's (SKIP LOCKED on PostgreSQL)."""
    db = databases.url("mcp")
    orch = open_orchestrator(db, "alice")
    try:
        await claim_race(db, orch)
    finally:
        orch.close()


async def claim_race(db: str, orch: Orchestrator) -> None:
    count = 30
    for n in range(count):
        orch.tasks.create(
            TaskSpec(
                key=f"R-{n}",
                title=f"race {n}",
                command=CommandSpec(argv=[sys.executable, "-c", "import time; time.sleep(0.3)"]),
            )
        )
    mine: list[str] = []
    async with session(db) as client:
        runner = subprocess.Popen(
            [
                *(sys.executable, "-m", "orchestrator_tui", "--db", db, "--as", "runner"),
                *("run", "--until-idle", "--max-parallel", "2", "--agent", "runner"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=clean_env(),
        )
        try:
            deadline = time.monotonic() + 120
            while not orch.queries.runs_for("R-0") and runner.poll() is None:
                assert time.monotonic() < deadline, "the runner never claimed R-0"
                await asyncio.sleep(0.05)  # the runner is claiming: race it
            while True:
                assert time.monotonic() < deadline, f"still claiming after {mine}"
                got = await call(client, "next_task", claim=True)
                if not got["claimed"]:
                    break
                mine.append(got["task"]["key"])
                await asyncio.sleep(0.1)
            _, err = await asyncio.to_thread(runner.communicate, timeout=120)
        finally:
            if runner.poll() is None:
                runner.kill()
    assert runner.returncode == 0, err
    E, R, T = Event.__table__.c, Run.__table__.c, Task.__table__.c
    with orch.db.read() as conn:
        starts = dict(
            conn.execute(
                select(T.key, func.count())
                .select_from(Event.__table__.join(Task.__table__, T.id == E.task_id))
                .where(
                    E.kind == EventKind.STATUS_CHANGED.value,
                    E.data["to"].as_string() == "in_progress",
                )
                .group_by(T.key)
            ).all()
        )
        ran = set(
            conn.execute(
                select(T.key).select_from(Run.__table__.join(Task.__table__, T.id == R.task_id))
            ).scalars()
        )
    keys = {f"R-{n}" for n in range(count)}
    assert starts == dict.fromkeys(keys, 1), "a task was started twice or never"
    assert set(mine) | ran == keys and not set(mine) & ran
    assert mine, "the agent never won a task (the race did not happen)"
    for key in mine:
        task = orch.queries.get_task(key)
        assert (task.status, task.assignee) == (TaskStatus.IN_PROGRESS, AGENT)


def test_nothing_but_json_rpc_on_stdout(db: Path, orch: Orchestrator, tmp_path: Path) -> None:
    orch.tasks.create(TaskSpec(key="A", title="a"))
    orch.tasks.start("A")
    noisy = tmp_path / "noisy.py"
    noisy.write_text("import sys\nprint('hook says hi')\nsys.exit(3)\n")
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": LATEST_PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        *(
            {"jsonrpc": "2.0", "id": 3 + n, "method": "tools/call", "params": p}
            for n, p in enumerate(
                [
                    {"name": "get_task", "arguments": {"key": "NOPE"}},
                    {"name": "ask_question", "arguments": {"key": "A", "question": "why?"}},
                    {"name": "list_tasks", "arguments": {"limit": "many"}},
                    {"name": "no_such_tool", "arguments": {}},
                ]
            )
        ),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestrator_tui", "mcp", "--db", str(db), "--as", AGENT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(ORCHESTRATOR_TUI_NOTIFY_CMD=f"{sys.executable} {noisy}"),
    )
    assert proc.stdin is not None and proc.stdout is not None
    lines: list[str] = []
    watchdog = threading.Timer(120, proc.kill)  # a silent server ends readline below
    watchdog.start()
    try:
        for message in messages:
            proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        answered: set[int] = set()
        while answered != {1, 2, 3, 4, 5, 6}:
            line = proc.stdout.readline()
            assert line, "the server stopped before answering everything"
            lines.append(line)
            answered |= {json.loads(line).get("id")} - {None}
        rest, err = proc.communicate(timeout=60)  # closes stdin: the client hangs up
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
    lines += rest.splitlines()
    replies = [json.loads(line) for line in lines]
    assert all(r["jsonrpc"] == "2.0" for r in replies)
    assert sorted(r["id"] for r in replies if "id" in r) == [1, 2, 3, 4, 5, 6]
    assert "notify command" in err  # the failing hook was logged, on stderr
    assert all("hook says hi" not in line for line in lines)
