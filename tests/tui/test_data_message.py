"""Messages declared as DataMessage fields are filled as a dataclass fills them."""

from __future__ import annotations

from dataclasses import field
from typing import ClassVar

import pytest

from orchestrator_tui.ui.messages import DataMessage


class Sample(DataMessage, bubble=False):
    kind: ClassVar[str] = "sample"
    key: str
    count: int = 0
    rows: list[str] = field(default_factory=list)


def test_fields_are_filled_by_position_keyword_default_and_factory() -> None:
    one = Sample("A-1", rows=["x"])
    two = Sample(key="A-2")
    assert (one.key, one.count, one.rows) == ("A-1", 0, ["x"])
    assert (two.key, two.count, two.rows) == ("A-2", 0, [])
    assert two.rows is not Sample("A-3").rows  # a factory's value is each message's own
    assert one.kind == "sample" and not one.bubble  # a class variable is no field
    assert one != Sample("A-1", rows=["x"])  # an event: compared by identity
    assert list(one.__rich_repr__()) == [("key", "A-1"), ("count", 0), ("rows", ["x"])]


def test_a_wrong_call_is_refused_as_a_dataclass_refuses_it() -> None:
    with pytest.raises(TypeError, match="needs its field 'key'"):
        Sample()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="has no field 'colour'"):
        Sample("A-1", colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="takes 3 fields, not 4"):
        Sample("A-1", 1, [], 4)  # type: ignore[call-arg]
