"""An agent that ends its turn with a question waits for the answer, and the
answer continues its session: the fake agent asks with `task ask` (no --wait)
and ends its turn; the task waits, blocked, until a person answers; the next
run resumes the same session with the answer in its prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator_tui.domain.enums import RunStatus, TaskStatus
from orchestrator_tui.services import Orchestrator, TaskFilter

from .fake_agent import QUESTION
from .helpers import add_agent_task, calls, cli_here, serve

S = TaskStatus


def test_a_question_at_the_end_of_a_turn_waits_for_the_answer_then_resumes_the_session(
    orch: Orchestrator, record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On each backend (tests/databases.py)."""
    ask_answer_resume(orch, record, capsys)


def ask_answer_resume(orch: Orchestrator, record: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_agent_task(orch, "A", "claude", "ask", requires_approval=True)
    serve(orch)

    (first,) = orch.queries.runs_for("A")
    assert first.status is RunStatus.SUCCEEDED
    assert first.session_id
    (question,) = orch.questions.open_questions()
    assert (question.task_key, question.text, question.asked_by) == ("A", QUESTION, "test-runner")
    task = orch.queries.get_task("A")
    assert task.status is S.BLOCKED  # not done, not awaiting approval: waiting for a person
    (row,) = orch.queries.list_tasks(TaskFilter())
    assert row.open_questions == 1
    assert [(e.kind, e.key) for e in orch.questions.inbox()] == [("question", "A")]
    moved = orch.queries.timeline("A")[-1]
    assert moved.data["to"] == "blocked"
    assert moved.data["reason"] == f"waiting for an answer to question {question.id}"

    code, out, _ = cli_here(capsys, orch.db.url, "task", "answer", "A", "Store credit, {{ x }}")
    assert code == 0, out
    assert orch.queries.get_task("A").status is S.PENDING
    assert orch.questions.open_questions() == []

    serve(orch)
    second = orch.queries.runs_for("A")[-1]
    first_call, second_call = calls(record)
    assert not any(a.startswith("--resume") for a in first_call["argv"])
    assert f"--resume={first.session_id}" in second_call["argv"]
    assert second.session_id == first.session_id
    assert "## Answers to your questions" in second_call["prompt"]
    assert f"Q: {QUESTION}\nA (alice): Store credit, {{{{ x }}}}" in second_call["prompt"]
    assert second_call["prompt"] == second.prompt
    assert "## Answers to your questions" not in (first.prompt or "")
    assert orch.queries.get_task("A").status is S.AWAITING_APPROVAL


def test_a_run_that_ended_on_a_question_says_so_where_it_ended_as_its_task_does(
    orch: Orchestrator, capsys: pytest.CaptureFixture[str]
) -> None:
    # Its log closed with "run 1 succeeded (exit 0)" while its task was blocked.
    add_agent_task(orch, "A", "claude", "ask")
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    (question,) = orch.questions.open_questions()
    waiting = f"waiting for an answer to question {question.id}"
    assert orch.queries.get_task("A").status is S.BLOCKED
    assert run.status is RunStatus.SUCCEEDED  # the agent ended its turn well
    said = f"run {run.id} ended on a question (exit 0): {waiting}"
    assert run.ending() == said  # the log pane's closing line
    finished, moved = orch.queries.timeline("A")[-2:]
    assert (finished.summary(), moved.data["reason"]) == (said, waiting)
    code, out, _ = cli_here(capsys, orch.db.url, "task", "show", "A")
    assert code == 0 and f"last run   #{run.id} ended on a question (exit 0): {waiting}" in out
    code, out, _ = cli_here(capsys, orch.db.url, "task", "runs", "A")
    assert f"({waiting})" in out.splitlines()[1]
    orch.questions.answer("A", "Store credit")  # the answer moves the task on
    serve(orch)
    assert orch.queries.get_task("A").status is S.DONE
    assert orch.queries.runs_for("A")[-1].ending() == f"run {run.id + 1} succeeded (exit 0)"


def test_the_task_waits_until_every_question_it_ended_on_is_answered(
    orch: Orchestrator, record: Path
) -> None:
    add_agent_task(orch, "A", "claude", "ask")
    serve(orch)
    orch.as_actor("test-runner").questions.ask("A", "And the currency?")
    orch.as_actor("maria").questions.answer("A", "Store credit")
    assert orch.queries.get_task("A").status is S.BLOCKED  # one still open
    orch.as_actor("maria").questions.answer("A", "EUR")
    assert orch.queries.get_task("A").status is S.PENDING
    serve(orch)
    assert orch.queries.get_task("A").status is S.DONE
    prompt = calls(record)[-1]["prompt"]
    assert "A (maria): Store credit" in prompt and "A (maria): EUR" in prompt
    (by_answer,) = [e for e in orch.queries.timeline("A") if e.data.get("to") == "pending"]
    assert by_answer.actor == "maria"  # the last answer moved it, as its author
    assert by_answer.data["reason"] == f"question {by_answer.data['questions'][0]} answered"


def test_answering_a_task_a_person_blocked_leaves_it_blocked(orch: Orchestrator) -> None:
    add_agent_task(orch, "A", "claude", "ask")
    serve(orch)
    orch.tasks.transition("A", S.PENDING, reason="go on without")
    orch.tasks.transition("A", S.BLOCKED, reason="the vendor is down")
    orch.questions.answer("A", "Store credit")
    assert orch.queries.get_task("A").status is S.BLOCKED


def test_undoing_a_cancel_of_a_task_waiting_for_answers_makes_it_wait_again(
    orch: Orchestrator, record: Path
) -> None:
    add_agent_task(orch, "A", "claude", "ask")
    serve(orch)
    (question,) = orch.questions.open_questions()
    orch.tasks.transition("A", S.CANCELLED, reason="not needed")
    assert orch.questions.get(question.id).is_closed
    assert orch.tasks.undo_last().status is S.BLOCKED
    assert [(e.kind, e.question_id) for e in orch.questions.inbox()] == [("question", question.id)]
    orch.as_actor("maria").questions.answer("A", "Store credit")
    assert orch.queries.get_task("A").status is S.PENDING  # the answer lets it go on
    serve(orch)
    assert orch.queries.get_task("A").status is S.DONE
    assert "A (maria): Store credit" in calls(record)[-1]["prompt"]


def test_the_demo_agent_ends_its_turn_on_a_question_and_resumes_with_the_answer(
    orch: Orchestrator,
) -> None:
    from orchestrator_tui.domain.agent import AgentUse
    from orchestrator_tui.domain.models import CommandSpec, TaskSpec

    args = ["--seconds", "0.2", "--fail-chance", "0", "--seed", "3", "--ask", "EU or UK too?"]
    use = AgentUse(profile="simulated", args=args)
    command = CommandSpec(argv=["orchestrator-tui"], agent=use)
    orch.tasks.create(TaskSpec(key="REG", title="Summarise guidance", command=command))
    serve(orch)
    assert orch.queries.get_task("REG").status is S.BLOCKED
    (question,) = orch.questions.open_questions()
    assert question.text == "EU or UK too?"
    first = orch.queries.runs_for("REG")[0]
    assert first.summary == "Before I change anything: EU or UK too?"
    orch.as_actor("maria").questions.answer("REG", "Both, please")
    serve(orch)
    second = orch.queries.runs_for("REG")[-1]
    assert "A (maria): Both, please" in (second.prompt or "")
    lines = [v.text for v in orch.queries.log_lines(second.id, limit=1000)]
    # only said when started with --resume=SESSION
    assert "Resuming session for REG. Going on with the answer: A (maria): Both, please" in lines
    assert orch.queries.get_task("REG").status is S.DONE


def test_verify_waits_for_the_run_that_goes_on_after_the_answer(orch: Orchestrator) -> None:
    from orchestrator_tui.domain.agent import AgentUse
    from orchestrator_tui.domain.models import CommandSpec, TaskSpec

    from .helpers import FAKE, fake_profile

    use = AgentUse(profile="fake", args=["--scenario", "ask"], definition=fake_profile("claude"))
    command = CommandSpec(argv=[FAKE], agent=use, verify=[["false"]], on_verify_fail="fail")
    orch.tasks.create(TaskSpec(key="A", title="a", command=command))
    serve(orch)
    assert orch.queries.get_task("A").status is S.BLOCKED  # not failed by verify
    first = orch.queries.runs_for("A")[0]
    said = [v.text for v in orch.queries.log_lines(first.id, limit=1000)]
    assert "the agent asked a person: verify and merge wait for the run that goes on" in said
    assert not any(line.startswith("verify:") for line in said)
    orch.questions.answer("A", "Store credit")
    serve(orch)
    second = orch.queries.runs_for("A")[-1]
    assert any(v.text == "verify: false" for v in orch.queries.log_lines(second.id, limit=1000))
    assert orch.queries.get_task("A").status is S.FAILED  # now verify had its say


def test_an_agent_that_fails_after_asking_fails_its_task(orch: Orchestrator) -> None:
    add_agent_task(orch, "A", "claude", "error", max_retries=0)
    orch.as_actor("test-runner").questions.ask("A", "asked before the run")
    serve(orch)
    assert orch.queries.get_task("A").status is S.FAILED
