"""The demo plan has an agent that asks a question: run its command as the
runner would, and the inbox shows the question until a person answers it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from orchestrator_tui.runner.process import resolve_argv
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.services.plans import sample_plan_path

from .helpers import wait_for

ASKING_TASK = "PAY-19"


def test_demo_agent_asks_and_continues_with_the_answer(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    orch = open_orchestrator(db, "maria")
    orch.plans.load_file(sample_plan_path())
    command = orch.queries.get_task(ASKING_TASK).command
    assert command is not None and "--ask" in command.argv
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_TUI")}
    env.update(
        ORCHESTRATOR_TUI_TASK=ASKING_TASK,
        ORCHESTRATOR_TUI_DB=db,
        ORCHESTRATOR_TUI_ACTOR="ada",
    )
    agent = subprocess.Popen(
        resolve_argv(command.argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:

        def asked() -> int:
            assert agent.poll() is None, agent.communicate()
            return orch.questions.count_open()

        wait_for(asked, 60, "the agent's question")
        [entry] = [e for e in orch.questions.inbox() if e.kind == "question"]
        assert (entry.key, entry.who) == (ASKING_TASK, "ada")
        assert entry.text.startswith("Limit per merchant")
        orch.questions.answer(ASKING_TASK, "Per API key, 100 a second")
        out, _ = agent.communicate(timeout=60)
    finally:
        if agent.poll() is None:
            agent.kill()
        orch.close()
    assert "asking a person: Limit per merchant" in out
    assert "answer:\x1b[0m Per API key, 100 a second" in out
