#!/usr/bin/env python3
"""A fake coding-agent CLI for tests: prints what the real one documents.

    fake_agent.py --shape claude|codex|gemini|opencode|aider [--scenario S]
                  [--resume=ID] [--model=M] [-- PROMPT]

Scenarios: ok (a tool call, an answer, usage and cost), error (the CLI's
not-logged-in / connection failure shape, exit 0), garbage (non-JSON lines
mixed in), spend (usage far over any small budget, then hangs), hang (says
hello, then sleeps; opencode: after a step and its cost), no-auth (gemini: its
words on stderr only, exit 41), long-stderr (gemini: a very long last line on
stderr, exit 41), offline (codex: what it prints without a network,
reconnecting then waiting for the network for ever), offline-long (codex: the
same, its last message followed by LONG_STDERR), ask (claude: asks a person
QUESTION with `task ask`, without waiting, and ends its turn; resumed, it goes
on as ok). The argv, the prompt (argument or stdin) and the environment are
written as JSON to $FAKE_AGENT_RECORD when it is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

GEMINI_NO_AUTH = (
    "Please set an Auth method in your ~/.gemini/settings.json or specify one of the"
    " following environment variables before running: GEMINI_API_KEY"
)
CODEX_OFFLINE = "Reconnecting... waiting for network (Connection failed: error sending request)"
QUESTION = "Should refunds go back to the card or to store credit?"
#: A last stderr line far longer than a run's reason keeps, coloured and with a
#: clipboard-writing escape sequence right where the reason is cut.
LONG_STDERR = (
    "\x1b[31mError:\x1b[0m quota exceeded for project demo; "
    + "retry later. " * 35
    + "\x1b]52;c;aGk=\x07"
    + "the rest of the story " * 20
    + "THE END"
)


def main(argv: list[str]) -> int:
    shape, scenario, resume, model, prompt = "claude", "ok", None, None, None
    rest = list(argv)
    if "--" in rest:
        i = rest.index("--")
        rest, tail = rest[:i], rest[i + 1 :]
        prompt = " ".join(tail)
    it = iter(rest)
    for arg in it:
        if arg == "--shape":
            shape = next(it)
        elif arg == "--scenario":
            scenario = next(it)
        elif arg.startswith("--resume="):
            resume = arg.split("=", 1)[1]
        elif arg.startswith("--model="):
            model = arg.split("=", 1)[1]
        elif arg.startswith("--message-file="):
            with open(arg.split("=", 1)[1], encoding="utf-8") as f:
                prompt = f.read()
    if prompt is None and not sys.stdin.isatty():
        prompt = sys.stdin.read()
    if record := os.environ.get("FAKE_AGENT_RECORD"):
        with open(record, "a", encoding="utf-8") as f:
            f.write(json.dumps({"argv": argv, "prompt": prompt, "env": dict(os.environ)}) + "\n")
    session = resume or str(uuid.uuid4())
    if scenario == "ask" and resume:
        scenario = "ok"  # the answer came: carry on
    emit = SHAPES[shape]
    return emit(scenario, session, model or "fake-model-1")


def out(obj: object) -> None:
    print(json.dumps(obj), flush=True)


def claude(scenario: str, session: str, model: str) -> int:
    out({"type": "system", "subtype": "init", "session_id": session, "model": model})
    if scenario == "ask":
        return claude_asks(session, model)
    if scenario == "error":
        out(
            {
                "type": "assistant",
                "session_id": session,
                "error": "authentication_failed",
                "message": {
                    "id": "m0",
                    "model": "<synthetic>",
                    "content": [{"type": "text", "text": "Not logged in · Please run /login"}],
                    "usage": {"input_tokens": 0, "output_tokens": 0},
                },
            }
        )
        out(
            {
                "type": "result",
                "subtype": "success",
                "is_error": True,
                "num_turns": 1,
                "result": "Not logged in · Please run /login",
                "session_id": session,
                "total_cost_usd": 0,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }
        )
        return 0
    if scenario == "garbage":
        print("this is not json {", flush=True)
        print("[1, 2, 3]", flush=True)
    out(
        {
            "type": "assistant",
            "session_id": session,
            "message": {
                "id": "m1",
                "model": model,
                "content": [
                    {"type": "text", "text": "Reading the code first."},
                    {
                        "type": "tool_use",
                        "id": "t1",
                        "name": "Read",
                        "input": {"file_path": "src/app.py"},
                    },
                ],
                "usage": {
                    "input_tokens": 1200,
                    "output_tokens": 80,
                    "cache_read_input_tokens": 300,
                },
            },
        }
    )
    out(
        {
            "type": "user",
            "session_id": session,
            "message": {
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        "is_error": True,
                        "content": "file not found",
                    }
                ]
            },
        }
    )
    if scenario == "spend":
        out(
            {
                "type": "assistant",
                "session_id": session,
                "message": {
                    "id": "m2",
                    "model": model,
                    "content": [{"type": "text", "text": "Thinking hard."}],
                    "usage": {"input_tokens": 500000, "output_tokens": 90000},
                },
            }
        )
        time.sleep(60)
        return 0
    if scenario == "hang":
        time.sleep(60)
        return 0
    out(
        {
            "type": "assistant",
            "session_id": session,
            "message": {
                "id": "m2",
                "model": model,
                "content": [
                    {
                        "type": "tool_use",
                        "id": "t2",
                        "name": "Bash",
                        "input": {"command": "pytest -q"},
                    },
                    {"type": "text", "text": "All tests pass."},
                ],
                "usage": {"input_tokens": 1500, "output_tokens": 120},
            },
        }
    )
    out(
        {
            "type": "result",
            "subtype": "success",
            "is_error": False,
            "num_turns": 3,
            "result": "Fixed the parser; tests pass.",
            "session_id": session,
            "total_cost_usd": 0.0421,
            "modelUsage": {model: {}},
            "usage": {
                "input_tokens": 2700,
                "output_tokens": 200,
                "cache_read_input_tokens": 300,
                "cache_creation_input_tokens": 0,
            },
        }
    )
    return 0


def claude_asks(session: str, model: str) -> int:
    """Ask through the CLI (task from $ORCHESTRATOR_TUI_TASK), then end the turn."""
    ask = [sys.executable, "-m", "orchestrator_tui", "task", "ask", QUESTION]
    subprocess.run(ask, check=True, stdout=subprocess.DEVNULL)
    text = f"Before I change anything: {QUESTION}"
    message = {"id": "q1", "model": model, "content": [{"type": "text", "text": text}]}
    message["usage"] = {"input_tokens": 900, "output_tokens": 40}
    out({"type": "assistant", "session_id": session, "message": message})
    out(
        {
            "type": "result",
            "subtype": "success",
            "is_error": False,
            "num_turns": 1,
            "result": text,
            "session_id": session,
            "total_cost_usd": 0.0031,
            "usage": {"input_tokens": 900, "output_tokens": 40},
        }
    )
    return 0


def codex(scenario: str, session: str, model: str) -> int:
    out({"type": "thread.started", "thread_id": session})
    out({"type": "turn.started"})
    if scenario == "error":
        out({"type": "error", "message": "Reconnecting... 1/5 (stream disconnected)"})
        out(
            {
                "type": "turn.failed",
                "error": {
                    "message": "stream disconnected before completion: failed to lookup address"
                },
            }
        )
        return 0
    if scenario in ("offline", "offline-long"):
        for n in range(2, 6):
            out({"type": "error", "message": f"Reconnecting... {n}/5 (stream disconnected)"})
        offline = CODEX_OFFLINE + (" " + LONG_STDERR if scenario == "offline-long" else "")
        while True:  # as codex 0.x does without a network: it never gives up
            out({"type": "error", "message": offline})
            time.sleep(2)
    if scenario == "garbage":
        print("2026-12-01T08:41:23Z ERROR codex_api: not json", flush=True)
    out(
        {
            "type": "item.started",
            "item": {
                "id": "i1",
                "type": "command_execution",
                "command": "bash -lc ls",
                "status": "in_progress",
            },
        }
    )
    out(
        {
            "type": "item.completed",
            "item": {
                "id": "i1",
                "type": "command_execution",
                "command": "bash -lc ls",
                "exit_code": 0,
            },
        }
    )
    out(
        {
            "type": "item.completed",
            "item": {
                "id": "i2",
                "type": "file_change",
                "changes": [{"path": "src/app.py", "kind": "update"}],
            },
        }
    )
    if scenario == "hang":
        time.sleep(60)
    out(
        {
            "type": "item.completed",
            "item": {"id": "i3", "type": "agent_message", "text": "Updated src/app.py."},
        }
    )
    out(
        {
            "type": "turn.completed",
            "usage": {"input_tokens": 5000, "cached_input_tokens": 1000, "output_tokens": 400},
        }
    )
    return 0


def gemini(scenario: str, session: str, model: str) -> int:
    if scenario == "no-auth":  # the installed CLI without credentials: stderr only, exit 41
        print(GEMINI_NO_AUTH, file=sys.stderr, flush=True)
        return 41
    if scenario == "long-stderr":
        print(LONG_STDERR, file=sys.stderr, flush=True)
        return 41
    out({"type": "init", "timestamp": "t", "session_id": session, "model": model})
    out({"type": "message", "role": "user", "content": "the prompt"})
    if scenario == "error":
        out(
            {
                "type": "result",
                "status": "error",
                "error": {
                    "type": "FatalAuthenticationError",
                    "message": "Please set an Auth method",
                },
                "stats": {"input_tokens": 0, "output_tokens": 0},
            }
        )
        return 0
    out(
        {
            "type": "tool_use",
            "tool_name": "read_file",
            "tool_id": "x1",
            "parameters": {"absolute_path": "/repo/README.md"},
        }
    )
    out({"type": "tool_result", "tool_id": "x1", "status": "success", "output": "..."})
    out({"type": "message", "role": "assistant", "content": "The README ", "delta": True})
    out({"type": "message", "role": "assistant", "content": "is fine.", "delta": True})
    out(
        {
            "type": "result",
            "status": "success",
            "stats": {
                "total_tokens": 930,
                "input_tokens": 900,
                "output_tokens": 30,
                "cached": 100,
                "duration_ms": 1200,
                "tool_calls": 1,
                "models": {model: {}},
            },
        }
    )
    return 0


def opencode(scenario: str, session: str, model: str) -> int:
    base = {"timestamp": 1767036059338, "sessionID": session}
    out({**base, "type": "step_start", "part": {"type": "step-start"}})
    if scenario == "error":
        out(
            {
                **base,
                "type": "error",
                "error": {
                    "name": "ProviderAuthError",
                    "data": {"message": "no API key for provider"},
                },
            }
        )
        return 0
    out(
        {
            **base,
            "type": "tool_use",
            "part": {
                "type": "tool",
                "tool": "edit",
                "state": {"status": "completed", "input": {"filePath": "src/app.py"}},
            },
        }
    )
    out({**base, "type": "text", "part": {"type": "text", "text": "Done editing."}})
    out(
        {
            **base,
            "type": "step_finish",
            "part": {
                "type": "step-finish",
                "reason": "stop",
                "cost": 0.0123,
                "tokens": {
                    "input": 700,
                    "output": 50,
                    "reasoning": 10,
                    "cache": {"read": 200, "write": 0},
                },
            },
        }
    )
    if scenario == "hang":  # a step done and paid for, then it works on
        time.sleep(60)
    return 0


def aider(scenario: str, session: str, model: str) -> int:
    print(f"Aider v0.86.1\nModel: {model} with diff edit format", flush=True)
    print("Applied edit to src/app.py", flush=True)
    print("Tokens: 2.3k sent, 150 received. Cost: $0.01 message, $0.03 session.", flush=True)
    if scenario == "error":
        print("litellm.AuthenticationError: missing API key", file=sys.stderr, flush=True)
        return 1
    return 0


SHAPES = {"claude": claude, "codex": codex, "gemini": gemini, "opencode": opencode, "aider": aider}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
