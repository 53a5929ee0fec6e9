"""Reading what agent CLIs print: one parser per output shape.

A parser is fed the agent's stdout one line at a time and returns readable
lines (stream, text): assistant text, one line per tool call naming its
target, errors on the stderr stream so they are marked. Meanwhile it keeps
what the run tells about itself in `AgentOutcome`: session or thread id,
model, turns, tokens, cost, the final result text, and whether the last word
was an error. A line that is not the JSON the parser expects is shown as it
is; nothing raises.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import Any

from ..domain.agent import ParserName
from ..domain.enums import LogStream
from ..domain.money import usd
from ..domain.words import counted

OUT, ERR = LogStream.STDOUT, LogStream.STDERR
Shown = list[tuple[LogStream, str]]
_TARGET_MAX = 200


@dataclass
class Usage:
    """What a run tells about itself: its session, model, turns, tokens and cost
    (named as the runs table's columns of `AgentRunFacts`)."""

    session_id: str | None = None
    model: str | None = None
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = None

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def usage(self) -> Usage:
        """A copy of just these fields."""
        return Usage(**{f.name: getattr(self, f.name) for f in fields(Usage)})


@dataclass
class AgentOutcome(Usage):
    #: The final answer (becomes the run's summary).
    result: str | None = None
    #: Set when the agent's last word was an error (the run fails with it).
    error: str | None = None
    #: Whether the agent said it finished (a result, a completed turn).
    finished: bool = False


class Parser:
    """The plain parser: every line as it is (commands, unknown agents)."""

    name = ParserName.PLAIN
    #: Whether the agent prints JSON events (so raw lines are kept apart).
    json = False
    #: The agent's display name, in messages.
    agent = "the command"
    #: Whether an exit code of 0 alone is not enough: a final event must say so.
    needs_final_event = False

    def __init__(self) -> None:
        self.outcome = AgentOutcome()
        #: The last non-fatal error the agent reported (said when it then fails).
        self.last_error: str | None = None
        #: Set when the agent will get nowhere however long it goes on: the run is
        #: stopped at once and fails with this reason.
        self.gave_up: str | None = None
        #: Set once the agent has given its last word (a final result, a completed
        #: turn): it spends nothing more, so a budget it crossed saying so stops nothing.
        self.last_word = False

    def feed(self, line: str) -> Shown:
        return [(OUT, line)]

    def end(self) -> Shown:
        """The stream ended; anything held back."""
        return []

    def verdict(self, exit_code: int | None) -> str | None:
        """Why the run failed although the process may have exited 0, or None."""
        o = self.outcome
        if o.error:
            return o.error
        if self.needs_final_event and exit_code == 0 and not o.finished:
            why = f"{self.agent} ended without a final result"
            return f"{why} (last error: {self.last_error})" if self.last_error else why
        if exit_code != 0 and self.last_error:
            return self.last_error
        return None


def failed_line(error: str) -> tuple[LogStream, str]:
    """The line saying why the agent's run failed, its last word: `✗ Not logged in`."""
    return (ERR, f"✗ {error}")


class _JsonParser(Parser):
    """An agent printing JSON events. Its last error is often said twice: as its text
    or an error event, then again as its final result (Claude Code's not-logged-in
    message, Codex's `error` before `turn.failed`). Such lines are held (`hold`)
    until the next event shows something: if that is the failure line saying the
    same, only the failure line is shown, so a person reads it once."""

    json = True
    needs_final_event = True

    def __init__(self) -> None:
        super().__init__()
        #: Lines held back, and the text they say.
        self._held: tuple[str, Shown] | None = None

    def hold(self, said: str, lines: Shown) -> Shown:
        """Show `lines` (saying `said`) with the next event that shows something,
        unless that event is the failure line saying the same."""
        self._held = (said.strip(), lines)
        return []

    @staticmethod
    def _after(held: tuple[str, Shown], shown: Shown) -> Shown:
        said, lines = held
        if shown and shown[0] == failed_line(said):
            return shown
        return lines + shown

    def feed(self, line: str) -> Shown:
        earlier, self._held = self._held, None
        shown = self._parse(line)
        if earlier is None:
            return shown
        if not shown and self._held is None:
            self._held = earlier  # nothing shown yet: still held
            return []
        return self._after(earlier, shown)

    def end(self) -> Shown:
        earlier, self._held = self._held, None
        rest = self.rest()
        return rest if earlier is None else self._after(earlier, rest)

    def rest(self) -> Shown:
        """What the agent's stream held back when it ended."""
        return []

    def _parse(self, line: str) -> Shown:
        stripped = line.strip()
        if not stripped.startswith("{"):
            return [(OUT, line)] if stripped else []
        try:
            event = json.loads(stripped)
        except ValueError:
            return [(OUT, line)]
        if not isinstance(event, dict):
            return [(OUT, line)]
        try:
            return self.event(event)
        except (AttributeError, TypeError, ValueError, KeyError):
            return [(OUT, line)]  # an event of a shape we do not know

    def event(self, event: dict[str, Any]) -> Shown:
        raise NotImplementedError


def _num(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _lines(text: str, stream: LogStream = OUT, prefix: str = "") -> Shown:
    return [(stream, prefix + part) for part in text.splitlines() if part.strip()]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= _TARGET_MAX else text[: _TARGET_MAX - 1] + "…"


_TARGET_KEYS = (
    *("file_path", "path", "notebook_path", "command", "cmd", "pattern", "url", "query"),
    *("description", "prompt", "filePath", "absolute_path", "dir_path"),
)


def tool_target(args: Any) -> str:
    """What a tool call works on: its file, command, pattern or URL."""
    if isinstance(args, dict):
        for key in _TARGET_KEYS:
            if (value := args.get(key)) not in (None, ""):
                return _short(value)
        for value in args.values():
            if isinstance(value, str) and value:
                return _short(value)
        return _short(args) if args else ""
    return _short(args) if args not in (None, "") else ""


def _tool_line(name: Any, args: Any) -> tuple[LogStream, str]:
    target = tool_target(args)
    return (OUT, f"→ {name or 'tool'}" + (f" {target}" if target else ""))


class ClaudeParser(_JsonParser):
    """`claude -p --output-format stream-json --verbose`: system/init, assistant
    and user messages, and a final `result` that decides (even with exit 0)."""

    name = ParserName.CLAUDE
    agent = "claude"

    def __init__(self) -> None:
        super().__init__()
        self._seen_usage: set[str] = set()

    def event(self, event: dict[str, Any]) -> Shown:
        o = self.outcome
        kind = event.get("type")
        o.session_id = _str(event.get("session_id")) or o.session_id
        if kind == "system":
            if event.get("subtype") == "init":
                o.model = _str(event.get("model")) or o.model
                return [(OUT, f"session {o.session_id or '?'} · model {o.model or '?'}")]
            return []
        if kind == "assistant":
            return self._assistant(event)
        if kind == "user":
            return self._tool_results(event.get("message") or {})
        if kind == "result":
            return self._result(event)
        return []

    def _assistant(self, event: dict[str, Any]) -> Shown:
        o = self.outcome
        message = event.get("message") or {}
        model = _str(message.get("model"))
        if model and not model.startswith("<"):
            o.model = model
        usage = message.get("usage") or {}
        msg_id = str(message.get("id") or len(self._seen_usage))
        if usage and msg_id not in self._seen_usage:  # one message comes in several events
            self._seen_usage.add(msg_id)
            o.input_tokens += _num(usage.get("input_tokens"))
            o.output_tokens += _num(usage.get("output_tokens"))
            o.cached_tokens += _num(usage.get("cache_read_input_tokens"))
        shown: Shown = []
        failed = _str(event.get("error"))
        said: list[str] = []
        for block in message.get("content") or []:
            kind = block.get("type")
            if kind == "text":
                said.append(block.get("text", ""))
                shown += _lines(said[-1], ERR if failed else OUT)
            elif kind == "tool_use":
                shown.append(_tool_line(block.get("name"), block.get("input")))
        if failed and shown:  # its final result says it again
            return self.hold("\n".join(said), shown)
        return shown

    def _tool_results(self, message: dict[str, Any]) -> Shown:
        shown: Shown = []
        content = message.get("content")
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_result" and block.get("is_error"):
                body = block.get("content")
                if isinstance(body, list):
                    body = " ".join(b.get("text", "") for b in body if isinstance(b, dict))
                shown.append((ERR, f"✗ tool failed: {_short(body or '')}"))
        return shown

    def _result(self, event: dict[str, Any]) -> Shown:
        o = self.outcome
        o.finished = self.last_word = True
        usage = event.get("usage") or {}
        if usage:
            o.input_tokens = _num(usage.get("input_tokens")) + _num(
                usage.get("cache_creation_input_tokens")
            )
            o.output_tokens = _num(usage.get("output_tokens"))
            o.cached_tokens = _num(usage.get("cache_read_input_tokens"))
        if isinstance(event.get("total_cost_usd"), int | float):
            o.cost_usd = float(event["total_cost_usd"])
        o.turns = _num(event.get("num_turns")) or o.turns
        models = event.get("modelUsage")
        if isinstance(models, dict) and models and not o.model:
            o.model = next(iter(models))
        text = _str(event.get("result"))
        failed = bool(event.get("is_error")) or event.get("subtype") not in (None, "success")
        if failed:
            errors = event.get("errors")
            detail = text or (", ".join(map(str, errors)) if isinstance(errors, list) else None)
            o.error = detail or f"claude reported {event.get('subtype') or 'an error'}"
            return [failed_line(o.error)]
        o.result, o.error = text, None
        cost = f" · {usd(o.cost_usd)}" if o.cost_usd is not None else ""
        return [(OUT, f"✓ done in {counted(o.turns, 'turn')} · {o.tokens} tokens{cost}")]


#: What codex says once its reconnects failed: it then waits for a network for ever.
_CODEX_OFFLINE = "waiting for network"


class CodexParser(_JsonParser):
    """`codex exec --json`: thread.started, turn.started, item.*, error,
    turn.completed (with usage) or turn.failed."""

    name = ParserName.CODEX
    agent = "codex"

    def event(self, event: dict[str, Any]) -> Shown:
        o = self.outcome
        kind = event.get("type")
        if kind == "thread.started":
            o.session_id = _str(event.get("thread_id")) or o.session_id
            return [(OUT, f"thread {o.session_id or '?'}")]
        if kind == "turn.started":
            o.finished = self.last_word = False
            return []
        if kind == "turn.completed":
            usage = event.get("usage") or {}
            o.input_tokens += _num(usage.get("input_tokens"))
            o.cached_tokens += _num(usage.get("cached_input_tokens"))
            o.output_tokens += _num(usage.get("output_tokens"))
            o.turns += 1
            o.finished, o.error = True, None
            self.last_word = True
            return [(OUT, f"✓ turn done · {o.tokens} tokens")]
        if kind == "turn.failed":
            err = event.get("error") or {}
            o.error = _str(err.get("message")) or "codex reported a failed turn"
            o.finished = False
            return [failed_line(o.error)]
        if kind == "error":
            message = _str(event.get("message")) or "error"
            self.last_error = message
            if _CODEX_OFFLINE in message and self.gave_up is None:
                # It has retried and fallen back already; now it would wait for ever:
                # the run is stopped, and fails saying so.
                self.gave_up = o.error = f"codex cannot reach the network: {message}"
                return [failed_line(o.error)]
            return self.hold(message, [(ERR, f"! {message}")])  # `turn.failed` may repeat it
        if kind in ("item.started", "item.completed", "item.updated"):
            return self._item(kind, event.get("item") or {})
        return []

    def _item(self, kind: str, item: dict[str, Any]) -> Shown:
        t = item.get("type")
        done = kind == "item.completed"
        if t == "agent_message" and done:
            text = item.get("text") or ""
            self.outcome.result = text or self.outcome.result
            return _lines(text)
        if t == "reasoning" and done:
            return _lines(item.get("text") or "", prefix="· ")
        if t == "command_execution" and kind == "item.started":
            return [_tool_line("shell", item.get("command"))]
        if t == "command_execution" and done and item.get("exit_code") not in (0, None):
            return [(ERR, f"✗ shell exited {item.get('exit_code')}: {_short(item.get('command'))}")]
        if t == "file_change" and done:
            changes = item.get("changes") or []
            return [(OUT, f"→ {c.get('kind', 'edit')} {c.get('path', '?')}") for c in changes]
        if t == "mcp_tool_call" and kind == "item.started":
            return [_tool_line(f"{item.get('server')}.{item.get('tool')}", item.get("arguments"))]
        if t == "web_search" and kind == "item.started":
            return [_tool_line("web_search", item.get("query"))]
        if t == "error" and done:
            return [(ERR, f"! {item.get('message') or 'error'}")]
        return []


class GeminiParser(_JsonParser):
    """`gemini --output-format stream-json`: init, message (assistant deltas),
    tool_use, tool_result, error, result (status, stats)."""

    name = ParserName.GEMINI
    agent = "gemini"

    def __init__(self) -> None:
        super().__init__()
        self._text: list[str] = []
        self._answer: list[str] = []

    def _flush(self) -> Shown:
        text, self._text = "".join(self._text), []
        return _lines(text)

    def event(self, event: dict[str, Any]) -> Shown:
        o = self.outcome
        kind = event.get("type")
        if kind == "message":
            if event.get("role") == "assistant":
                chunk = str(event.get("content") or "")
                self._text.append(chunk)
                self._answer.append(chunk)
            return []
        shown = self._flush()
        if kind == "init":
            o.session_id = _str(event.get("session_id")) or o.session_id
            o.model = _str(event.get("model")) or o.model
            shown.append((OUT, f"session {o.session_id or '?'} · model {o.model or '?'}"))
        elif kind == "tool_use":
            shown.append(_tool_line(event.get("tool_name"), event.get("parameters")))
        elif kind == "tool_result" and event.get("status") == "error":
            err = event.get("error") or {}
            shown.append((ERR, f"✗ tool failed: {_short(err.get('message') or '')}"))
        elif kind == "error":
            message = str(event.get("message") or "error")
            self.last_error = message
            return shown + self.hold(message, [(ERR, f"! {message}")])
        elif kind == "result":
            shown += self._result(event)
        return shown

    def _result(self, event: dict[str, Any]) -> Shown:
        o = self.outcome
        stats = event.get("stats") or {}
        o.input_tokens = _num(stats.get("input_tokens"))
        o.output_tokens = _num(stats.get("output_tokens"))
        o.cached_tokens = _num(stats.get("cached"))
        o.turns = max(o.turns, 1)
        models = stats.get("models")
        if isinstance(models, dict) and models and not o.model:
            o.model = next(iter(models))
        o.finished = self.last_word = True
        if event.get("status") == "error":
            err = event.get("error") or {}
            # A result without its own message ends an error event (an invalid stream).
            o.error = _str(err.get("message")) or self.last_error or "gemini reported an error"
            return [failed_line(o.error)]
        o.result, o.error = "".join(self._answer).strip() or None, None
        return [(OUT, f"✓ done · {o.tokens} tokens")]

    def rest(self) -> Shown:
        return self._flush()


class OpencodeParser(_JsonParser):
    """`opencode run --format json`: step_start, text, tool_use, step_finish
    (tokens, cost), error; every event carries the sessionID."""

    name = ParserName.OPENCODE
    agent = "opencode"

    def event(self, event: dict[str, Any]) -> Shown:
        o = self.outcome
        o.session_id = _str(event.get("sessionID")) or o.session_id
        kind = event.get("type")
        part = event.get("part") or {}
        if kind == "text":
            text = str(part.get("text") or "")
            o.result = text.strip() or o.result
            return _lines(text)
        if kind == "tool_use":
            state = part.get("state") or {}
            if state.get("status") == "error":
                return [(ERR, f"✗ {part.get('tool')} failed: {_short(state.get('error') or '')}")]
            return [_tool_line(part.get("tool"), state.get("input"))]
        if kind == "step_finish":
            tokens = part.get("tokens") or {}
            cache = tokens.get("cache") or {}
            o.input_tokens += _num(tokens.get("input"))
            o.output_tokens += _num(tokens.get("output")) + _num(tokens.get("reasoning"))
            o.cached_tokens += _num(cache.get("read"))
            if isinstance(part.get("cost"), int | float):
                o.cost_usd = (o.cost_usd or 0.0) + float(part["cost"])
            o.turns += 1
            o.finished, o.error = True, None
            return []
        if kind == "error":
            err = event.get("error") or {}
            data = err.get("data") or {}
            o.error = _str(data.get("message")) or _str(err.get("name")) or "opencode error"
            return [failed_line(o.error)]
        return []


_AIDER_TOKENS = re.compile(
    r"Tokens: ([\d.]+)([kM]?) sent(?:, ([\d.]+)([kM]?) cache \w+)*, ([\d.]+)([kM]?) received\."
    r"(?: Cost: \$([\d.]+) message, \$([\d.]+) session\.)?"
)
_SCALE = {"": 1, "k": 1_000, "M": 1_000_000}


class AiderParser(Parser):
    """aider's plain output; its `Tokens: 2.3k sent, 150 received. Cost: $0.01
    message, $0.03 session.` lines give usage and cost."""

    name = ParserName.AIDER
    agent = "aider"

    def feed(self, line: str) -> Shown:
        m = _AIDER_TOKENS.search(line)
        if m:
            o = self.outcome
            o.input_tokens += int(float(m.group(1)) * _SCALE[m.group(2)])
            o.output_tokens += int(float(m.group(5)) * _SCALE[m.group(6)])
            o.turns += 1
            if m.group(8):
                o.cost_usd = float(m.group(8))
        elif line.strip():
            self.outcome.result = line.strip()
        return [(OUT, line)]


PARSERS: dict[ParserName, type[Parser]] = {
    ParserName.PLAIN: Parser,
    ParserName.CLAUDE: ClaudeParser,
    ParserName.CODEX: CodexParser,
    ParserName.GEMINI: GeminiParser,
    ParserName.OPENCODE: OpencodeParser,
    ParserName.AIDER: AiderParser,
}


def make_parser(name: ParserName | str) -> Parser:
    return PARSERS[ParserName(name)]()
