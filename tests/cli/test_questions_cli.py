"""`task ask`, `task answer` and `task questions` as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..runner.helpers import wait_for
from .conftest import Cli


def start_asking(cli: Cli, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "orchestrator_tui", "--db", cli.url, "task", "ask", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**cli.env, "ORCHESTRATOR_TUI_ACTOR": "bot", **(env or {})},
    )


def wait_for_question(cli: Cli, timeout: float = 30.0) -> dict[str, object]:
    items = wait_for(lambda: cli.ok("task", "questions", "--json").json(), timeout, "a question")
    return items[0]  # type: ignore[no-any-return]


def test_ask_wait_prints_the_answer_given_from_another_process(cli: Cli, tmp_path: Path) -> None:
    cli.ok("task", "add", "Build the API", "--key", "API")
    cli.ok("task", "start", "API")
    hook_out = tmp_path / "payload.json"
    hook = tmp_path / "hook.py"
    hook.write_text(f"import sys; open({str(hook_out)!r}, 'w').write(sys.stdin.read())\n")
    asker = start_asking(
        cli,
        "Which database?",
        "--wait",
        "--poll",
        "0.05",
        env={
            "ORCHESTRATOR_TUI_TASK": "API",
            "ORCHESTRATOR_TUI_NOTIFY_CMD": f"{sys.executable} {hook}",
        },
    )
    question = wait_for_question(cli)
    assert (question["task_key"], question["asked_by"], question["text"]) == (
        "API",
        "bot",
        "Which database?",
    )
    listing = cli.ok("task", "questions").out
    assert "API" in listing and "Which database?" in listing
    assert asker.poll() is None, "ask --wait returned before the answer"
    cli.ok("task", "answer", "API", "PostgreSQL 16\x1b]52;c;aGk=\x07")
    out, err = asker.communicate(timeout=60)
    assert (asker.returncode, out, err) == (0, "PostgreSQL 16\n", "")
    payload = json.loads(hook_out.read_text())
    assert payload["event"] == "question" and payload["task"] == "API"
    assert payload["question"] == "Which database?" and payload["agent"] == "bot"
    assert cli.ok("task", "questions").out == "no question is waiting for an answer\n"
    history = cli.ok("task", "questions", "--task", "API", "--json").json()
    assert [(q["answered_by"], q["answer"]) for q in history] == [  # type: ignore[index]
        ("alice", "PostgreSQL 16\x1b]52;c;aGk=\x07")
    ]
    timeline = cli.ok("task", "timeline", "API").out
    assert "question_asked" in timeline and "question_answered" in timeline


def test_ask_timeout_exits_9_and_leaves_the_question_open(cli: Cli) -> None:
    cli.ok("task", "add", "Build the API", "--key", "API")
    result = cli("--as", "bot", "task", "ask", "API", "Anyone there?", "--timeout", "0.3")
    assert result.code == 9 and result.out == ""
    assert result.err == "error: no answer to question 1 on API within 0.3s; it stays open\n"
    [question] = cli.ok("task", "questions", "--json").json()  # type: ignore[misc]
    assert question["text"] == "Anyone there?" and question["answer"] is None


def test_a_negative_timeout_is_refused_before_anything_is_asked(cli: Cli) -> None:
    cli.ok("task", "add", "Build the API", "--key", "API")
    for value in ("-1", "nan"):
        assert cli.fails(2, "task", "ask", "API", "Port?", "--timeout", value) == (
            f"error: argument --timeout: must be a number of seconds, 0 or more, not {value}"
            " (see `orchestrator-tui task ask --help`)"
        )
    assert cli.ok("task", "questions", "--json").json() == []


def test_ask_without_wait_and_refusals(cli: Cli) -> None:
    cli.ok("task", "add", "Build the API", "--key", "API")
    assert cli.ok("task", "ask", "API", "Which port?").out == "API: question 1 asked\n"
    assert cli.ok("task", "answer", "API", "8080").out == "API: question 1 answered\n"
    assert cli.fails(3, "task", "answer", "API", "again") == (
        "error: API has no open question (question 1 was answered by alice)"
    )
    # Arguments missing or too many are usage errors, as argparse's own are (exit 2).
    assert cli.fails(2, "task", "ask", "Which key?").startswith("error: which task?")
    assert cli.fails(2, "task", "ask", "API", "Which", "key?").startswith("error: give KEY")
    assert cli.fails(7, "task", "ask", "API", "  ") == "error: a question needs some text"
    assert cli.fails(3, "task", "ask", "NOPE", "hello?").startswith("error: no task 'NOPE'")
    code_help = cli.ok("--help").out
    assert "9  timed out waiting" in code_help


def test_a_command_run_by_the_runner_asks_through_the_runners_hooks(
    cli: Cli, tmp_path: Path
) -> None:
    log = tmp_path / "notified.jsonl"
    hook = tmp_path / "hook.py"
    hook.write_text(
        f"import sys\nwith open({str(log)!r}, 'a') as f: f.write(sys.stdin.read() + '\\n')\n"
    )
    cli.ok(
        "task", "add", "Ask and give up", "--key", "ASK", "--",
        "orchestrator-tui", "task", "ask", "Anyone?", "--timeout", "0.2",
    )  # fmt: skip
    ran = cli("run", "--until-idle", "--agent", "night", "--notify-cmd", f"{sys.executable} {hook}")
    assert ran.code == 10, ran.err  # the command gave up, so its task failed
    events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    asked = [e for e in events if e["event"] == "question"]
    assert [(e["task"], e["question"], e["agent"]) for e in asked] == [("ASK", "Anyone?", "night")]
    failed = [e for e in events if e["event"] == "failed"]
    assert [e["exit_code"] for e in failed] == [9]  # the command's own timeout exit code


def test_a_question_closes_with_its_task_and_its_asker_is_told(cli: Cli) -> None:
    cli.ok("task", "add", "Build the API", "--key", "API")
    cli.ok("task", "start", "API")
    asker = start_asking(cli, "API", "Which database?", "--timeout", "60", "--poll", "0.05")
    question = wait_for_question(cli)
    cli.ok("task", "cancel", "API", "--reason", "not needed")
    out, err = asker.communicate(timeout=60)
    refusal = (
        f"error: API's question {question['id']} was closed when API ended (it is cancelled): "
        "nobody waits for its answer"
    )
    assert (asker.returncode, out, err) == (4, "", refusal + "\n")
    assert cli.ok("task", "questions").out == "no question is waiting for an answer\n"
    [closed] = cli.ok("task", "questions", "--task", "API", "--json").json()  # type: ignore[misc]
    assert closed["answer"] is None and closed["closed_at"] is not None
    assert "(closed unanswered)" in cli.ok("task", "questions", "--task", "API").out
    before = cli.events()
    assert cli.fails(
        4, "task", "answer", "API", "PostgreSQL", "--question", str(question["id"])
    ) == (refusal + "; nothing was written")
    assert cli.fails(3, "task", "answer", "API", "PostgreSQL") == (
        f"error: API has no open question (question {question['id']} was closed unanswered "
        "when its work ended)"
    )
    assert cli.events() == before
    timeline = cli.ok("task", "timeline", "API").out
    assert f"question {question['id']} closed unanswered: API is cancelled" in timeline
