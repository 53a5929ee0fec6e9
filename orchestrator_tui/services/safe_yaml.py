"""Reading untrusted YAML and JSON in bounded time and memory.

`yaml.safe_load` semantics only (no Python tags), plus limits on size,
nesting depth (the same for JSON), alias use and the size aliases expand
to, so a hostile file fails fast with a clear message instead of exhausting
the machine. A key repeated in one mapping or object is refused (rather
than the last one silently winning). Files are read by `safe_files`.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.constructor import ConstructorError

from ..domain.errors import ValidationFailed, validation_message
from .safe_files import MAX_BYTES, read_text

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "describe_validation_error",
    "describe_yaml_error",
    "load_json",
    "load_yaml",
    "read_text",
    "safe_load_bounded",
]

MAX_DEPTH = 64
MAX_ALIASES = 200
#: How much aliases may add to a YAML document, in nodes plus characters of
#: text: sharing a block is fine, multiplying it into gigabytes is not.
MAX_ALIAS_GROWTH = 1_000_000


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise yaml.YAMLError(f"nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None and self._aliases:
            _check_expansion(node)
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            _refuse_repeated_keys(self, node)
        return super().construct_mapping(node, deep=deep)


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand it by more than MAX_ALIAS_GROWTH, or
    nest it deeper than MAX_DEPTH, or that refers to itself. Each distinct node is
    measured once (its expanded size and height are remembered)."""
    measured: dict[int, tuple[int, int]] = {}  # node id -> (expanded size, height)
    own_total = 0
    open_nodes: set[int] = set()

    def measure(node: yaml.Node, level: int) -> tuple[int, int]:
        nonlocal own_total
        known = measured.get(id(node))
        if known is None:
            if id(node) in open_nodes:
                raise yaml.YAMLError("an alias refers to the node that holds it")
            if level > MAX_DEPTH:
                raise yaml.YAMLError(f"aliases nest the document deeper than {MAX_DEPTH} levels")
            open_nodes.add(id(node))
            if isinstance(node, yaml.ScalarNode):
                children: list[yaml.Node] = []
                own = 1 + len(node.value)
            elif isinstance(node, yaml.SequenceNode):
                children, own = list(node.value), 1
            else:
                children, own = [n for pair in node.value for n in pair], 1
            parts = [measure(child, level + 1) for child in children]
            open_nodes.discard(id(node))
            own_total += own
            known = (own + sum(p[0] for p in parts), 1 + max((p[1] for p in parts), default=0))
            measured[id(node)] = known
        if level + known[1] - 1 > MAX_DEPTH:
            raise yaml.YAMLError(f"aliases nest the document deeper than {MAX_DEPTH} levels")
        if known[0] - own_total > MAX_ALIAS_GROWTH:
            raise yaml.YAMLError(
                f"aliases expand the document by more than {MAX_ALIAS_GROWTH} nodes and characters"
            )
        return known

    measure(root, 1)


def _refuse_repeated_keys(loader: _BoundedLoader, node: yaml.MappingNode) -> None:
    """Explicit keys of one mapping must differ (merged `<<` keys may be overridden)."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            repeated = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key: PyYAML refuses it itself
            continue
        if repeated:
            raise ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )


def describe_yaml_error(exc: yaml.YAMLError) -> str:
    """One line: the problem and where (PyYAML's own text spans several lines)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        where = ""
        if exc.problem_mark is not None:
            mark = exc.problem_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        context = f"{exc.context}, " if exc.context else ""
        return f"{context}{exc.problem}{where}"
    return " ".join(str(exc).split())


def safe_load_bounded(text: str) -> Any:
    """`yaml.safe_load` with the size, depth and alias limits; YAMLError on bad input."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(text: str, origin: str) -> Any:
    try:
        return safe_load_bounded(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{origin}: invalid YAML: {describe_yaml_error(exc)}") from None
    except RecursionError:
        raise ValidationFailed(f"{origin}: invalid YAML: nested too deeply") from None


class _RepeatedKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return out


def _line_of_repeated_key(text: str, key: str) -> int | None:
    """The line of the object holding `key` twice: read again with the pure-Python
    scanner, whose object parser knows where each object starts (errors only)."""
    from json import scanner
    from json.decoder import JSONObject  # type: ignore[attr-defined]

    found: list[int] = []
    decoder = json.JSONDecoder()

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> Any:
        start = s_and_end[1]
        try:
            return JSONObject(s_and_end, *args)
        except _RepeatedKey:
            if not found:
                found.append(start)
            raise

    decoder.object_pairs_hook = _unique_pairs
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    with contextlib.suppress(ValueError, RecursionError):  # _RepeatedKey is a ValueError
        decoder.decode(text)
    return text.count("\n", 0, found[0]) + 1 if found else None


def _json_keys_within_depth(data: Any) -> int | None:
    """How many keys the objects `json.loads` made hold together, or None when
    nesting goes deeper than MAX_DEPTH: walked a level at a time without
    recursion, over the plain dicts and lists it makes."""
    level = [data] if data.__class__ is dict or data.__class__ is list else []
    depth = keys = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return None
        below = []
        for node in level:
            values: Iterable[Any] = node
            if node.__class__ is dict:
                keys += len(node)
                values = node.values()
            for value in values:
                if value.__class__ is dict or value.__class__ is list:
                    below.append(value)
        level = below
    return keys


#: A blank before a colon (found at C speed, a colon being rarer than a quote) and,
#: where there is one, a key's closing quote with blanks before its colon (`"key" : 1`)
_BLANK_BEFORE_COLON = re.compile(r":(?<=[ \t\n\r]:)")
_BLANKS_BEFORE_COLON = re.compile(r'"[ \t\n\r]+:')


def _no_repeated_key(text: str, keys: int) -> bool:
    """Whether no object of `text` repeats a key, its parse holding `keys` keys.
    Each key of the text ends in `":` unless blanks stand before its colon, so
    without those the text has at least as many `":` as keys; a repeated key is
    one the parse dropped, so as many `":` as keys kept means none was repeated.
    False may also mean that a text holds `":` in a string: then the objects are
    read again, key by key."""
    return text.count('":') == keys and (
        _BLANK_BEFORE_COLON.search(text) is None or _BLANKS_BEFORE_COLON.search(text) is None
    )


def load_json(text: str, origin: str) -> Any:
    try:
        # at C speed first; a text the two checks cannot clear is read again below
        data = json.loads(text)
        keys = _json_keys_within_depth(data)
        if keys is not None and _no_repeated_key(text, keys):
            return data
        del data
        data = json.loads(text, object_pairs_hook=_unique_pairs)
        if _json_keys_within_depth(data) is None:
            raise RecursionError
        return data
    except _RepeatedKey as exc:
        line = _line_of_repeated_key(text, exc.key)
        where = f" in the object at line {line}" if line else ""
        raise ValidationFailed(
            f"{origin}: invalid JSON: duplicate key {exc.key!r}{where}"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"{origin}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise ValidationFailed(
            f"{origin}: invalid JSON: nested deeper than {MAX_DEPTH} levels"
        ) from None


def describe_validation_error(exc: ValidationError, data: Any, origin: str) -> ValidationFailed:
    """Name the file, the record (with its key or id when it has one) and the field."""
    first = exc.errors()[0]
    loc = list(first["loc"])
    parts: list[str] = []
    node: Any = data
    for step in loc:
        if isinstance(step, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{step}]"]
            try:
                node = node[step]
            except (IndexError, KeyError, TypeError):
                node = None
            if isinstance(node, dict):
                ident = node.get("key") or node.get("id") or node.get("name")
                if ident is not None:
                    parts[-1] += f" ({ident})"
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    message = validation_message(first)
    if not parts and message != first["msg"]:  # a rule of ours over the whole file
        return ValidationFailed(f"{origin}: {message}{more}")  # names its record itself
    where = ".".join(parts) or "top level"
    return ValidationFailed(f"{origin}: {where}: {message}{more}")
