"""`orchestrator-tui task ask | answer | questions`: agents ask, people answer."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from ..config import TASK_ENV
from ..domain.errors import InvalidTransition, TimedOut, UsageError
from ..domain.text import printable
from .common import emit_json, open_from_args, positive_seconds, say, seconds, table, wants_json
from .run_cmds import _task_subcommands

if TYPE_CHECKING:
    from ..domain.models import QuestionView


def _key_and_text(words: list[str]) -> tuple[str, str]:
    if len(words) == 2:
        return words[0], words[1]
    if len(words) == 1:
        key = os.environ.get(TASK_ENV, "").strip()
        if not key:
            raise UsageError(f"which task? give KEY QUESTION, or run it with ${TASK_ENV} set")
        return key, words[0]
    raise UsageError("give KEY QUESTION (quote the question)")


def _answer_text(question: QuestionView) -> str:
    text = question.answer or ""
    return "\n".join(printable(line) for line in text.splitlines())


def _answer_cell(question: QuestionView) -> str:
    if question.is_closed:
        return "(closed unanswered)"
    return "-" if question.is_open else f"{question.answered_by}: {question.answer}"


def cmd_ask(args: argparse.Namespace) -> int:
    from ..services.notify import ask_person

    key, text = _key_and_text(args.words)
    orch = open_from_args(args)
    question = ask_person(orch, key, text)
    wait = args.wait or args.timeout is not None
    if not wait:
        if wants_json(args):
            emit_json(question)
        else:
            say(f"{question.task_key}: question {question.id} asked")
        return 0
    answered = orch.questions.wait(question.id, args.timeout, poll_seconds=args.poll)
    if answered.is_closed:
        raise InvalidTransition(orch.questions.closed_refusal(answered))
    if answered.is_open:
        raise TimedOut(
            f"no answer to question {question.id} on {question.task_key} within "
            f"{args.timeout:g}s; it stays open"
        )
    if wants_json(args):
        emit_json(answered)
    else:
        say(_answer_text(answered))
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    question = open_from_args(args).questions.answer(args.key, args.text, args.question)
    if wants_json(args):
        emit_json(question)
    else:
        say(f"{question.task_key}: question {question.id} answered")
    return 0


def cmd_questions(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    items = orch.questions.for_task(args.task) if args.task else orch.questions.open_questions()
    if wants_json(args):
        emit_json(items)
        return 0
    if not items:
        say("no question is waiting for an answer")
        return 0
    table(
        ["ID", "KEY", "ASKED", "BY", "ANSWER", "QUESTION"],
        (
            [
                q.id,
                q.task_key,
                f"{q.asked_at:%Y-%m-%d %H:%M}",
                q.asked_by,
                _answer_cell(q),
                q.text,
            ]
            for q in items
        ),
    )
    return 0


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    ts = _task_subcommands(sub)

    p = ts.add_parser(
        "ask",
        parents=parents,
        help="ask a person a question about a task (KEY defaults to $ORCHESTRATOR_TUI_TASK)",
        description="Ask a person a question; it shows in the TUI's inbox. With --wait, "
        "print the answer once given. Exit 9 when --timeout passes unanswered, exit 4 "
        "when the question closes because the task's work ended.",
    )
    p.add_argument("words", nargs="+", metavar="[KEY] QUESTION")
    p.add_argument("--wait", action="store_true", help="wait for the answer and print it")
    p.add_argument(
        "--timeout",
        type=seconds,
        default=None,
        metavar="SECONDS",
        help="give up waiting after this long (implies --wait; exit 9)",
    )
    p.add_argument("--poll", type=positive_seconds, default=0.5, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_ask)

    p = ts.add_parser("answer", parents=parents, help="answer a task's oldest open question")
    p.add_argument("key")
    p.add_argument("text")
    p.add_argument("--question", type=int, metavar="ID", help="answer this question instead")
    p.set_defaults(handler=cmd_answer)

    p = ts.add_parser(
        "questions", parents=parents, help="questions waiting for an answer, oldest first"
    )
    p.add_argument("--task", metavar="KEY", help="every question of one task, answered or not")
    p.set_defaults(handler=cmd_questions)
