"""What a child declares in its output, and how its log is summarised.

A child reports results with lines of its own on stdout:

    ::output key=value      stored in the run's outputs (the last value of a key wins)
    ::output-uri URL        stored as the run's outputs URI (the last one wins)

Nothing else is interpreted: a URL merely appearing in the output is not
taken as the outputs URI.
"""

from __future__ import annotations

import re
from collections import deque

from ..domain.text import printable, strip_ansi

MAX_OUTPUTS = 100
MAX_VALUE_CHARS = 10_000
MAX_URI_CHARS = 2_000
EXCERPT_LINES = 20

_OUTPUT = re.compile(r"^::output\s+([A-Za-z0-9_.-]{1,64})=(.*)$")
_URI = re.compile(rf"^::output-uri\s+(\S{{1,{MAX_URI_CHARS}}})\s*$")


class OutputCollector:
    """Picks `::output` lines out of a run's stdout and keeps its last lines."""

    def __init__(self, excerpt_lines: int = EXCERPT_LINES) -> None:
        self.outputs: dict[str, str] = {}
        self.outputs_uri: str | None = None
        self._tail: deque[str] = deque(maxlen=excerpt_lines)

    def feed(self, text: str, is_stdout: bool) -> None:
        self._tail.append(text)
        if is_stdout and "::output" in text:
            self._parse(strip_ansi(text).strip())

    def _parse(self, line: str) -> None:
        if m := _URI.match(line):
            self.outputs_uri = m.group(1)
        elif (m := _OUTPUT.match(line)) and (
            m.group(1) in self.outputs or len(self.outputs) < MAX_OUTPUTS
        ):
            self.outputs[m.group(1)] = m.group(2)[:MAX_VALUE_CHARS]

    def excerpt(self) -> str | None:
        """The last lines, plain (escape sequences removed), or None if there were none."""
        lines = [printable(line) for line in self._tail]
        return "\n".join(lines) if lines else None
