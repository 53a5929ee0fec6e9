"""The log sanitiser: colours survive, every other escape and control is gone."""

from __future__ import annotations

import io
import random
import re

import pytest
from rich.console import Console
from rich.style import Style

from orchestrator_tui.ui.ansi import plain_text, sanitize, to_text

ESC = "\x1b"
ONLY_SGR = re.compile(r"\x1b\[[0-9;]*m")
ANY_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def terminal_bytes(line: str) -> str:
    """What would be written to a terminal for the line."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", width=500)
    console.print(to_text(line), soft_wrap=True)
    return out.getvalue()


def assert_terminal_safe(line: str) -> None:
    written = ONLY_SGR.sub("", terminal_bytes(line))
    assert not ANY_CONTROL.search(written), repr(written)
    assert not ONLY_SGR.sub("", sanitize(line)).count(ESC)


HOSTILE = {
    "osc52 clipboard (BEL)": ("\x1b]52;c;ZXZpbCBjb21tYW5k\x07after", "after"),
    "osc52 clipboard (ST)": ("\x1b]52;c;ZXZpbA==\x1b\\after", "after"),
    "window title": ("\x1b]0;pwned\x07x\x1b]2;also\x1b\\y", "xy"),
    "hyperlink": ("\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"),
    "cursor movement": ("\x1b[2J\x1b[H\x1b[10;20Hz\x1b[3A\x1b[K", "z"),
    "private modes": ("\x1b[?1049h\x1b[?25lq\x1b[?1000h", "q"),
    "DCS query": ('\x1bP$q"p\x1b\\after', "after"),
    "APC/PM/SOS": ("\x1b_apc\x1b\\a\x1b^pm\x1b\\b\x1bXsos\x1b\\c", "abc"),
    "charset switch": ("\x1b(0lqk\x1b(B", "lqk"),
    "save/restore/reset": ("\x1b7\x1b8\x1bcdone", "done"),
    "bell and backspace": ("ding\x07\x08\x08ok", "dingok"),
    "bare carriage return": ("rm -rf /\rls", "rm -rf /ls"),
    "crlf ending": ("line\r\n", "line"),
    "8-bit CSI": ("\x9b2J\x9b31mred", "red"),
    "8-bit OSC": ("\x9d0;title\x07x", "x"),
    "unterminated OSC": ("before\x1b]52;c;AAAA", "before"),
    "truncated CSI": ("before\x1b[12", "before"),
    "lone ESC": ("end\x1b", "end"),
    "bidi override": ("abc\u202edef\u2066", "abc\\u202edef\\u2066"),
    "NUL and DEL": ("a\x00b\x7fc", "abc"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_sequences_are_dropped_whole(name: str) -> None:
    line, visible = HOSTILE[name]
    assert plain_text(line) == visible
    assert_terminal_safe(line)


def test_colours_survive() -> None:
    text = to_text("ok \x1b[1;31mFAIL\x1b[0m \x1b[38;2;0;255;0mgreen\x1b[m \x1b[44mbg\x1b[0m")
    assert text.plain == "ok FAIL green bg"
    styles = {text.plain[s.start : s.end]: s.style for s in text.spans}
    assert styles["FAIL"].color.name == "color(1)" and styles["FAIL"].bold
    assert styles["green"].color.triplet == (0, 255, 0)
    assert styles["bg"].bgcolor.name == "color(4)"
    assert "\x1b[1;31m" in sanitize("\x1b[1;31mFAIL")


def test_eight_bit_sgr_becomes_seven_bit_colour() -> None:
    assert sanitize("\x9b31mred") == "\x1b[31mred"
    assert to_text("\x9b31mred").spans[0].style.color.name == "color(1)"


def test_only_colour_attributes_are_kept() -> None:
    text = to_text("\x1b[5mblink\x1b[8mhidden\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07")
    assert text.plain == "blinkhidden link"
    for span in text.spans:
        assert isinstance(span.style, Style)
        assert not span.style.blink and not span.style.conceal and not span.style.link
    assert "]8;" not in terminal_bytes("\x1b]8;;http://x\x07link\x1b]8;;\x07")


def test_markup_is_never_parsed() -> None:
    for line in ["[@click=app.quit]x", "[/]", "[bold red]x", "[link=http://e]y[/link]"]:
        text = to_text(line)
        assert text.plain == line
        assert not text.spans
    coloured = to_text("\x1b[31m[bold]x[/]\x1b[0m")
    assert coloured.plain == "[bold]x[/]"


def test_tabs_expand_to_columns_across_colour_codes() -> None:
    assert plain_text("a\tb") == "a       b"
    assert plain_text("abc\x1b[31m\td") == "abc     d"
    assert plain_text("12345678\tx") == "12345678        x"


def test_plain_lines_take_the_fast_path_unchanged() -> None:
    line = "plain old output, 100% [done]"
    assert sanitize(line) is line


def test_random_garbage_never_reaches_the_terminal() -> None:
    rng = random.Random(1234)
    alphabet = ["\x1b", "[", "]", "P", "\\", "\x07", "\x9b", "\x9d", "\x9c", ";", "m", "H"]
    alphabet += ["0", "1", "3", "8", "?", "\r", "\n", "\t", "\x00", "a", "Z", "é", "(", "_"]
    for _ in range(3000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert_terminal_safe(line)
        assert sanitize(sanitize(line)) == sanitize(line)
