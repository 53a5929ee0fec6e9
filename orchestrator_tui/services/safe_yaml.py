"""Reading untrusted YAML and JSON in bounded time and memory.

`yaml.safe_load` semantics only (no Python tags), plus limits on size,
nesting depth and alias use, so a hostile file fails fast with a clear
message instead of exhausting the machine. A key repeated in one mapping or
object is refused (rather than the last one silently winning).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.constructor import ConstructorError

from ..domain.errors import ValidationFailed

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 200


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

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            _refuse_repeated_keys(self, node)
        return super().construct_mapping(node, deep=deep)


_MERGE_TAG = "tag:yaml.org,2002:merge"


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


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationFailed(f"{path}: cannot read: {exc.strerror}") from None
    if size > limit:
        raise ValidationFailed(f"{path}: {size} bytes is over the {limit} byte limit")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except OSError as exc:
        raise ValidationFailed(f"{path}: cannot read: {exc.strerror}") from None


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
    """The line of the object holding `key` twice (re-read slowly: errors only)."""
    from json import scanner
    from json.decoder import JSONObject

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
    decoder.scan_once = scanner.py_make_scanner(decoder)
    with contextlib.suppress(ValueError, RecursionError):  # _RepeatedKey is a ValueError
        decoder.decode(text)
    return text.count("\n", 0, found[0]) + 1 if found else None


def load_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
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
        raise ValidationFailed(f"{origin}: invalid JSON: nested too deeply") from None


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
    where = ".".join(parts) or "top level"
    more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    return ValidationFailed(f"{origin}: {where}: {first['msg']}{more}")
