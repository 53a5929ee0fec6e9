"""Parsers of agent output, fed lines directly (no process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator_tui.agents.parsers import make_parser, tool_target

# What `claude -p ... --output-format stream-json --verbose` printed on this machine
# (not logged in), shortened: the result says is_error although the exit code is 0.
CLAUDE_NOT_LOGGED_IN = [
    {"type": "system", "subtype": "init", "session_id": "5655f8d8", "model": "claude-x"},
    {
        "type": "assistant",
        "error": "authentication_failed",
        "session_id": "5655f8d8",
        "message": {
            "id": "m",
            "model": "<synthetic>",
            "content": [{"type": "text", "text": "Not logged in · Please run /login"}],
            "usage": {"input_tokens": 0, "output_tokens": 0},
        },
    },
    {
        "type": "result",
        "subtype": "success",
        "is_error": True,
        "num_turns": 1,
        "result": "Not logged in · Please run /login",
        "session_id": "5655f8d8",
        "total_cost_usd": 0,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    },
]


def feed(shape: str, events: list[object]) -> tuple[list[tuple[str, str]], object]:
    parser = make_parser(shape)
    shown = []
    for e in events:
        line = e if isinstance(e, str) else json.dumps(e)
        shown += [(s.value, t) for s, t in parser.feed(line)]
    shown += [(s.value, t) for s, t in parser.end()]
    return shown, parser


def test_claude_not_logged_in_is_an_error_with_the_session_kept() -> None:
    shown, parser = feed("claude", CLAUDE_NOT_LOGGED_IN)
    assert parser.verdict(0) == "Not logged in · Please run /login"
    assert parser.outcome.session_id == "5655f8d8"
    assert parser.outcome.model == "claude-x"  # not the <synthetic> placeholder
    assert shown[-1] == ("stderr", "✗ Not logged in · Please run /login")


def test_an_agents_last_error_said_twice_is_shown_once_on_its_failure_line() -> None:
    # Claude Code says "Not logged in" as its text and again as its result; Codex says
    # an error, then fails the turn with it; Gemini ends an error with a bare result.
    claude, _ = feed("claude", CLAUDE_NOT_LOGGED_IN)
    assert claude == [
        ("stdout", "session 5655f8d8 · model claude-x"),
        ("stderr", "✗ Not logged in · Please run /login"),
    ]
    failed = "stream disconnected before completion"
    codex, _ = feed(
        "codex",
        [
            {"type": "error", "message": "Reconnecting... 1/5"},
            {"type": "turn.started"},  # shows nothing: the error stays held
            {"type": "error", "message": failed},
            {"type": "turn.failed", "error": {"message": failed}},
        ],
    )
    assert codex == [("stderr", "! Reconnecting... 1/5"), ("stderr", f"✗ {failed}")]
    gemini, parser = feed(
        "gemini",
        [
            {"type": "error", "severity": "error", "message": "The model returned nothing."},
            {"type": "result", "status": "error", "stats": {}},
        ],
    )
    assert gemini == [("stderr", "✗ The model returned nothing.")]
    assert parser.verdict(0) == "The model returned nothing."


def test_an_error_the_agent_goes_on_from_is_still_shown() -> None:
    shown, _ = feed(
        "codex",
        [
            {"type": "error", "message": "Reconnecting... 1/5"},
            {"type": "turn.completed", "usage": {"input_tokens": 3}},
        ],
    )
    assert shown == [("stderr", "! Reconnecting... 1/5"), ("stdout", "✓ turn done · 3 tokens")]
    killed, _ = feed("codex", [{"type": "error", "message": "Reconnecting... 2/5"}])
    assert killed == [("stderr", "! Reconnecting... 2/5")]  # its stream ended there


def test_claude_usage_of_one_message_split_over_events_counts_once() -> None:
    msg = {"id": "m1", "content": [], "usage": {"input_tokens": 100, "output_tokens": 7}}
    _, parser = feed("claude", [{"type": "assistant", "message": msg}] * 3)
    assert (parser.outcome.input_tokens, parser.outcome.output_tokens) == (100, 7)
    assert parser.verdict(0) == "claude ended without a final result"


def test_codex_turn_failed_is_the_error_and_reconnects_are_marked() -> None:
    shown, parser = feed(
        "codex",
        [
            {"type": "thread.started", "thread_id": "th-1"},
            {"type": "turn.started"},
            {"type": "error", "message": "Reconnecting... 1/5"},
            {"type": "turn.failed", "error": {"message": "stream disconnected"}},
        ],
    )
    assert parser.outcome.session_id == "th-1"
    assert ("stderr", "! Reconnecting... 1/5") in shown
    assert parser.verdict(0) == "stream disconnected"


def test_codex_killed_while_reconnecting_says_its_last_error() -> None:
    _, parser = feed("codex", [{"type": "error", "message": "Reconnecting... 3/5"}])
    assert parser.verdict(-15) == "Reconnecting... 3/5"


def test_codex_waiting_for_a_network_gives_up_at_once() -> None:
    # What codex printed on this machine: five reconnects, then it waits for ever.
    waiting = "Reconnecting... waiting for network (Connection failed: error sending request)"
    events = [{"type": "thread.started", "thread_id": "th-1"}, {"type": "turn.started"}]
    events += [{"type": "error", "message": f"Reconnecting... {n}/5 (dns)"} for n in (2, 3, 4, 5)]
    _, parser = feed("codex", events)
    assert parser.gave_up is None  # reconnecting is not giving up yet
    _, parser = feed("codex", [*events, {"type": "error", "message": waiting}])
    assert parser.gave_up == f"codex cannot reach the network: {waiting}"
    assert parser.verdict(-15) == parser.gave_up


@pytest.mark.parametrize("shape", ["claude", "codex", "gemini", "opencode"])
@pytest.mark.parametrize(
    "line", ["not json", "{broken", "[1, 2]", '{"type": "assistant", "message": 5}', "null", "{}"]
)
def test_malformed_lines_are_kept_as_text_never_a_crash(shape: str, line: str) -> None:
    shown, _ = feed(shape, [line])
    assert shown in ([("stdout", line)], [])
    if not line.startswith("{") or line == "{broken":
        assert shown == [("stdout", line)]


def test_gemini_deltas_become_one_answer() -> None:
    shown, parser = feed(
        "gemini",
        [
            {"type": "init", "session_id": "g1", "model": "gemini-x"},
            {"type": "message", "role": "assistant", "content": "Hello ", "delta": True},
            {"type": "message", "role": "assistant", "content": "world", "delta": True},
            {"type": "result", "status": "success", "stats": {"input_tokens": 5}},
        ],
    )
    assert ("stdout", "Hello world") in shown
    assert parser.outcome.result == "Hello world" and parser.verdict(0) is None


def test_aider_token_and_cost_lines() -> None:
    _, parser = feed(
        "aider",
        [
            "Tokens: 12k sent, 1.5k cache write, 240 received. Cost: $0.05 message, $0.05 session.",
            "Tokens: 3.1k sent, 90 received. Cost: $0.01 message, $0.06 session.",
        ],
    )
    o = parser.outcome
    assert (o.input_tokens, o.output_tokens, o.cost_usd, o.turns) == (15100, 330, 0.06, 2)


def test_tool_targets_name_the_file_command_or_pattern() -> None:
    assert tool_target({"file_path": "a.py", "old_string": "x"}) == "a.py"
    assert tool_target({"command": "ls   -la\n"}) == "ls -la"
    assert tool_target({"other": 1}) == '{"other": 1}'
    assert len(tool_target({"command": "x" * 1000})) == 200


def test_real_claude_output_recorded_here_parses(tmp_path: Path) -> None:
    text = "\n".join(json.dumps(e) for e in CLAUDE_NOT_LOGGED_IN)
    _, parser = feed("claude", text.splitlines())
    assert parser.outcome.finished and parser.outcome.error
