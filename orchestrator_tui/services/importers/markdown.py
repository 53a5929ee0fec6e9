"""Markdown task files: YAML frontmatter between `---` lines, then a body made
of `## Heading` sections, with or without `<!-- SECTION:...:BEGIN -->` markers."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ...domain.errors import ValidationFailed
from ..safe_yaml import load_yaml, safe_load_bounded

_MARKER = re.compile(r"^\s*<!--\s*[A-Z_]+(?::[A-Z_]+)*:(?:BEGIN|END)\s*-->\s*$")
_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CHECKBOX = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s+(?:#\d+\s+)?(.*\S)\s*$")
# `key: @value` and `- @value`: `@` cannot start a plain YAML scalar, but
# Backlog.md writes assignees that way (its own reader quotes them first).
_AT_VALUE = re.compile(r"^(\s*(?:-\s+|[A-Za-z_][\w-]*:\s+))(@[^\n]*?)\s*$")
_AT_FLOW = re.compile(r"^(\s*[A-Za-z_][\w-]*:\s*)\[([^\]\n]*@[^\]\n]*)\]\s*$")


def split_frontmatter(text: str) -> tuple[str, str] | None:
    """(frontmatter, body), or None when the file has no frontmatter."""
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        return None
    lines = text.splitlines(keepends=True)
    if lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    return None


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_at_values(frontmatter: str) -> str:
    out = []
    for line in frontmatter.splitlines():
        if m := _AT_VALUE.match(line):
            line = m.group(1) + _quote(m.group(2))
        elif m := _AT_FLOW.match(line):
            items = [i.strip() for i in m.group(2).split(",")]
            quoted = [_quote(i) if i.startswith("@") else i for i in items]
            line = f"{m.group(1)}[{', '.join(quoted)}]"
        out.append(line)
    return "\n".join(out)


_TOP_SCALAR = re.compile(r"^([A-Za-z_][\w-]*):[ \t]+(\S.*?)\s*$")
#: What a YAML value opens a quoted scalar with.
_QUOTES = ("'", '"')


def _reads_alone(value: str) -> bool:
    """Whether `key: value` holds `value` as YAML would (a flow list or a plain scalar)."""
    try:
        loaded = safe_load_bounded(f"k: {value}\n")
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and not isinstance(loaded.get("k"), dict)


def quote_plain_values(frontmatter: str) -> str:
    """Top-level `key: value` lines whose value is not YAML on its own
    (`title: [WIP] Fix: the thing`) with the value quoted as text, as
    hand-written Backlog.md files need. A value that opens a quote is YAML's
    own (it may go on over indented lines) and is left as it is."""
    out = []
    for line in frontmatter.splitlines():
        m = _TOP_SCALAR.match(line)
        if m and not m.group(2).startswith(_QUOTES) and not _reads_alone(m.group(2)):
            line = f"{m.group(1)}: {_quote(m.group(2))}"
        out.append(line)
    return "\n".join(out)


def unclosed_quote(frontmatter: str) -> str | None:
    """The first top-level field whose value opens a quote that does not close
    it (`title: "Fix login`): the person meant YAML's quoting, so it is not
    quoted again as text. Backlog.md cannot read such a file either."""
    lines = frontmatter.splitlines()
    for index, line in enumerate(lines):
        m = _TOP_SCALAR.match(line)
        if not m or not m.group(2).startswith(_QUOTES):
            continue
        value = m.group(2)
        for more in lines[index + 1 :]:  # a quoted value may go on, indented
            if not more[:1].isspace():
                break
            value += "\n" + more
        if not _reads_alone(value):
            return m.group(1)
    return None


def raw_value(frontmatter: str, key: str) -> str | None:
    """The text after `key:` on its top-level line, unquoted (a title written
    as `title: [WIP]` reads as a list; this is what the person typed)."""
    for line in frontmatter.splitlines():
        m = _TOP_SCALAR.match(line)
        if m and m.group(1) == key:
            text = m.group(2)
            if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
                text = text[1:-1]
            return text
    return None


def read_frontmatter(frontmatter: str, origin: str, lenient: bool = False) -> dict[str, Any]:
    """The frontmatter's fields; `lenient` retries a file YAML refuses with
    its plain values quoted (see `quote_plain_values`), unless a value opens
    a quote it does not close (see `unclosed_quote`)."""
    text = quote_at_values(frontmatter)
    try:
        data = load_yaml(text, f"{origin}: frontmatter")
    except ValidationFailed:
        if not lenient:
            raise
        if (name := unclosed_quote(text)) is not None:
            raise ValidationFailed(
                f"{origin}: frontmatter: {name}: its value starts with a quote but does not "
                "end with one"
            ) from None
        repaired = quote_plain_values(text)
        if repaired == text:
            raise
        data = load_yaml(repaired, f"{origin}: frontmatter")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationFailed(f"{origin}: frontmatter: expected a mapping of fields")
    return data


def sections(body: str) -> tuple[str, dict[str, str]]:
    """(text before the first heading, {heading: text}) with markers removed."""
    pre: list[str] = []
    found: dict[str, list[str]] = {}
    current = pre
    fenced = False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced:
            if _MARKER.match(line):
                continue
            if m := _HEADING.match(line):
                current = found.setdefault(m.group(1).strip(), [])
                continue
        current.append(line)
    return "\n".join(pre).strip(), {k: "\n".join(v).strip() for k, v in found.items()}


def checkboxes(text: str) -> list[tuple[bool, str]]:
    """`- [x] #1 text` lines as (checked, text)."""
    return [
        (m.group(1) != " ", m.group(2))
        for line in text.splitlines()
        if (m := _CHECKBOX.match(line))
    ]
