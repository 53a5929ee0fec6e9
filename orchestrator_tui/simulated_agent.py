"""The demo's simulated agent (`orchestrator-tui simulate`): a program of its
own, a real child process that behaves like a coding agent.

It works through stages (planning, reading, changing, testing, summing up),
printing coloured lines to stdout and the odd warning to stderr over a given
number of seconds, reports progress on its task through the services when the
runner told it which task it is on (ORCHESTRATOR_TUI_TASK, ORCHESTRATOR_TUI_DB),
declares outputs with `::output` lines, and fails now and then. Given `--ask`,
it asks a person that question while planning and waits for the answer (shown
in the TUI's inbox), as a real agent unsure of something would; with
`--stream-json` it asks without waiting and ends its turn on the question,
and resumed (`--resume`) it goes on with the answer its prompt brings.

Whether a run fails is decided by `--fail-chance` with a generator seeded from
`--seed`, the task key and the attempt number: the same plan behaves the same
way every time, and a retry of a failed attempt may succeed.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .config import ACTOR_ENV, ATTEMPT_ENV, DB_ENV, TASK_ENV, WORKSPACE_ENV

BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
RED, GREEN, YELLOW, BLUE, CYAN = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[36m"

STAGES = ("planning", "reading the code", "making changes", "running tests", "summing up")
_FILES = ("api/charges.py", "worker/retry.py", "models/card.py", "db/migrate.py", "ui/checkout.ts")
#: The one file it really edits, in a task's worktree only (nowhere else it writes).
NOTES_FILE = "simulated-agent.md"
_TESTS = ("test_charge_flow", "test_refunds", "test_idempotency", "test_webhooks", "test_tokens")


@dataclass(frozen=True)
class Simulation:
    seconds: float = 4.0
    fail_chance: float = 0.15
    seed: int | None = None
    lines: int = 40
    exit_code: int = 1
    ask: str | None = None
    ask_timeout: float = 600.0
    #: Speak Claude Code's `--output-format stream-json` instead of coloured text.
    stream_json: bool = False
    #: The session to continue (as `claude --resume`), with --stream-json.
    resume: str | None = None


class _Reporter:
    """Progress through the services, when running under a runner."""

    def __init__(self) -> None:
        self.key = os.environ.get(TASK_ENV)
        self._orch: Any = None
        if self.key and os.environ.get(DB_ENV):
            try:
                from .services import open_orchestrator

                actor = os.environ.get(ACTOR_ENV) or "simulated-agent"
                self._orch = open_orchestrator(os.environ[DB_ENV], actor)
            except Exception as exc:
                print(f"{YELLOW}warning:{RESET} cannot report progress: {exc}", file=sys.stderr)

    def progress(self, percent: int, message: str) -> None:
        if self._orch is None or self.key is None:
            return
        try:
            self._orch.collab.progress(self.key, percent, message)
        except Exception as exc:  # progress is a courtesy; the work goes on
            print(f"{YELLOW}warning:{RESET} progress not recorded: {exc}", file=sys.stderr)

    def ask(self, text: str, timeout: float | None) -> str | None:
        """Ask a person and wait for the answer (None: nobody answered in time);
        with no `timeout`, ask without waiting."""
        if self._orch is None or self.key is None:
            return None
        try:
            from .services.notify import ask_person

            question = ask_person(self._orch, self.key, text)
            if timeout is None:
                return None
            return self._orch.questions.wait(question.id, timeout).answer
        except Exception as exc:  # a question is a courtesy too; the work goes on
            print(f"{YELLOW}warning:{RESET} question not asked: {exc}", file=sys.stderr)
            return None

    def close(self) -> None:
        if self._orch is not None:
            self._orch.close()


def _line(rng: random.Random, stage: str) -> tuple[str, TextIO]:
    f, t = rng.choice(_FILES), rng.choice(_TESTS)
    if stage == "planning":
        return (
            f"  {DIM}considering{RESET} {f}: {rng.choice(('small', 'medium'))} change",
            sys.stdout,
        )
    if stage == "reading the code":
        return f"  {BLUE}read{RESET} {f} ({rng.randint(40, 900)} lines)", sys.stdout
    if stage == "making changes":
        if rng.random() < 0.15:
            return f"{YELLOW}warning:{RESET} {f} has no type hints here", sys.stderr
        return (
            f"  {GREEN}+{rng.randint(1, 40)}{RESET} {RED}-{rng.randint(0, 12)}{RESET} {f}",
            sys.stdout,
        )
    if stage == "running tests":
        return f"  {GREEN}✓{RESET} {t} {DIM}({rng.randint(5, 900)}ms){RESET}", sys.stdout
    return f"  {DIM}note:{RESET} touched {f}", sys.stdout


def _ask(reporter: _Reporter, sim: Simulation) -> None:
    print(f"  {YELLOW}?{RESET} asking a person: {sim.ask} (waiting for the answer)", flush=True)
    answer = reporter.ask(sim.ask or "", sim.ask_timeout)
    if answer is None:
        print(f"{YELLOW}warning:{RESET} no answer; going with my best guess", file=sys.stderr)
    else:
        first = answer.splitlines()[0] if answer.strip() else answer
        print(f"  {GREEN}answer:{RESET} {first[:200]}", flush=True)


def simulate(sim: Simulation) -> int:
    if sim.stream_json:
        return _simulate_stream_json(sim)
    key = os.environ.get(TASK_ENV, "standalone")
    attempt = os.environ.get(ATTEMPT_ENV, "1")
    rng = random.Random(f"{sim.seed}:{key}:{attempt}") if sim.seed is not None else random.Random()
    fails = rng.random() < sim.fail_chance
    total = max(sim.lines, len(STAGES))
    fail_at = rng.randint(total // 2, total - 1) if fails else None
    pause = max(sim.seconds, 0.0) / total
    reporter = _Reporter()
    print(f"{BOLD}simulated agent{RESET} on {key}, attempt {attempt}", flush=True)
    try:
        for n in range(total):
            stage = STAGES[n * len(STAGES) // total]
            if n == 0 or STAGES[(n - 1) * len(STAGES) // total] != stage:
                print(f"{BOLD}{CYAN}▶ {stage}{RESET}", flush=True)
                reporter.progress(n * 100 // total, stage)
            if n == 0 and sim.ask:
                _ask(reporter, sim)
            if n == fail_at:
                print(
                    f"{RED}{BOLD}error:{RESET} {stage} failed: {rng.choice(_TESTS)} raised "
                    "AssertionError",
                    file=sys.stderr,
                    flush=True,
                )
                return sim.exit_code
            text, stream = _line(rng, stage)
            print(text, file=stream, flush=True)
            time.sleep(pause)
        reporter.progress(100, "finished")
        print(f"::output files_changed={rng.randint(1, 9)}", flush=True)
        print(f"::output tests_passed={rng.randint(10, 200)}", flush=True)
        print(f"::output-uri https://example.invalid/{key}/pull/{rng.randint(10, 999)}", flush=True)
        print(f"{GREEN}{BOLD}done{RESET}", flush=True)
        return 0
    finally:
        reporter.close()


# -- Claude Code's stream-json shape --------------------------------------------------

MODEL = "simulated-sonnet"
_USD_PER_INPUT_TOKEN, _USD_PER_OUTPUT_TOKEN = 3e-6, 15e-6


def _emit(event: dict[str, Any]) -> None:
    print(json.dumps(event), flush=True)


def _tool_call(rng: random.Random, stage: str) -> tuple[str, dict[str, str]]:
    f = rng.choice(_FILES)
    if stage == "reading the code":
        return "Read", {"file_path": f}
    if stage == "making changes":
        return "Edit", {"file_path": f}
    if stage == "running tests":
        return "Bash", {"command": f"pytest -q -k {rng.choice(_TESTS)}"}
    if stage == "planning":
        return "Grep", {"pattern": rng.choice(("charge", "refund", "token", "retry"))}
    return "TodoWrite", {"description": "summing up"}


def _worktree() -> Path | None:
    """The task's worktree when the runner runs it in one (its working directory)."""
    where = os.environ.get(WORKSPACE_ENV)
    if not where or not Path(where).is_dir() or Path(where).resolve() != Path.cwd().resolve():
        return None
    return Path(where)


def _edit(worktree: Path, key: str, attempt: str, file_path: str) -> None:
    """Really change the worktree, so the approver's diff shows what it says it did."""
    notes = worktree / NOTES_FILE
    head = "" if notes.exists() else "# Work of the simulated agent\n\n"
    with notes.open("a", encoding="utf-8") as f:
        f.write(f"{head}- {key} attempt {attempt}: {file_path}\n")


def _simulate_stream_json(sim: Simulation) -> int:
    """The same staged work, printed as Claude Code's streamed JSON events:
    init, assistant messages with text and tool calls (and usage), tool
    results, and a final `result` with tokens and cost (an error result when
    the run fails). In a task's worktree its edits are real: each appends a
    line to NOTES_FILE, and the summary names that one file changed."""
    key = os.environ.get(TASK_ENV, "standalone")
    attempt = os.environ.get(ATTEMPT_ENV, "1")
    rng = random.Random(f"{sim.seed}:{key}:{attempt}") if sim.seed is not None else random.Random()
    session = sim.resume or str(uuid.UUID(int=rng.getrandbits(128), version=4))
    prompt = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    fails = rng.random() < sim.fail_chance
    total = max(sim.lines // 4, len(STAGES))
    fail_at = rng.randint(total // 2, total - 1) if fails else None
    pause = max(sim.seconds, 0.0) / total
    reporter = _Reporter()
    worktree = _worktree()
    edited = False
    tokens_in = tokens_out = 0
    _emit({"type": "system", "subtype": "init", "session_id": session, "model": MODEL})
    first = next((line for line in prompt.splitlines() if line.strip()), "")
    opening = f"Resuming session for {key}." if sim.resume else f"Starting on {key}."
    answer = next((line for line in prompt.splitlines() if line.startswith("A (")), "")
    if sim.resume and answer:
        first = f"Going on with the answer: {answer[:160]}"
    if sim.ask and not sim.resume:
        try:
            return _end_turn_asking(sim, session, reporter, rng, first)
        finally:
            reporter.close()
    try:
        for n in range(total + 1):
            stage = STAGES[min(n * len(STAGES) // total, len(STAGES) - 1)]
            used_in, used_out = rng.randint(800, 3000), rng.randint(40, 400)
            tokens_in, tokens_out = tokens_in + used_in, tokens_out + used_out
            content: list[dict[str, Any]] = []
            if n == 0:
                content.append({"type": "text", "text": f"{opening} {first[:160]}".strip()})
            if n < total:
                name, args = _tool_call(rng, stage)
                if name == "Edit" and worktree is not None:
                    _edit(worktree, key, attempt, args["file_path"])
                    edited = True
                content.append({"type": "tool_use", "id": f"t{n}", "name": name, "input": args})
            else:
                content.append({"type": "text", "text": "All done; the tests pass."})
            _emit(
                {
                    "type": "assistant",
                    "session_id": session,
                    "message": {
                        "id": f"msg_{n}",
                        "model": MODEL,
                        "content": content,
                        "usage": {"input_tokens": used_in, "output_tokens": used_out},
                    },
                }
            )
            if n == 0 or stage != STAGES[min((n - 1) * len(STAGES) // total, len(STAGES) - 1)]:
                reporter.progress(n * 100 // (total + 1), stage)
            if n == fail_at:
                return _finish(sim, session, n + 1, tokens_in, tokens_out, failed=True, rng=rng)
            if n < total:
                body = {"type": "tool_result", "tool_use_id": f"t{n}", "content": "ok"}
                _emit({"type": "user", "session_id": session, "message": {"content": [body]}})
            time.sleep(pause)
        reporter.progress(100, "finished")
        print(f"::output files_changed={1 if edited else rng.randint(1, 9)}", flush=True)
        print(f"::output-uri https://example.invalid/{key}/pull/{rng.randint(10, 999)}", flush=True)
        return _finish(
            sim,
            session,
            total + 1,
            tokens_in,
            tokens_out,
            failed=False,
            rng=rng,
            changed=f"1 file ({NOTES_FILE})" if edited else None,
        )
    finally:
        reporter.close()


def _end_turn_asking(
    sim: Simulation, session: str, reporter: _Reporter, rng: random.Random, first: str
) -> int:
    """Ask a person (without waiting) and end the turn on the question."""
    reporter.ask(sim.ask or "", None)
    used_in, used_out = rng.randint(800, 3000), rng.randint(40, 400)
    text = f"Before I change anything: {sim.ask}"
    content = [{"type": "text", "text": f"{first[:160]}".strip() or "Planning."}]
    content.append({"type": "text", "text": text})
    usage = {"input_tokens": used_in, "output_tokens": used_out}
    message = {"id": "msg_ask", "model": MODEL, "content": content, "usage": usage}
    _emit({"type": "assistant", "session_id": session, "message": message})
    cost = used_in * _USD_PER_INPUT_TOKEN + used_out * _USD_PER_OUTPUT_TOKEN
    result = {"type": "result", "subtype": "success", "is_error": False, "num_turns": 1}
    result.update(result=text, session_id=session, total_cost_usd=round(cost, 6), usage=usage)
    _emit(result)
    return 0


def _finish(
    sim: Simulation,
    session: str,
    turns: int,
    tokens_in: int,
    tokens_out: int,
    *,
    failed: bool,
    rng: random.Random,
    changed: str | None = None,
) -> int:
    cost = tokens_in * _USD_PER_INPUT_TOKEN + tokens_out * _USD_PER_OUTPUT_TOKEN
    if failed:
        text = f"{rng.choice(_TESTS)} raised AssertionError"
    else:
        changed = changed or f"{rng.randint(1, 6)} files"
        text = f"Changed {changed}; {rng.randint(10, 200)} tests pass."
    _emit(
        {
            "type": "result",
            "subtype": "success",
            "is_error": failed,
            "num_turns": turns,
            "result": text,
            "session_id": session,
            "total_cost_usd": round(cost, 6),
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        }
    )
    return sim.exit_code if failed else 0
