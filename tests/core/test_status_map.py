"""Every foreign status word maps to exactly one of ours, in code and in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.domain.status_map import (
    STATUS_WORDS,
    TO_TASK_MASTER,
    known_words,
    map_status,
)

S = TaskStatus
README = Path(__file__).resolve().parents[2] / "README.md"

#: Every status word of the seed documents, with what it must mean here.
SEED_WORDS = {
    "not_started": S.PENDING,
    "pending": S.PENDING,
    "queued": S.PENDING,
    "in_progress": S.IN_PROGRESS,
    "running": S.IN_PROGRESS,
    "completed": S.DONE,
    "succeeded": S.DONE,
    "blocked": S.BLOCKED,
    "failed": S.FAILED,
    "requires_assistance": S.BLOCKED,
    "partial": S.IN_PROGRESS,
    "awaiting_approval": S.AWAITING_APPROVAL,
    "skipped": S.CANCELLED,
}

TASK_MASTER_WORDS = {
    "pending": S.PENDING,
    "in-progress": S.IN_PROGRESS,
    "done": S.DONE,
    "deferred": S.DEFERRED,
    "cancelled": S.CANCELLED,
    "blocked": S.BLOCKED,
    "review": S.AWAITING_APPROVAL,
}


@pytest.mark.parametrize(("word", "ours"), sorted(SEED_WORDS.items()))
def test_seed_words(word: str, ours: S) -> None:
    assert map_status(word) is ours
    assert any(
        word in words for source, words in STATUS_WORDS.items() if source != "orchestrator-tui"
    )


@pytest.mark.parametrize(("word", "ours"), sorted(TASK_MASTER_WORDS.items()))
def test_task_master_words(word: str, ours: S) -> None:
    assert map_status(word) is ours
    assert STATUS_WORDS["task-master"][word] is ours


def test_every_word_of_every_source_maps_to_one_status() -> None:
    seen: dict[str, S] = {}
    for words in STATUS_WORDS.values():
        for word, ours in words.items():
            key = " ".join(word.lower().split())
            assert seen.setdefault(key, ours) is ours, f"{word} maps to two statuses"
            assert map_status(word) is ours
    assert known_words() == seen


def test_our_own_words_map_to_themselves() -> None:
    for s in S:
        assert map_status(s.value) is s


def test_matching_ignores_case_and_spacing() -> None:
    assert map_status("  In-Progress ") is S.IN_PROGRESS
    assert map_status("To   Do") is S.PENDING
    assert map_status("COMPLETED") is S.DONE


@pytest.mark.parametrize("word", ["", "finished", "in progres", "done!", "wip"])
def test_unknown_words_are_refused(word: str) -> None:
    with pytest.raises(ValidationFailed, match="unknown status"):
        map_status(word)


def test_extra_words_from_a_source_config() -> None:
    assert map_status("QA", extra={"qa": "awaiting_approval"}) is S.AWAITING_APPROVAL
    with pytest.raises(ValueError):
        map_status("QA", extra={"qa": "not-a-status"})


def test_task_master_round_trip() -> None:
    assert set(TO_TASK_MASTER) == set(S)
    for ours, theirs in TO_TASK_MASTER.items():
        assert theirs in STATUS_WORDS["task-master"]
        if ours is not S.FAILED:  # task-master has no failed; it goes out as blocked
            assert map_status(theirs) is ours


def _readme_table() -> list[tuple[str, str, str]]:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- status-map:begin -->(.*?)<!-- status-map:end -->", text, re.S)
    assert match, "README.md has no <!-- status-map:begin/end --> table"
    rows = []
    for line in match.group(1).splitlines():
        cells = [c.strip().strip("`").strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or set(cells[0]) <= {"-", ":", " "} or cells[0].lower() == "word":
            continue
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def _source(name: str) -> str:
    return "-".join(name.lower().replace("_", "-").split())


def test_readme_table_equals_the_code() -> None:
    rows = _readme_table()
    assert rows, "the README's status-map table is empty"
    documented = set()
    for word, source, ours in rows:
        src = _source(source)
        assert src in STATUS_WORDS, f"README names an unknown source {source!r}"
        assert word in STATUS_WORDS[src], f"README lists {word!r} for {source}, the code does not"
        assert STATUS_WORDS[src][word].value == ours, f"{source} {word!r}: README says {ours}"
        documented.add((src, word))
    in_code = {
        (src, word)
        for src, words in STATUS_WORDS.items()
        if src != "orchestrator-tui"
        for word in words
    }
    assert in_code - documented == set(), "words in the code missing from the README"
