"""Questions agents ask people: one answer wins, the inbox is oldest first,
every question and answer is in the audit trail, and version-1 databases gain
the table keeping their rows."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator_tui.domain.enums import EventKind, TaskStatus
from orchestrator_tui.domain.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.store.schema import SCHEMA_VERSION

from .support import add, events_of, make_version_1, open_db


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)


def test_ask_then_answer_is_recorded_with_who_and_when(orch: Orchestrator) -> None:
    add(orch, "API")
    orch.tasks.start("API")
    bot = orch.as_actor("bot")
    asked = bot.questions.ask("API", "  Which database?  ")
    assert (asked.text, asked.asked_by, asked.is_open) == ("Which database?", "bot", True)
    assert orch.queries.list_tasks()[0].open_questions == 1
    answered = orch.questions.answer("API", "PostgreSQL")
    assert (answered.answer, answered.answered_by) == ("PostgreSQL", "alice")
    assert answered.answered_at is not None and answered.answered_at >= answered.asked_at
    assert orch.queries.list_tasks()[0].open_questions == 0
    trail = [(e.kind, e.actor, e.data) for e in events_of(orch, "API")][-2:]
    assert trail == [
        (
            EventKind.QUESTION_ASKED.value,
            "bot",
            {"question": asked.id, "message": "asked: Which database?"},
        ),
        (
            EventKind.QUESTION_ANSWERED.value,
            "alice",
            {"question": asked.id, "message": "answered: PostgreSQL"},
        ),
    ]
    timeline = [e.summary() for e in orch.queries.timeline("API")][-2:]
    assert timeline == ["asked: Which database?", "answered: PostgreSQL"]


def test_refusals_write_nothing(orch: Orchestrator) -> None:
    add(orch, "A")
    add(orch, "GONE")
    orch.tasks.transition("GONE", TaskStatus.CANCELLED)
    before = len(events_of(orch))
    with pytest.raises(ValidationFailed, match="a question needs some text"):
        orch.questions.ask("A", "   ")
    with pytest.raises(ValidationFailed, match="longer than"):
        orch.questions.ask("A", "x" * 10_001)
    with pytest.raises(InvalidTransition, match="GONE is cancelled"):
        orch.questions.ask("GONE", "still there?")
    with pytest.raises(NotFound, match="A has no open question"):
        orch.questions.answer("A", "yes")
    with pytest.raises(NotFound, match="no task 'NOPE'"):
        orch.questions.ask("NOPE", "hello?")
    assert len(events_of(orch)) == before


def test_two_people_answering_at_once_one_answer_wins(db_url: str) -> None:
    setup = open_db(db_url)
    add(setup, "A")
    question = setup.as_actor("bot").questions.ask("A", "ship it?")
    people = [open_db(db_url, actor) for actor in ("maria", "omar")]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def answer(person: Orchestrator) -> None:
        barrier.wait()
        try:
            person.questions.answer("A", f"{person.actor} says yes", question.id)
            outcomes[person.actor] = "won"
        except Conflict as exc:
            outcomes[person.actor] = str(exc)

    threads = [threading.Thread(target=answer, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winner = setup.questions.get(question.id).answered_by
    loser = ({"maria", "omar"} - {winner}).pop()
    assert outcomes[winner] == "won"
    assert (
        outcomes[loser]
        == f"A's question {question.id} was already answered by {winner}; nothing was written"
    )
    answers = [e for e in events_of(setup, "A") if e.kind == EventKind.QUESTION_ANSWERED.value]
    assert [e.actor for e in answers] == [winner]
    for o in (setup, *people):
        o.close()


def test_answering_a_task_whose_question_was_just_answered_names_who_answered(
    orch: Orchestrator,
) -> None:
    add(orch, "A")
    question = orch.as_actor("bot").questions.ask("A", "ship it?")
    orch.as_actor("maria").questions.answer("A", "yes")
    before = len(events_of(orch))
    with pytest.raises(NotFound) as refused:
        orch.as_actor("omar").questions.answer("A", "no")
    assert str(refused.value) == (
        f"A has no open question (question {question.id} was answered by maria)"
    )
    assert len(events_of(orch)) == before


def test_inbox_lists_questions_and_approvals_oldest_first(db_url: str) -> None:
    clock = Clock()
    orch = open_orchestrator(db_url, "alice", clock=clock)
    for key in ("REVIEW-OLD", "ASK-1", "REVIEW-NEW", "ASK-2"):
        add(orch, key, requires_approval=key.startswith("REVIEW"))
        orch.as_actor("worker").tasks.start(key)
    bot = orch.as_actor("bot")
    orch.as_actor("worker").tasks.complete("REVIEW-OLD")
    clock.tick()
    bot.questions.ask("ASK-1", "first question")
    clock.tick()
    orch.as_actor("worker").tasks.complete("REVIEW-NEW")
    clock.tick()
    bot.questions.ask("ASK-2", "second question")
    clock.tick()
    bot.questions.ask("ASK-1", "a follow-up")
    inbox = orch.questions.inbox()
    assert [(e.kind, e.key, e.text) for e in inbox] == [
        ("approval", "REVIEW-OLD", ""),
        ("question", "ASK-1", "first question"),
        ("approval", "REVIEW-NEW", ""),
        ("question", "ASK-2", "second question"),
        ("question", "ASK-1", "a follow-up"),
    ]
    # An approval carries the row the task list shows (the decision keys act on
    # it); a question is no task row.
    listed = {r.key: r for r in orch.queries.list_tasks()}
    assert [e.row for e in inbox] == [listed["REVIEW-OLD"], None, listed["REVIEW-NEW"], None, None]
    assert [q.text for q in orch.questions.open_questions()] == [
        "first question",
        "second question",
        "a follow-up",
    ]
    # Answering by key takes the task's oldest open question.
    assert orch.questions.answer("ASK-1", "yes").text == "first question"
    assert orch.questions.count_open() == 2 and orch.questions.count_open("ASK-1") == 1
    orch.close()


def test_wait_returns_the_answer_or_gives_up(orch: Orchestrator) -> None:
    add(orch, "A")
    question = orch.as_actor("bot").questions.ask("A", "ready?")
    naps: list[float] = []
    unanswered = orch.questions.wait(
        question.id, timeout=0.05, poll_seconds=0.01, sleep=naps.append
    )
    assert unanswered.is_open and naps and all(n <= 0.01 for n in naps)

    def answer_on_second_poll(_: float) -> None:
        if not orch.questions.get(question.id).answer:
            orch.questions.answer("A", "go ahead")

    answered = orch.questions.wait(question.id, timeout=None, sleep=answer_on_second_poll)
    assert answered.answer == "go ahead"


def test_version_1_database_gains_questions_keeping_rows(db_path: Path) -> None:
    orch = open_db(db_path)
    add(orch, "A")
    add(orch, "B", deps=["A"])
    orch.close()
    make_version_1(db_path)
    migrated = open_db(db_path)
    assert [t.key for t in migrated.queries.list_tasks()] == ["A", "B"]
    assert [b.key for b in migrated.queries.get_task("B").blockers] == ["A"]
    migrated.as_actor("bot").questions.ask("A", "works?")
    assert migrated.questions.count_open() == 1
    migrated.close()
    assert list(db_path.parent.glob(f"{db_path.name}.v1-*.bak"))
    with sqlite3.connect(db_path) as conn:
        version = conn.execute(
            "SELECT value FROM schema_meta WHERE key='schema_version'"
        ).fetchone()
    assert version == (str(SCHEMA_VERSION),)
