"""Answering the questions agents ask: a prompt like the reject comment's,
from the inbox and from the task list. Mixed into screens next to `TaskActions`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...domain.errors import Conflict, InvalidTransition
from ...domain.rules import no_open_question
from ..db import run_db
from ..messages import DataMessage
from ..render import about_task, safe
from .actions import TaskChanged

if TYPE_CHECKING:
    from textual.screen import Screen

    from ...domain.models import QuestionView
    from ...services import Orchestrator
    from ..modals.prompt import TextPrompt


class QuestionLoaded(DataMessage):
    """The oldest open question of a task (None: it has none any more)."""

    key: str
    question: QuestionView | None


class AnsweredElsewhere(DataMessage):
    """Someone else answered the question while the prompt was open, or it closed
    with its task: the person's answer was not recorded (`text` says why)."""

    text: str


def answer_prompt(question: QuestionView) -> TextPrompt:
    from ..modals.prompt import TextPrompt  # (dialogs load when first opened)

    message = about_task(
        question.task_key, question.task_title, f"{safe(question.asked_by, 40)} asks: "
    )
    message.append(safe(question.text, 2000), "bold")
    return TextPrompt(
        f"Answer {question.task_key}",
        message,
        placeholder="your answer (the agent gets it as written)",
        ok_label="Answer",
    )


class QuestionActions:
    """Ask the person for an answer and record it as them."""

    def answer_question(self, question: QuestionView) -> None:
        screen: Screen[Any] = self  # type: ignore[assignment]
        key, question_id = question.task_key, question.id

        def answered(reply: str | None) -> None:
            if not (reply and reply.strip()):
                return

            def record(orch: Orchestrator) -> TaskChanged | AnsweredElsewhere:
                try:
                    done = orch.questions.answer(key, reply, question_id)
                except (Conflict, InvalidTransition) as lost:  # answered, or closed
                    return AnsweredElsewhere(str(lost))
                note = f"{key}: question {done.id} answered"
                return TaskChanged(orch.queries.get_task(key), note)

            run_db(screen, record, lambda m: m)

        screen.app.push_screen(answer_prompt(question), answered)

    def answer_oldest(self, key: str) -> None:
        """Load the task's oldest open question, then ask for the answer."""

        def oldest(orch: Orchestrator) -> QuestionLoaded:
            waiting = [q for q in orch.questions.for_task(key) if q.is_open]
            return QuestionLoaded(key, waiting[0] if waiting else None)

        run_db(self, oldest, lambda m: m)  # type: ignore[arg-type]

    def on_answered_elsewhere(self, message: AnsweredElsewhere) -> None:
        message.stop()
        screen: Screen[Any] = self  # type: ignore[assignment]
        screen.notify(message.text, severity="warning", markup=False)

    def on_question_loaded(self, message: QuestionLoaded) -> None:
        message.stop()
        if message.question is None:
            screen: Screen[Any] = self  # type: ignore[assignment]
            screen.notify(no_open_question(message.key), markup=False)
            return
        self.answer_question(message.question)
