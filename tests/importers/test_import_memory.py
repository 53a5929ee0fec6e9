"""A large import, validated and written in chunks, adds every task in bounded
memory (how many copies it holds at once is a figure of
benchmarks/bench_import_memory.py); a bad record in any chunk of a large file
still names the file, the record and the field."""

from __future__ import annotations

import hashlib
import json
import tracemalloc

from benchmarks.taskmaster_file import taskmaster_document
from orchestrator_tui.services import plans
from orchestrator_tui.services.importers import common, import_path, read_import
from orchestrator_tui.services.importers.common import VALIDATE_CHUNK
from orchestrator_tui.services.importers.source import Source

from .conftest import refused_import


def test_a_large_import_adds_every_task_in_bounded_memory(orch, tmp_path, monkeypatch):
    # Validation and writes go in chunks far smaller than the file, as they do
    # at 60 MB; what is left is what the import holds at once.
    monkeypatch.setattr(plans, "BATCH", 500)
    monkeypatch.setattr(common, "VALIDATE_CHUNK", 200)
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(taskmaster_document(350), indent=2))
    size = path.stat().st_size
    assert size > 2_500_000
    tracemalloc.start()
    try:
        report = import_path(orch, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.added == 350 * 6
    assert len(orch.queries.list_tasks()) == 350 * 6
    # How many copies it holds (3.5x the file measured, goal < 3.9x) is a figure of
    # benchmarks/bench_import_memory.py; this bound only catches a runaway.
    assert peak < 10 * size, f"peak {peak / size:.2f}x the file"


def test_a_bad_record_in_a_later_chunk_names_its_record(orch, tmp_path):
    document = taskmaster_document(VALIDATE_CHUNK // 6 + 50, subtasks=5)
    tasks = document["master"]["tasks"]
    bad = len(tasks) - 3
    tasks[bad]["subtasks"][2]["title"] = "x" * 501  # within one chunk: over the title limit
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(document))
    message = refused_import(orch, path)
    assert message.startswith(f"{path}: tag 'master', tasks[{bad}] (id {bad + 1}), subtasks[2]")
    assert "title: String should have at most 500 characters" in message


def test_the_source_lets_its_text_go_and_still_knows_what_it_read(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(taskmaster_document(3)))
    source = Source(path)
    assert source.json["master"]["tasks"][0]["id"] == 1
    assert "text" not in vars(source)  # parsed: the text is not kept beside the tree
    source.release()
    assert "json" not in vars(source)
    assert source.fingerprint() == hashlib.sha256(path.read_bytes()).hexdigest()
    parsed = read_import(path, fingerprint=True)
    assert parsed.fingerprint == Source(path).fingerprint()
