"""Making untrusted text safe to print on a terminal.

Escape sequences and control characters are removed. Characters that change
how the text around them is shown without showing themselves (bidi overrides,
embeddings, isolates and marks; zero-width spaces and joiners; the byte order
mark) are made visible as escapes (`\\u202e`), never dropped: a person sees
that the text holds them, and no title can turn a line around.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (ESC included).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])"
)


_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def reveal_invisible(text: str) -> str:
    """Bidi controls and zero-width characters shown as `\\uXXXX` escapes."""
    if not _INVISIBLE.search(text):
        return text
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def strip_ansi(text: str) -> str:
    """Remove escape sequences (CSI, OSC, DCS, ...) whole, then stray controls."""
    return _CONTROL.sub("", _ANSI.sub("", text))


#: Any character `printable` changes: every escape sequence starts with a control
#: character (ESC, or a C1 control), and tab and newline are folded.
_UNPRINTABLE = re.compile(f"[\x00-\x1f\x7f-\x9f]|{_INVISIBLE.pattern}")


def printable(text: str) -> str:
    """One line of plain text with escape sequences removed, invisible characters
    revealed and newlines folded."""
    if not _UNPRINTABLE.search(text):
        return text  # most text: a task list prints tens of thousands of cells
    return reveal_invisible(strip_ansi(text)).replace("\n", " ").replace("\t", " ")


def cut_line(text: str, limit: int, whole_in: str) -> str:
    """`text` as one printable line (`printable`) of at most `limit` characters of
    its own; a longer one is cut and says so, and where the whole text is
    (`whole_in`, e.g. a command). Escapes go before the cut, so no half sequence
    can swallow the note."""
    line = printable(text).strip()
    if len(line) <= limit:
        return line
    return f"{line[:limit].rstrip()}… (cut at {limit} characters; {whole_in} shows the whole line)"


_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def colours_only(text: str) -> str:
    """One line for a colour terminal: colour (SGR) sequences kept, every other
    escape sequence and control character removed, colours reset at the end."""
    text = reveal_invisible(text)
    out: list[str] = []
    kept = False
    pos = 0
    for m in _ANSI.finditer(text):
        out.append(_CONTROL.sub("", text[pos : m.start()]).replace("\t", " "))
        if _SGR.fullmatch(m.group()):
            out.append(m.group())
            kept = True
        pos = m.end()
    out.append(_CONTROL.sub("", text[pos:]).replace("\t", " "))
    line = "".join(out).replace("\n", " ")
    return line + "\x1b[0m" if kept else line


def visible(text: str) -> str:
    """One line with every control character shown as a literal escape (`\\x1b`) and
    every invisible one as `\\uXXXX`, for text whose exact bytes matter, such as
    diffs: nothing is hidden and nothing reaches the terminal as a control sequence."""
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\n", " "))
    return reveal_invisible(shown).replace("\t", "    ")


def needs_visible(text: str) -> bool:
    """Whether `visible` would change anything but tabs (a fast test for long texts)."""
    return bool(_CONTROL.search(text) or _INVISIBLE.search(text))
