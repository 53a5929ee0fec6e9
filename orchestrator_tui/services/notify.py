"""Telling people when a task needs them: it awaits approval, failed for good, or
its agent asked a question.

Two hooks, either or both: a command (an argument list; the JSON payload on its
stdin) and a webhook URL (the payload POSTed as JSON). Hooks run in a small
thread pool; one that fails or hangs is logged and never stops the caller.
The runner sends the payloads of settled runs (`runner/notify.py`); asking a
person (`task ask`, the MCP `ask_question` tool, the demo agent) happens here.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import threading
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..config import NOTIFY_CMD_ENV, WEBHOOK_ENV
from ..domain.models import QuestionView
from ..program import resolve_argv

if TYPE_CHECKING:
    from . import Orchestrator

log = logging.getLogger("orchestrator_tui.notify")

AWAITING_APPROVAL = "awaiting_approval"
FAILED = "failed"
QUESTION = "question"


def question_payload(question: QuestionView) -> dict[str, Any]:
    """The JSON payload telling people an agent asked a question."""
    return {
        "event": QUESTION,
        "text": f"Task {question.task_key}: {question.asked_by} asks: {question.text}",
        "task": question.task_key,
        "title": question.task_title,
        "question_id": question.id,
        "question": question.text,
        "agent": question.asked_by,
        "at": question.asked_at.isoformat(),
    }


def env_hooks() -> tuple[list[str] | None, str | None]:
    """The hooks named by $ORCHESTRATOR_TUI_NOTIFY_CMD and $ORCHESTRATOR_TUI_WEBHOOK."""
    cmd = os.environ.get(NOTIFY_CMD_ENV, "").strip()
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    return (shlex.split(cmd) if cmd else None), (url or None)


def notify_question(question: QuestionView, timeout: float = 10.0) -> None:
    """Deliver the question's notification through the environment's hooks and wait
    for it (a command that asks may exit right after)."""
    command, webhook = env_hooks()
    notifier = Notifier(command, webhook, timeout)
    if notifier.enabled:
        notifier.send(question_payload(question))
        notifier.close()


def ask_person(orch: Orchestrator, key: str, text: str) -> QuestionView:
    """Ask a person about the task `key` as `orch`'s actor, and notify: what
    `task ask`, the MCP `ask_question` tool and the demo agent all do."""
    question = orch.questions.ask(key, text)
    notify_question(question)
    return question


class Notifier:
    def __init__(
        self, command: list[str] | None, webhook: str | None, timeout: float = 10.0
    ) -> None:
        self.command = resolve_argv(command) if command else None
        self.webhook = webhook
        self.timeout = timeout
        self._pool: ThreadPoolExecutor | None = None
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.command or self.webhook)

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver in the background; returns at once."""
        if not self.enabled:
            return
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="notify")
            future = self._pool.submit(self._deliver, payload)
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _deliver(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        if self.command:
            try:
                done = subprocess.run(
                    self.command,
                    input=body,
                    capture_output=True,
                    timeout=self.timeout,
                    check=False,
                )
                if done.returncode != 0:
                    err = done.stderr.decode(errors="replace").strip()[-500:]
                    log.warning(
                        "notify command %s exited %s: %s", self.command[0], done.returncode, err
                    )
            except (OSError, subprocess.SubprocessError) as exc:
                log.warning("notify command %s failed: %s", self.command[0], exc)
        if self.webhook:
            request = urllib.request.Request(
                self.webhook,
                data=body,
                headers={"Content-Type": "application/json", "User-Agent": "orchestrator-tui"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read(1024)
            except Exception as exc:  # any failure of a hook is logged, never raised
                log.warning("webhook %s failed: %s", self.webhook, exc)

    def drain(self, timeout: float | None = None) -> None:
        """Wait for deliveries in flight (at most `timeout` seconds each)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            try:
                future.result(timeout=timeout)
            except Exception as exc:
                log.warning("notification not delivered: %s", exc)

    def close(self) -> None:
        self.drain(self.timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
