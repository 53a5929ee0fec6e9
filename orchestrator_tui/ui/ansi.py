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

`to_text` then builds a Rich `Text` from the kept SGR sequences itself (no
markup parsing, no `Text.from_ansi`) with only colour-like attributes (colour,
background, bold, dim, italic, underline, strike, reverse): no links, no
blink, no concealed text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rich.color import Color
from rich.style import Style
from rich.text import Span, Text

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
    if not _NEEDS_WORK.search(line) or not _NEEDS_WORK.search(_KEPT_SGR.sub("", line)):
        return line  # plain text, or plain text with well-formed colour sequences
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
    return _KEPT_SGR.sub("", sanitize(line))


def to_text(line: str) -> Text:
    """A Rich Text of the line: colours kept, markup never parsed."""
    clean = sanitize(line)
    if _ESC not in clean:
        return Text(clean, no_wrap=True, end="")
    pieces: list[str] = []
    spans: list[Span] = []
    style = Style.null()
    pos = 0
    for i, part in enumerate(_KEPT_SGR.split(clean)):
        if i % 2:
            style = _apply_sgr(style, part[2:-1])
        elif part:
            if style:
                spans.append(Span(pos, pos + len(part), style))
            pieces.append(part)
            pos += len(part)
    return Text("".join(pieces), no_wrap=True, end="", spans=spans)


_ATTRIBUTES = {
    1: Style(bold=True),
    2: Style(dim=True),
    3: Style(italic=True),
    4: Style(underline=True),
    7: Style(reverse=True),
    9: Style(strike=True),
    21: Style(underline=True),
    22: Style(bold=False, dim=False),
    23: Style(italic=False),
    24: Style(underline=False),
    27: Style(reverse=False),
    29: Style(strike=False),
}


@lru_cache(maxsize=4096)
def _apply_sgr(style: Style, params: str) -> Style:
    """The style after one SGR sequence; only colours and plain attributes exist here.

    Blink, conceal, fonts and anything unknown are ignored; so is a malformed
    extended colour.
    """
    codes = [int(c) if c else 0 for c in params.split(";")] if params else [0]
    i = 0
    while i < len(codes):
        code = codes[i]
        i += 1
        if code == 0:
            style = Style.null()
        elif code in _ATTRIBUTES:
            style += _ATTRIBUTES[code]
        elif 30 <= code <= 37 or 90 <= code <= 97:
            style += Style(color=Color.from_ansi(code - 30 if code < 90 else code - 82))
        elif 40 <= code <= 47 or 100 <= code <= 107:
            style += Style(bgcolor=Color.from_ansi(code - 40 if code < 100 else code - 92))
        elif code == 39:
            style = _without(style, color=True)
        elif code == 49:
            style = _without(style, color=False)
        elif code in (38, 48):
            colour, i = _extended_colour(codes, i)
            if colour is not None:
                style += Style(color=colour) if code == 38 else Style(bgcolor=colour)
    return style


def _extended_colour(codes: list[int], i: int) -> tuple[Color | None, int]:
    if i < len(codes) and codes[i] == 5 and i + 1 < len(codes):
        n = codes[i + 1]
        return (Color.from_ansi(n) if 0 <= n <= 255 else None), i + 2
    if i < len(codes) and codes[i] == 2 and i + 3 < len(codes):
        r, g, b = codes[i + 1 : i + 4]
        ok = all(0 <= c <= 255 for c in (r, g, b))
        return (Color.from_rgb(r, g, b) if ok else None), i + 4
    return None, len(codes)


def _without(style: Style, color: bool) -> Style:
    """The style with its foreground (color=True) or background reset to default."""
    return Style(
        color=None if color else style.color,
        bgcolor=style.bgcolor if color else None,
        bold=style.bold,
        dim=style.dim,
        italic=style.italic,
        underline=style.underline,
        strike=style.strike,
        reverse=style.reverse,
    )
