"""Coding agents run by the runner: fake CLIs printing each documented shape."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from orchestrator_tui.domain.agent import AgentUse, Budget
from orchestrator_tui.domain.enums import LogStream, RunStatus, TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.domain.text import printable
from orchestrator_tui.services import Orchestrator

from ..runner.helpers import wait_for
from .fake_agent import CODEX_OFFLINE, GEMINI_NO_AUTH, LONG_STDERR
from .helpers import FAKE, add_agent_task, calls, fake_profile, serve

S = TaskStatus


def shown(orch: Orchestrator, run_id: int) -> list[tuple[str, str]]:
    return [(v.stream.value, v.text) for v in orch.queries.log_lines(run_id, limit=10_000)]


def test_claude_run_shows_tool_calls_and_stores_usage_cost_session_and_summary(
    orch: Orchestrator,
) -> None:
    add_agent_task(orch, "A", "claude", model="opus")
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert orch.queries.get_task("A").status is S.DONE
    lines = shown(orch, run.id)
    assert ("stdout", "→ Read src/app.py") in lines
    assert ("stdout", "→ Bash pytest -q") in lines
    assert ("stderr", "✗ tool failed: file not found") in lines
    assert ("stdout", "All tests pass.") in lines
    assert run.profile == "fake-claude"
    assert run.session_id and len(run.session_id) == 36
    assert run.model == "opus"
    assert (run.input_tokens, run.output_tokens, run.cached_tokens) == (2700, 200, 300)
    assert run.cost_usd == pytest.approx(0.0421)
    assert run.turns == 3
    assert run.summary == "Fixed the parser; tests pass."
    raw = orch.queries.log_lines(run.id, raw=True)
    assert all(v.stream is LogStream.RAW for v in raw)
    assert json.loads(raw[0].text)["type"] == "system"
    assert json.loads(raw[-1].text)["type"] == "result"
    assert "You are working on task A: task A" in (run.prompt or "")


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("claude", "Not logged in · Please run /login"),
        ("codex", "stream disconnected before completion: failed to lookup address"),
        ("gemini", "Please set an Auth method"),
        ("opencode", "no API key for provider"),
    ],
)
def test_an_error_as_the_last_event_fails_the_task_although_the_agent_exits_0(
    orch: Orchestrator, shape: str, expected: str
) -> None:
    add_agent_task(orch, "A", shape, "error", max_retries=0)
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert run.exit_code == 0
    assert run.status is RunStatus.FAILED
    assert run.error == expected
    assert run.session_id  # recorded even though it failed
    task = orch.queries.get_task("A")
    assert task.status is S.FAILED
    finished, moved = orch.queries.timeline("A")[-2:]
    assert moved.data["reason"] == expected  # said once, by the move it caused
    assert finished.summary() == f"run {run.id} failed (exit 0)"
    assert ("stderr", f"✗ {expected}") in shown(orch, run.id)


def test_an_agent_failing_with_words_on_stderr_only_fails_with_those_words(
    orch: Orchestrator,
) -> None:
    add_agent_task(orch, "A", "gemini", "no-auth", max_retries=0)
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert run.exit_code == 41
    assert run.error == f"exit code 41: {GEMINI_NO_AUTH}"
    assert orch.queries.get_task("A").status is S.FAILED


def test_a_long_last_stderr_line_is_cut_saying_so_and_where_the_whole_is(
    orch: Orchestrator,
) -> None:
    add_agent_task(orch, "A", "gemini", "long-stderr", max_retries=0)
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    whole = printable(LONG_STDERR)
    assert len(whole) > 600 and whole.startswith("Error: quota exceeded")
    assert run.error == (
        f"exit code 41: {whole[:500].rstrip()}… (cut at 500 characters; "
        f"`task logs A --run {run.id}` shows the whole line)"
    )
    assert "\x1b" not in (run.error or "") and "\x07" not in (run.error or "")
    assert printable(run.error or "") == run.error  # the display's escaping keeps it whole
    assert orch.queries.timeline("A")[-1].data["reason"] == run.error
    assert ("stderr", LONG_STDERR) in shown(orch, run.id)  # the whole line, as printed


def test_codex_gemini_opencode_and_aider_usage_is_read_from_their_own_shapes(
    orch: Orchestrator,
) -> None:
    add_agent_task(orch, "CX", "codex")
    add_agent_task(orch, "GM", "gemini")
    add_agent_task(orch, "OC", "opencode")
    add_agent_task(orch, "AI", "aider", prompt="file")
    serve(orch)
    got = {k: orch.queries.runs_for(k)[0] for k in ("CX", "GM", "OC", "AI")}
    assert all(orch.queries.get_task(k).status is S.DONE for k in got)
    cx, gm, oc, ai = got["CX"], got["GM"], got["OC"], got["AI"]
    assert (cx.input_tokens, cx.output_tokens, cx.cached_tokens, cx.cost_usd) == (
        5000,
        400,
        1000,
        None,
    )
    assert cx.summary == "Updated src/app.py."
    assert ("stdout", "→ shell bash -lc ls") in shown(orch, cx.id)
    assert ("stdout", "→ update src/app.py") in shown(orch, cx.id)
    assert (gm.input_tokens, gm.output_tokens, gm.cached_tokens) == (900, 30, 100)
    assert gm.summary == "The README is fine."
    assert ("stdout", "→ read_file /repo/README.md") in shown(orch, gm.id)
    assert (oc.input_tokens, oc.output_tokens, oc.cached_tokens) == (700, 60, 200)
    assert oc.cost_usd == pytest.approx(0.0123)
    assert oc.session_id == json.loads(orch.queries.log_lines(oc.id, raw=True)[0].text)["sessionID"]
    assert (ai.input_tokens, ai.output_tokens, ai.cost_usd) == (2300, 150, 0.03)
    assert orch.queries.log_lines(ai.id, raw=True) == []  # plain output has no raw events


def test_lines_that_are_not_json_are_kept_as_plain_lines(orch: Orchestrator) -> None:
    add_agent_task(orch, "A", "claude", "garbage")
    add_agent_task(orch, "B", "codex", "garbage")
    serve(orch)
    a = shown(orch, orch.queries.runs_for("A")[0].id)
    b = shown(orch, orch.queries.runs_for("B")[0].id)
    assert ("stdout", "this is not json {") in a
    assert ("stdout", "[1, 2, 3]") in a
    assert ("stdout", "2026-12-01T08:41:23Z ERROR codex_api: not json") in b
    assert orch.queries.get_task("A").status is S.DONE
    assert orch.queries.get_task("B").status is S.DONE


def test_the_prompt_reaches_the_agent_by_argument_file_and_stdin(
    orch: Orchestrator, record: Path
) -> None:
    add_agent_task(orch, "ARG", "claude", description="by argument")
    add_agent_task(orch, "FILE", "aider", prompt="file", description="by file")
    add_agent_task(orch, "IN", "claude", prompt="stdin", description="by stdin")
    serve(orch, max_parallel=1)
    seen = calls(record)
    prompts = {s["prompt"].split("## Description")[1].split()[0:2][1]: s for s in seen}
    assert set(prompts) == {"argument", "file", "stdin"}
    for key in ("ARG", "FILE", "IN"):
        run = orch.queries.runs_for(key)[0]
        assert run.prompt in [s["prompt"] for s in seen]


def test_a_token_budget_stops_the_agent_like_a_timeout_and_fails_the_task(
    orch: Orchestrator,
) -> None:
    add_agent_task(orch, "A", "claude", "spend", budget=Budget(tokens=100_000), max_retries=2)
    started = time.monotonic()
    serve(orch)
    assert time.monotonic() - started < 20  # the agent sleeps 60 s: it was stopped
    (run,) = orch.queries.runs_for("A")  # no retry: more money would not help
    assert run.status is RunStatus.FAILED
    assert run.exit_code is not None and run.exit_code < 0  # SIGTERM to its group
    assert run.error == "budget exceeded: 591,280 tokens of 100,000"
    assert orch.queries.get_task("A").status is S.FAILED
    assert run.input_tokens == 501_200


def test_a_usd_budget_counts_every_attempt_of_the_task(orch: Orchestrator) -> None:
    add_agent_task(orch, "A", "claude", budget=Budget(usd=0.05))
    serve(orch)
    assert orch.queries.get_task("A").status is S.DONE  # $0.0421 of $0.05
    orch.tasks.reset("A", "again")
    serve(orch)
    second = orch.queries.runs_for("A")[-1]
    # Claude Code says its cost with its final word: the work it paid for is kept.
    assert second.status is RunStatus.SUCCEEDED and second.exit_code == 0
    assert orch.queries.get_task("A").status is S.DONE
    said = [v.text for v in orch.queries.log_lines(second.id, limit=1000)]
    assert (
        "! budget exceeded: $0.0842 of $0.05 by the agent's final report: "
        "its finished work is kept; no further run can start"
    ) in said
    orch.tasks.reset("A", "once more")
    serve(orch)
    third = orch.queries.runs_for("A")[-1]
    assert third.error == (
        "agent fake-claude: budget exceeded: $0.0842 of $0.05 before this run: "
        "it was not started (raise the budget to go on)"
    )
    assert third.profile is None  # no agent was started
    assert orch.queries.get_task("A").status is S.FAILED


def test_a_run_a_person_stops_keeps_what_its_agent_reported_and_its_budget_counts_it(
    orch: Orchestrator,
) -> None:
    # opencode tells each step's cost as it goes (Claude Code only at its end, so one
    # stopped before it has its tokens and `cost not reported`).
    add_agent_task(orch, "A", "opencode", "hang", budget=Budget(usd=0.02), max_retries=0)

    def stop_once_a_step_is_paid() -> None:
        def paid() -> bool:
            runs = orch.queries.runs_for("A")
            raw = orch.queries.log_lines(runs[-1].id, raw=True) if runs else []
            return any('"step_finish"' in line.text for line in raw)

        wait_for(paid)  # stored once the runner's parser has read it
        orch.as_actor("bob").runs.cancel("A", "enough")

    stopper = threading.Thread(target=stop_once_a_step_is_paid)
    stopper.start()
    serve(orch)
    stopper.join(30)
    (run,) = orch.queries.runs_for("A")
    assert run.status is RunStatus.CANCELLED
    assert (run.cost_usd, run.tokens) == (pytest.approx(0.0123), 760)
    orch.tasks.reset("A", "again")
    serve(orch)  # the stopped run's $0.0123 counts: the next one crosses $0.02
    assert orch.queries.runs_for("A")[-1].error == "budget exceeded: $0.0246 of $0.02"


def test_a_wall_time_budget_stops_a_silent_agent(orch: Orchestrator) -> None:
    add_agent_task(orch, "A", "codex", "hang", budget=Budget(seconds=1))
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert run.error is not None and run.error.startswith("budget exceeded: ")
    assert run.error.endswith("s of 1s")
    assert orch.queries.get_task("A").status is S.FAILED


def test_an_agent_that_hangs_is_stopped_at_its_profiles_timeout(orch: Orchestrator) -> None:
    # The task sets no timeout: its profile's (an hour unless it says) holds the slot.
    assert fake_profile("codex").timeout_seconds == 3600
    quick = fake_profile("codex").model_copy(update={"timeout_seconds": 1.0})
    use = AgentUse(profile="fake-codex", args=["--scenario", "hang"], definition=quick)
    command = CommandSpec(argv=[FAKE], agent=use)
    orch.tasks.create(TaskSpec(key="A", title="hangs", command=command, max_retries=0))
    started = time.monotonic()
    serve(orch)
    assert time.monotonic() - started < 20
    (run,) = orch.queries.runs_for("A")
    assert run.status is RunStatus.TIMED_OUT
    assert run.error == "timed out after 1s"


def test_codex_waiting_for_a_network_is_stopped_and_fails_saying_so(orch: Orchestrator) -> None:
    # Without a network codex retries, then waits for one for ever: the task
    # must fail in seconds with codex's own words, not hang the runner.
    add_agent_task(orch, "A", "codex", "offline")
    started = time.monotonic()
    serve(orch)
    assert time.monotonic() - started < 20
    (run,) = orch.queries.runs_for("A")
    assert run.status is RunStatus.FAILED
    assert run.error == f"codex cannot reach the network: {CODEX_OFFLINE}"
    assert orch.queries.get_task("A").status is S.FAILED


def test_codex_giving_up_with_a_long_message_is_cut_like_a_stderr_reason(
    orch: Orchestrator,
) -> None:
    add_agent_task(orch, "A", "codex", "offline-long")
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    whole = printable(f"codex cannot reach the network: {CODEX_OFFLINE} {LONG_STDERR}")
    assert run.error == (
        f"{whole[:500].rstrip()}… (cut at 500 characters; "
        f"`task logs A --run {run.id}` shows the whole line)"
    )
    assert "\x1b" not in (run.error or "") and "\x07" not in (run.error or "")


def _request_changes(orch: Orchestrator, key: str, comment: str) -> None:
    orch.as_actor("rita").approvals.request_changes(key, comment)


def test_a_retry_after_requested_changes_resumes_the_session_with_the_comment(
    orch: Orchestrator, record: Path
) -> None:
    add_agent_task(orch, "A", "claude", requires_approval=True)
    serve(orch)
    first = orch.queries.runs_for("A")[0]
    assert orch.queries.get_task("A").status is S.AWAITING_APPROVAL
    assert "Changes requested" not in (first.prompt or "")
    _request_changes(orch, "A", "Please also handle {{ empty }} input")
    serve(orch)
    second = orch.queries.runs_for("A")[-1]
    made = calls(record)
    assert f"--resume={first.session_id}" in made[1]["argv"]
    assert not any(a.startswith("--resume") for a in made[0]["argv"])
    assert second.session_id == first.session_id
    assert "## Changes requested by the reviewer" in (second.prompt or "")
    assert "Please also handle {{ empty }} input" in (second.prompt or "")
    assert made[1]["prompt"] == second.prompt
    assert orch.queries.get_task("A").status is S.AWAITING_APPROVAL


def test_a_run_after_a_rejection_is_reset_resumes_the_session_with_the_reason(
    orch: Orchestrator, record: Path
) -> None:
    add_agent_task(orch, "A", "claude", requires_approval=True)
    serve(orch)
    first = orch.queries.runs_for("A")[0]
    orch.as_actor("rita").approvals.reject("A", "Wrong approach: use the cache")
    assert orch.queries.get_task("A").status is S.FAILED
    orch.tasks.reset("A")
    serve(orch)
    second = orch.queries.runs_for("A")[-1]
    made = calls(record)
    assert f"--resume={first.session_id}" in made[1]["argv"]
    assert "## Rejected by the reviewer" in (second.prompt or "")
    assert "Wrong approach: use the cache" in (second.prompt or "")
    assert "Changes requested" not in (second.prompt or "")
    # Once approved, no later run is told of the old rejection.
    orch.as_actor("rita").approvals.approve("A")
    orch.tasks.reset("A")
    serve(orch)
    third = orch.queries.runs_for("A")[-1]
    assert "Rejected" not in (third.prompt or "")
    assert not any(a.startswith("--resume") for a in calls(record)[2]["argv"])


def test_hostile_task_text_reaches_the_agent_literally(orch: Orchestrator, record: Path) -> None:
    hostile = "{{ ''.__class__ }} {0.__init__} {prompt} [@click=app.quit]x[/] \x1b]52;c;aGk=\x07"
    add_agent_task(orch, "A", "claude", description=hostile)
    serve(orch)
    (call,) = calls(record)
    assert hostile in call["prompt"]
    assert call["argv"][-1] == call["prompt"]  # one argument, placeholders not expanded
    assert orch.queries.get_task("A").status is S.DONE


def test_an_unknown_profile_fails_the_task_at_once_saying_which(orch: Orchestrator) -> None:
    from orchestrator_tui.domain.agent import AgentUse
    from orchestrator_tui.domain.models import CommandSpec, TaskSpec

    command = CommandSpec(argv=["ghost"], agent=AgentUse(profile="ghost"))
    orch.tasks.create(TaskSpec(key="A", title="a", command=command, max_retries=3))
    serve(orch)
    (run,) = orch.queries.runs_for("A")  # not retried: it cannot work next time either
    assert run.error is not None
    assert run.error.startswith("agent ghost: unknown agent profile 'ghost' (known: aider, ")
    assert orch.queries.get_task("A").status is S.FAILED
