"""Making untrusted text safe to print on a terminal."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (ESC included).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSI = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])"
)


def strip_ansi(text: str) -> str:
    """Remove escape sequences (CSI, OSC, DCS, ...) whole, then stray controls."""
    return _CONTROL.sub("", _ANSI.sub("", text))


def printable(text: str) -> str:
    """One line of plain text with escape sequences removed and newlines folded."""
    return strip_ansi(text).replace("\n", " ").replace("\t", " ")


_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def colours_only(text: str) -> str:
    """One line for a colour terminal: colour (SGR) sequences kept, every other
    escape sequence and control character removed, colours reset at the end."""
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
    """One line with every control character shown as a literal escape (`\\x1b`),
    for text whose exact bytes matter, such as diffs: nothing is hidden and
    nothing reaches the terminal as a control sequence."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\n", " ")).replace(
        "\t", "    "
    )
