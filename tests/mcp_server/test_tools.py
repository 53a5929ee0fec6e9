"""Every tool of `orchestrator-tui mcp`, through the SDK's stdio client."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from orchestrator_tui.domain.enums import EventKind, TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.mcp_server import TOOL_LIST_BUDGET_BYTES
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.store.tables import Event

from .conftest import AGENT, call, clean_env, refused, session

TOOLS = {
    "list_tasks",
    "get_task",
    "next_task",
    "create_task",
    "set_status",
    "report_progress",
    "add_note",
    "add_dependency",
    "report",
    "ask_question",
    "get_answer",
}


def cli_error(db: Path, *args: str, exit_code: int | None = None) -> str:
    """The line the CLI prints on stderr for the same refusal (exiting `exit_code`,
    when given)."""
    proc = subprocess.run(
        [sys.executable, "-m", "orchestrator_tui", "--db", str(db), "--as", AGENT, *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert proc.returncode != 0
    assert exit_code is None or proc.returncode == exit_code, proc.returncode
    return proc.stderr.strip()


async def test_tool_list_is_small_typed_and_under_budget(db: Path, orch: Orchestrator) -> None:
    async with session(db) as client:
        listed = (await client.list_tools()).tools
    assert {t.name for t in listed} == TOOLS
    for tool in listed:
        assert tool.description and "\n" not in tool.description, tool.name
        assert len(tool.description) <= 100, tool.name
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None, tool.name
    wire = json.dumps(
        [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed],
        separators=(",", ":"),
    )
    assert len(wire.encode()) < TOOL_LIST_BUDGET_BYTES, len(wire)


def test_set_status_offers_exactly_the_cli_verbs() -> None:
    from typing import get_args

    from orchestrator_tui.domain.state_machine import VERB_TARGETS
    from orchestrator_tui.mcp_server import Verb

    assert set(get_args(Verb)) == set(VERB_TARGETS)


async def test_inside_a_run_the_server_names_the_task(db: Path, orch: Orchestrator) -> None:
    async with session(db, ORCHESTRATOR_TUI_TASK="PAY-7") as client:
        said = client.initialized.instructions  # type: ignore[attr-defined]
        assert "You are working on task PAY-7." in said
        assert "end your turn: your session is resumed with the answer" in said
    async with session(db) as client:
        said = client.initialized.instructions  # type: ignore[attr-defined]
        assert "working on" not in said
        assert "get_answer(question_id, wait_seconds) fetches or waits for the answer" in said


async def test_each_tool_does_what_the_cli_would(db: Path, orch: Orchestrator) -> None:
    orch.tasks.create(TaskSpec(key="API", title="Build the API", priority="high"))
    orch.collab.set_context("API", "decision: use postgres\n")
    async with session(db) as client:
        made = await call(
            client,
            "create_task",
            title="Write the docs",
            depends_on=["API"],
            success_criteria=["every endpoint documented"],
        )
        assert made["key"] == "T-1" and made["ready"] == "waiting" and made["waits_on"] == 1

        page = await call(client, "list_tasks", readiness=["ready"])
        assert page["total"] == 1 and [t["key"] for t in page["tasks"]] == ["API"]

        found = await call(client, "get_task", key="T-1")
        assert found["blockers"] == [{"key": "API", "status": "pending"}]
        assert found["success_criteria"] == ["every endpoint documented"]
        api = await call(client, "get_task", key="API")
        assert api["context"] == "decision: use postgres\n"
        assert api["dependents"] == [{"key": "T-1", "status": "pending"}]

        peek = await call(client, "next_task")
        assert peek == {"task": peek["task"], "claimed": False, "message": ""}
        assert peek["task"]["key"] == "API"
        taken = await call(client, "next_task", claim=True)
        assert taken["claimed"] and taken["task"]["key"] == "API"
        assert taken["task"]["status"] == "in_progress" and taken["task"]["assignee"] == AGENT
        after = await call(client, "next_task", claim=True)
        assert (after["task"], after["claimed"]) == (None, False)

        await call(client, "report_progress", key="API", percent=60, message="routes done")
        await call(client, "add_note", key="API", text="kept the old URLs")
        await call(client, "create_task", title="Deploy", key="DEPLOY")
        linked = await call(client, "add_dependency", key="DEPLOY", on="T-1")
        assert linked["message"] == "now waits for T-1"
        reported = await call(
            client, "report", key="API", status="completed", summary="all routes", progress=100
        )
        assert reported["status"] == "done"
        moved = await call(client, "set_status", key="T-1", to="start")
        assert moved == {"key": "T-1", "status": "in_progress", "message": ""}

    assert orch.queries.get_task("API").status is TaskStatus.DONE
    [progress, *_] = orch.queries.progress_for("API")
    assert (progress.percent, progress.message, progress.actor) == (60, "routes done", AGENT)
    [note] = orch.queries.notes_for("API")
    assert note.author == AGENT and "kept the old URLs" in note.body and "all routes" in note.body
    assert [b.key for b in orch.queries.get_task("DEPLOY").blockers] == ["T-1"]
    with orch.db.read() as conn:
        E = Event.__table__.c
        actors = set(
            conn.execute(select(E.actor).where(E.kind == EventKind.STATUS_CHANGED.value)).scalars()
        )
    assert actors == {AGENT}


async def test_a_report_of_finished_work_awaiting_approval_shows_it_complete(
    db: Path, orch: Orchestrator
) -> None:
    """As `task done` and `task report` show it: finished work waiting for approval
    is at 100%, whatever progress was reported on the way."""
    orch.tasks.create(TaskSpec(key="API", title="Build the API", requires_approval=True))
    orch.tasks.create(TaskSpec(key="UI", title="Build the UI", requires_approval=True))
    async with session(db) as client:
        await call(client, "next_task", claim=True)
        await call(client, "report_progress", key="API", percent=40, message="routes")
        reported = await call(client, "report", key="API", status="completed", summary="all")
        shown = await call(client, "get_task", key="API")
        await call(client, "set_status", key="UI", to="start")
        moved = await call(client, "set_status", key="UI", to="done")
    assert (shown["status"], shown["progress"]) == ("awaiting_approval", 100)
    assert orch.queries.get_task("API").progress == 100
    next_step = (
        "finished: a person approves it or sends it back; nothing more to do on it until then"
    )
    assert reported == {
        "key": "API",
        "status": "awaiting_approval",
        "message": f"report recorded; {next_step}",
    }
    assert moved == {"key": "UI", "status": "awaiting_approval", "message": next_step}


async def test_next_task_shows_what_a_claim_would_take_and_says_why_nothing(
    db: Path, orch: Orchestrator
) -> None:
    """A peek offers the task a claim then takes, never a person's; with nothing for
    the agent, the answer says where the tasks stand instead of a bare null."""
    orch.tasks.create(TaskSpec(key="SIGN", title="Sign off", priority="high", agent_type="human"))
    orch.tasks.create(TaskSpec(key="API", title="Build the API"))
    orch.tasks.create(TaskSpec(key="DOCS", title="Document it", depends_on=["API"]))
    async with session(db) as client:
        peek = await call(client, "next_task")
        taken = await call(client, "next_task", claim=True)
        none = await call(client, "next_task")
        claimed_none = await call(client, "next_task", claim=True)
    assert peek["task"]["key"] == taken["task"]["key"] == "API"
    assert (peek["claimed"], taken["claimed"]) == (False, True)
    assert none["task"] is None and claimed_none == {**none, "claimed": False}
    assert none["message"] == (
        "no task is ready for you: 1 ready for a person or later (a retry's wait),"
        " 1 waiting on unfinished dependencies, 1 in progress or awaiting approval"
    )


async def test_latest_run_says_stopping_while_a_cancelled_run_is_open(
    db: Path, orch: Orchestrator
) -> None:
    orch.tasks.create(TaskSpec(key="A", title="long", command=CommandSpec(argv=["true"])))
    orch.runs.claim("r1", 30)
    orch.runs.cancel("A", "wrong branch")
    async with session(db) as client:
        found = await call(client, "get_task", key="A")
    assert found["runs_with"] == "command true"
    run = found["latest_run"]
    assert (run["status"], run["state"]) == ("running", "stopping")
    assert run["cancel_requested"] == "run cancelled by alice: wrong branch"
    assert run["error"] is None


async def test_a_task_created_for_a_coding_agent(db: Path, orch: Orchestrator) -> None:
    """An agent splitting its work hands a part to another agent, by profile name only
    (never an argv): unknown profiles are refused as the CLI refuses them."""
    async with session(db, XDG_CONFIG_HOME=str(db.parent)) as client:
        made = await call(
            client, "create_task", title="Implement it", key="IMPL", agent="codex", model="o3"
        )
        shown = await call(client, "get_task", key="IMPL")
        unknown = await refused(client, "create_task", title="x", agent="claud")
        lone = await refused(client, "create_task", title="x", model="o3")
    assert made["key"] == "IMPL"
    assert shown["runs_with"] == "agent codex, model o3"
    command = orch.queries.get_task("IMPL").command
    assert command is not None and command.argv == ["codex"]
    assert command.agent is not None and (command.agent.profile, command.agent.model) == (
        "codex",
        "o3",
    )
    assert unknown == cli_error(db, "task", "add", "x", "--agent", "claud")
    assert unknown.startswith(
        "error: agent.profile: unknown agent profile 'claud'; did you mean claude? (known: aider,"
    )
    assert lone == "error: agent: a model needs an agent"
    assert orch.queries.count_tasks() == 1


async def test_refusals_are_tool_errors_with_the_cli_line(db: Path, orch: Orchestrator) -> None:
    for key in ("A", "B", "C", "D"):
        orch.tasks.create(TaskSpec(key=key, title=key))
    orch.deps.add("B", "A")
    orch.deps.add("C", "B")
    orch.tasks.start("D")
    before = orch.queries.last_event_id()
    async with session(db) as client:
        unknown = await refused(client, "get_task", key="AA")
        invalid = await refused(client, "set_status", key="A", to="done")
        cycle = await refused(client, "add_dependency", key="A", on="C")
        waits = await refused(client, "set_status", key="C", to="start")
        bad = await refused(client, "report_progress", key="A", percent=140)
        early = await refused(client, "report_progress", key="C", percent=10)
        # Refused by its move, and by its progress once moved: nothing of either is kept.
        unmoved = await refused(client, "report", key="A", status="completed")
        unfinished = await refused(client, "report", key="D", status="completed", progress=60)
    assert unknown == cli_error(db, "task", "show", "AA")
    assert unknown.startswith("error: no task 'AA'")
    assert invalid == cli_error(db, "task", "done", "A")
    assert invalid.startswith("error: A is pending: cannot mark it done")
    assert (
        cycle
        == cli_error(db, "task", "depend", "A", "C")
        == ("error: dependency cycle: A -> C -> B -> A")
    )
    assert waits == cli_error(db, "task", "start", "C")
    assert bad == cli_error(db, "task", "progress", "A", "140")
    assert early == cli_error(db, "task", "progress", "C", "10")
    assert early == "error: C waits for B and cannot start: progress is recorded once it can"
    for line, key, report in (
        (unmoved, "A", {"status": "completed"}),
        (unfinished, "D", {"status": "completed", "progress": 60}),
    ):
        file = db.parent / f"report-{key}.json"
        file.write_text(json.dumps({"agent_name": AGENT, "summary": "", **report}))
        assert line == cli_error(db, "task", "report", key, str(file), exit_code=4)
    assert unmoved.startswith("error: A is pending: cannot mark it done")
    assert unfinished == "error: after this report D is done: finished work shows 100%, not 60%"
    assert orch.queries.last_event_id() == before, "a refused call wrote something"


async def test_arguments_of_the_wrong_shape_are_one_cli_style_line(
    db: Path, orch: Orchestrator
) -> None:
    orch.tasks.create(TaskSpec(key="A", title="A"))
    before = orch.queries.last_event_id()
    async with session(db) as client:
        wrong_type = await refused(client, "report_progress", key="A", percent="ten")
        not_a_word = await refused(client, "set_status", key="A", to="explode")
        missing = await refused(client, "get_task")
        in_a_list = await refused(client, "list_tasks", status=["bogus"])
        no_tool = await refused(client, "get_tasks", key="A")
    assert wrong_type == "error: invalid input: percent: Input should be a valid integer"
    assert not_a_word.startswith("error: invalid input: to: Input should be 'start', ")
    assert missing == "error: invalid input: key: Field required"
    assert in_a_list.startswith("error: invalid input: status[0]: Input should be 'pending', ")
    assert no_tool.startswith("error: no tool 'get_tasks'; did you mean get_task")
    assert orch.queries.last_event_id() == before, "a refused call wrote something"


async def test_arguments_a_tool_does_not_take_are_refused_naming_the_ones_it_does(
    db: Path, orch: Orchestrator
) -> None:
    """A misspelled argument is an error, not its default quietly taken."""
    orch.tasks.create(TaskSpec(key="A", title="A"))
    orch.tasks.start("A")
    before = orch.queries.last_event_id()
    async with session(db) as client:
        misspelt = await refused(client, "get_task", task_key="A")
        extra = await refused(client, "report_progress", key="A", percent=40, msg="routes")
        two = await refused(client, "next_task", claim=True, agent="x", page=2)
        unlike = await refused(client, "next_task", limit=5)
        listed = (await client.list_tools()).tools
    assert (
        misspelt
        == "error: get_task has no argument 'task_key'; did you mean key? (its arguments: key)"
    )
    assert extra == (
        "error: report_progress has no argument 'msg'; did you mean message?"
        " (its arguments: key, percent, message)"
    )
    assert (
        two == "error: next_task has no arguments 'agent', 'page'; did you mean agent_type?"
        " (its arguments: claim, agent_type)"
    )
    # Spelled with three of its letters but nothing like it: no `did you mean claim?`.
    assert unlike == "error: next_task has no argument 'limit' (its arguments: claim, agent_type)"
    assert orch.queries.last_event_id() == before, "a refused call wrote something"
    assert orch.queries.get_task("A").progress == 0
    for tool in listed:  # the schema says what the server does
        assert tool.input_schema["additionalProperties"] is False, tool.name


async def test_booleans_and_numbers_are_json_ones_and_counts_not_negative(
    db: Path, orch: Orchestrator
) -> None:
    orch.tasks.create(TaskSpec(key="A", title="A"))
    before = orch.queries.last_event_id()
    async with session(db) as client:
        claim = await refused(client, "next_task", claim="yes")
        force = await refused(client, "set_status", key="A", to="start", force="true")
        approval = await refused(client, "create_task", title="B", requires_approval=1)
        percent = await refused(client, "report_progress", key="A", percent="50")
        whole = await refused(client, "report_progress", key="A", percent=50.0)
        limit = await refused(client, "list_tasks", limit=-5)
        offset = await refused(client, "list_tasks", offset=-1)
        wait = await refused(client, "get_answer", question_id=1, wait_seconds=-1)
        question = await refused(client, "get_answer", question_id="1")
        listed = await call(client, "list_tasks", limit=0)
    assert claim == "error: invalid input: claim: Input should be a valid boolean"
    assert force == "error: invalid input: force: Input should be a valid boolean"
    assert approval == "error: invalid input: requires_approval: Input should be a valid boolean"
    assert percent == whole == "error: invalid input: percent: Input should be a valid integer"
    assert limit == "error: invalid input: limit: must be 0 or more, not -5"
    assert offset == "error: invalid input: offset: must be 0 or more, not -1"
    assert wait == "error: invalid input: wait_seconds: must be 0 or more, not -1"
    assert question == "error: invalid input: question_id: Input should be a valid integer"
    assert listed["total"] == 1
    assert orch.queries.last_event_id() == before, "a refused call wrote something"


async def test_questions_round_trip(db: Path, orch: Orchestrator) -> None:
    orch.tasks.create(TaskSpec(key="API", title="Build the API"))
    orch.tasks.start("API")
    async with session(db) as client:
        asked = await call(client, "ask_question", key="API", question="Which database?")
        assert asked["answered"] is False and asked["asked_by"] == AGENT
        [waiting] = orch.questions.open_questions()
        assert waiting.text == "Which database?"
        orch.questions.answer("API", "PostgreSQL 16")
        got = await call(client, "get_answer", question_id=asked["id"])
        assert got["answer"] == "PostgreSQL 16" and got["answered_by"] == "alice"
        missing = await refused(client, "get_answer", question_id=999)
        waiting = asyncio.create_task(
            call(client, "ask_question", key="API", question="Ship today?", wait_seconds=60)
        )
        deadline = time.monotonic() + 60
        while orch.questions.count_open() == 0:
            assert not waiting.done(), waiting.result()
            assert time.monotonic() < deadline, "the question was never asked"
            await asyncio.sleep(0.05)
        orch.as_actor("maria").questions.answer("API", "Yes, after lunch")
        waited = await waiting
    assert missing == "error: no question 999"
    assert (waited["question"], waited["answer"], waited["answered_by"]) == (
        "Ship today?",
        "Yes, after lunch",
        "maria",
    )


async def test_an_agent_waiting_on_a_question_is_told_it_closed(
    db: Path, orch: Orchestrator
) -> None:
    orch.tasks.create(TaskSpec(key="API", title="Build the API"))
    orch.tasks.start("API")
    async with session(db) as client:
        waiting = asyncio.create_task(
            call(client, "ask_question", key="API", question="Which database?", wait_seconds=60)
        )
        deadline = time.monotonic() + 60
        while orch.questions.count_open() == 0:
            assert not waiting.done(), waiting.result()
            assert time.monotonic() < deadline, "the question was never asked"
            await asyncio.sleep(0.05)
        orch.tasks.transition("API", TaskStatus.CANCELLED)
        waited = await waiting
        again = await call(client, "get_answer", question_id=waited["id"])
    for seen in (waited, again):
        assert (seen["answered"], seen["closed"], seen["answer"]) == (False, True, None)
