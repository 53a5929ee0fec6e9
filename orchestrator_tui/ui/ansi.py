"""Agent output made safe for the terminal: colours survive, nothing else does.

`Text.from_ansi` alone is not enough. It prints the payload of OSC sequences it
does not know (`ESC ] 52 ; c ; <base64> BEL` becomes the text `52;c;...`),
turns OSC 8 into a live hyperlink, keeps blink and conceal, lets 8-bit C1
controls (`\\x9b` is a CSI on some terminals) and tabs through untouched, and
treats a bare carriage return as "overwrite", which lets a line hide its own
beginning. So every line goes through `sanitize` first:

- SGR sequences (`ESC [ ... m`) are kept; every other CSI, OSC, DCS, SOS, PM,
  APC and two-character escape is removed whole, payload included (an
  unterminated string sequence swallows the rest of the line).
- Other C0/C1 controls, DEL and bidi overrides are removed; tabs become spaces,
  a trailing line ending is dropped and inner newlines become spaces (one
  stored line is one displayed line). Colon-form SGR (`38:2::r:g:b`) is dropped.

`to_text` then builds a Rich `Text` without markup parsing and keeps only
colour-like attributes (colour, background, bold, dim, italic, underline,
strike, reverse): no links, no blink, no concealed text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rich.style import Style
from rich.text import Text

_ESC = "\x1b"

# One escape sequence, 7-bit or 8-bit form. Group "sgr" holds an SGR's parameters.
_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)(?P<params>[0-?]*)(?P<inter>[\x20-/]*)(?P<final>[@-~])?  # CSI
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])            # OSC, DCS, SOS, PM, APC ...
      .*?(?:\x07|\x1b\\|\x9c|$)                          # ... up to BEL / ST / end
    | \x1b[\x20-/]+[0-~]?                                # nF: charset selection etc.
    | \x1b[0-~]?                                         # Fp/Fe/Fs, or a lone ESC
    """,
    re.VERBOSE | re.DOTALL,
)
# Controls that never reach the terminal: C0 except tab/newline, DEL, C1, bidi overrides.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Anything that needs more than the fast path.
_NEEDS_WORK = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SGR_PARAMS = re.compile(r"[0-9;]*")

_KEPT_SGR = re.compile(r"(\x1b\[[0-9;]*m)")

TAB_SIZE = 8


def sanitize(line: str) -> str:
    """The line with only SGR colour sequences left (as 7-bit `ESC [ ... m`).

    The result is safe to write to a terminal: no cursor movement, no title or
    clipboard writes, no device queries, no bells, no carriage returns.
    """
    if line.endswith("\n"):
        line = line.rstrip("\r\n")
    if not _NEEDS_WORK.search(line):
        return line
    out: list[str] = []
    pos = 0
    for match in _SEQUENCE.finditer(line):
        out.append(line[pos : match.start()])
        pos = match.end()
        params = match.group("params")
        if (
            match.group("final") == "m"
            and not match.group("inter")
            and _SGR_PARAMS.fullmatch(params or "")
        ):
            out.append(f"{_ESC}[{params}m")
    out.append(line[pos:])
    text = "".join(out)
    # Split off the kept SGR sequences so that control removal and tab
    # expansion only ever touch visible text.
    parts = _KEPT_SGR.split(text)
    column = 0
    for i in range(0, len(parts), 2):
        visible = _CONTROLS.sub("", parts[i].replace("\n", " "))
        if "\t" in visible:
            visible, column = _expand_tabs(visible, column)
        else:
            column += len(visible)
        parts[i] = visible
    return "".join(parts)


def _expand_tabs(text: str, column: int) -> tuple[str, int]:
    out: list[str] = []
    for char in text:
        if char == "\t":
            pad = TAB_SIZE - column % TAB_SIZE
            out.append(" " * pad)
            column += pad
        else:
            out.append(char)
            column += 1
    return "".join(out), column


def plain_text(line: str) -> str:
    """What the user sees of the line, without any styling."""
    return to_text(line).plain


def to_text(line: str) -> Text:
    """A Rich Text of the line: colours kept, markup never parsed."""
    clean = sanitize(line)
    if _ESC not in clean:
        return Text(clean, no_wrap=True, end="")
    text = Text.from_ansi(clean, no_wrap=True, end="")
    spans = []
    for span in text.spans:
        style = _colour_only(span.style) if isinstance(span.style, Style) else Style.null()
        if style:
            spans.append(span._replace(style=style))
    text.spans = spans
    return text


@lru_cache(maxsize=1024)
def _colour_only(style: Style) -> Style:
    return Style(
        color=style.color,
        bgcolor=style.bgcolor,
        bold=style.bold,
        dim=style.dim,
        italic=style.italic,
        underline=style.underline,
        strike=style.strike,
        reverse=style.reverse,
    )
