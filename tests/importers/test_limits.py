"""Files that try to walk around the reader: repeated keys, alias bombs, deep
nesting, endless or blocking files. Each is refused with one message naming
the file (and the line or key where possible), and nothing is written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from orchestrator_tui.domain.errors import OrchestratorError
from orchestrator_tui.services.importers import import_path
from orchestrator_tui.services.safe_files import read_bytes

from .conftest import FIXTURES, dump, refused_import


def refused(orch, path: Path) -> str:
    import_path(orch, FIXTURES / "plan.yaml")  # something already there
    return refused_import(orch, path)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def backlog_with(tmp_path: Path, files: dict[str, str]) -> Path:
    """A Backlog.md folder holding the task BACK-1, then `files` (by name) beside it."""
    root = tmp_path / "proj"
    write(root, "backlog/config.yml", "project_name: x\n")
    write(root, "backlog/tasks/back-1 - a.md", "---\nid: BACK-1\ntitle: a\n---\n")
    for name, text in files.items():
        write(root, f"backlog/tasks/{name}", text)
    return root


# -- repeated keys ---------------------------------------------------------------------


def test_a_plan_with_two_tasks_keys_is_refused_naming_the_line(orch, tmp_path):
    text = "tasks:\n  - {key: A, title: a}\nname: two lists\ntasks:\n  - {key: B, title: b}\n"
    message = refused(orch, write(tmp_path, "plan.yaml", text))
    assert "plan.yaml" in message
    assert "duplicate key 'tasks' at line 4, column 1" in message


def test_a_repeated_key_inside_a_yaml_task_is_refused(orch, tmp_path):
    text = "tasks:\n  - key: A\n    title: first\n    title: second\n"
    message = refused(orch, write(tmp_path, "plan.yaml", text))
    assert "plan.yaml" in message and "duplicate key 'title' at line 4" in message


def test_yaml_merge_keys_may_still_be_overridden(orch, tmp_path):
    text = (
        "tasks:\n  - &d {key: Z, priority: low, title: x}\n"
        "  - <<: *d\n    key: A\n    title: merged and overridden\n"
    )
    import_path(orch, write(tmp_path, "plan.yaml", text))
    assert orch.queries.get_task("A").title == "merged and overridden"


def test_a_json_object_with_a_repeated_key_is_refused(orch, tmp_path):
    data = json.loads((FIXTURES / "taskmaster" / "tasks.json").read_text())
    text = json.dumps(data, indent=2)
    # the same tag twice: the second list of tasks would silently replace the first
    text = text.replace('{\n  "master": {', '{\n  "master": {"tasks": []},\n  "master": {', 1)
    message = refused(orch, write(tmp_path, "tasks.json", text))
    assert "tasks.json" in message and "duplicate key 'master' in the object at line 1" in message


@pytest.mark.parametrize(
    ("task", "repeated"),
    [
        pytest.param('{"key": "A", "title": "a", "key": "B"}', "key", id="plain"),
        # the one key not ending in `":` makes up, in a count, for the one repeated
        pytest.param(
            '{"key": "A", "title": "a", "key"\t\n : "B"}', "key", id="blanks-before-colon"
        ),
        # the title's `":` stands where a key's end would be counted
        pytest.param(
            '{"key": "A", "title": "say \\": twice", "title": "b"}', "title", id="quote-colon-title"
        ),
    ],
)
def test_a_repeated_key_in_a_task_of_our_json_export_is_refused(orch, tmp_path, task, repeated):
    text = '{"tasks": [\n' + task + "]}"
    message = refused(orch, write(tmp_path, "export.json", text))
    assert "export.json" in message
    assert f"duplicate key '{repeated}' in the object at line 2" in message


def test_texts_holding_quote_colon_and_blanks_before_colons_still_load(orch, tmp_path):
    document = {"tasks": [{"key": "A", "title": 'a "b": c', "extra": {'"x":': ' " :'}}]}
    for name, text in (
        ("compact.json", json.dumps(document)),
        ("blanks.json", json.dumps(document, separators=(", ", " : "))),
    ):
        import_path(orch, write(tmp_path, name, text))
        task = orch.queries.get_task("A")
        assert (task.title, task.extra) == ('a "b": c', {'"x":': ' " :'})


def test_a_repeated_key_in_backlog_frontmatter_skips_the_file_or_refuses_with_strict(
    orch, tmp_path
):
    """A Backlog.md folder is imported file by file: the file with the repeated key
    is skipped with a warning naming it and the key, never silently."""
    root = backlog_with(
        tmp_path,
        {
            "back-1 - a.md": "---\nid: BACK-1\ntitle: a\ntitle: b\n---\n",
            "back-2 - b.md": "---\nid: BACK-2\ntitle: fine\n---\n",
        },
    )
    report = import_path(orch, root)
    assert report.tasks == 1
    [warning] = [w for w in report.warnings if "back-1 - a.md" in w]
    assert "duplicate key 'title'" in warning
    with pytest.raises(OrchestratorError, match="duplicate key 'title'"):
        import_path(orch, root, strict=True)


# -- sizes, depth, aliases, what is read --------------------------------------------


def alias_bomb(levels: int = 4, width: int = 10, leaf: int = 200) -> str:
    """A few dozen aliases (well under the alias limit) expanding to megabytes."""
    lines = ["tasks:", "  - key: A", "    title: bomb", "    extra:", f"      l0: &l0 {'x' * leaf}"]
    for level in range(1, levels + 1):
        refs = ", ".join(f"*l{level - 1}" for _ in range(width))
        lines.append(f"      l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_under_the_alias_limit_is_refused(orch, tmp_path):
    message = refused(orch, write(tmp_path, "plan.yaml", alias_bomb()))
    assert "plan.yaml: invalid YAML: aliases expand the document by more than" in message


def test_a_few_shared_blocks_still_load(orch, tmp_path):
    text = alias_bomb(levels=2, width=3, leaf=20)
    import_path(orch, write(tmp_path, "plan.yaml", text))
    assert orch.queries.get_task("A").extra["l2"][0] == ["x" * 20] * 3


def test_an_alias_to_its_own_parent_is_refused(orch, tmp_path):
    text = "tasks:\n  - key: A\n    title: loop\n    extra: &me {again: *me}\n"
    message = refused(orch, write(tmp_path, "plan.yaml", text))
    assert "plan.yaml: invalid YAML:" in message


def test_json_nested_deeper_than_the_yaml_limit_is_refused(orch, tmp_path):
    deep = "[" * 300 + "]" * 300
    text = '{"tasks": [{"key": "A", "title": "a", "extra": {"x": '
    message = refused(orch, write(tmp_path, "export.json", text + deep + "}}]}"))
    assert "export.json: invalid JSON: nested deeper than 64 levels" in message


def test_json_nested_within_the_limit_loads(orch, tmp_path):
    deep = "[" * 40 + "]" * 40
    text = '{"tasks": [{"key": "A", "title": "a", "extra": {"x": '
    import_path(orch, write(tmp_path, "export.json", text + deep + "}}]}"))
    assert orch.queries.get_task("A").title == "a"


def test_a_link_to_dev_zero_is_refused_without_reading(orch, tmp_path):
    link = tmp_path / "plan.yaml"
    link.symlink_to("/dev/zero")
    message = refused(orch, link)
    assert message == f"{link}: a character device, not a regular file; nothing was read"


@pytest.mark.parametrize("name", ["tasks.json", "plan.yaml", "old.db"])
def test_a_fifo_is_refused_without_blocking(orch, tmp_path, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    message = refused(orch, fifo)
    assert message == f"{fifo}: a named pipe (FIFO), not a regular file; nothing was read"


def test_a_fifo_among_backlog_tasks_is_never_read_and_skipped_or_refused(orch, tmp_path):
    root = backlog_with(tmp_path, {})
    os.mkfifo(root / "backlog/tasks/back-2 - b.md")
    report = import_path(orch, root)  # returns: the pipe is never opened for reading
    assert report.tasks == 1
    assert any(
        "back-2 - b.md: a named pipe (FIFO), not a regular file" in w for w in report.warnings
    )
    with pytest.raises(OrchestratorError, match="a named pipe"):
        import_path(orch, root, strict=True)


def test_the_bytes_actually_read_are_bounded_whatever_the_size_says(tmp_path):
    status = Path("/proc/self/status")  # a regular file that says it holds 0 bytes
    if not status.exists() or status.stat().st_size:
        pytest.skip("needs Linux /proc")
    assert read_bytes(status, 100_000).startswith(b"Name:")
    with pytest.raises(OrchestratorError, match="over the 10 byte limit; nothing was read"):
        read_bytes(status, 10)


# -- Backlog.md: links out of the folder, frontmatter that never closes ----------------


def test_a_backlog_link_out_of_the_folder_is_skipped_and_said(orch, tmp_path):
    secret = write(tmp_path, "elsewhere/secret.md", "---\nid: BACK-9\ntitle: private text\n---\n")
    root = backlog_with(tmp_path, {})
    link = root / "backlog/tasks/back-9 - s.md"
    link.symlink_to(secret)
    report = import_path(orch, root)
    assert report.tasks == 1
    assert report.warnings == [
        f"{root / 'backlog'}: tasks/back-9 - s.md: a link to {secret}, outside the imported "
        "folder; skipped"
    ]
    assert "private text" not in json.dumps(dump(orch), default=str)  # PostgreSQL: datetimes


def test_strict_refuses_a_backlog_link_out_of_the_folder(orch, tmp_path):
    root = backlog_with(tmp_path, {})
    (root / "backlog/tasks/back-2 - p.md").symlink_to("/etc/passwd")
    with pytest.raises(OrchestratorError, match="outside the imported folder; skipped"):
        import_path(orch, root, strict=True)
    assert orch.tasks.count() == 0


def test_backlog_frontmatter_that_never_closes_is_a_warning(orch, tmp_path):
    root = backlog_with(tmp_path, {"back-2 - b.md": "---\nid: BACK-2\ntitle: b\n\nbody\n"})
    report = import_path(orch, root)
    assert report.tasks == 1
    assert report.warnings == [
        f"{root / 'backlog'}: tasks/back-2 - b.md: its frontmatter never closes "
        "(no second ---); skipped"
    ]


def test_aliases_cannot_nest_a_document_past_the_depth_limit(orch, tmp_path):
    """Each alias one level deeper than the last: small, but 100 levels deep."""
    chain = "".join(f"      a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 100))
    text = "tasks:\n  - key: A\n    title: deep\n    extra:\n      a0: &a0 [x]\n" + chain
    message = refused(orch, write(tmp_path, "plan.yaml", text))
    assert "plan.yaml: invalid YAML: aliases nest the document deeper than 64 levels" in message


def test_the_counted_repeated_key_check_agrees_with_the_key_by_key_one():
    """Random JSON texts with repeated keys, blanks around colons and strings holding
    `":`: whatever the checking hook refuses, the read refuses with the same message;
    whatever it reads, the read gives."""
    import random
    import re

    from orchestrator_tui.domain.errors import ValidationFailed
    from orchestrator_tui.services.safe_yaml import _unique_pairs, load_json

    rng = random.Random(16)
    keys = ["a", "b", 'q":', "c d", "", '\\"']
    texts = ['":', '" :', "plain", " : ", '{"k": 1}', '"\n:']

    def blank() -> str:
        return rng.choice(["", "", " ", "\n", "\t ", "\r\n"])

    def value(depth: int) -> str:
        roll = rng.random()
        if depth > 3 or roll < 0.3:
            return rng.choice([json.dumps(rng.choice(texts)), "1", "null", "2.5"])
        if roll < 0.6:
            items = (value(depth + 1) for _ in range(rng.randint(0, 3)))
            return "[" + blank() + ("," + blank()).join(items) + blank() + "]"
        pairs = (
            f"{blank()}{json.dumps(rng.choice(keys))}{blank()}:{blank()}{value(depth + 1)}"
            for _ in range(rng.randint(0, 4))
        )
        return "{" + blank() + ",".join(pairs) + blank() + "}"

    refused = 0
    for _ in range(3000):
        text = value(0)
        try:
            expected = json.loads(text, object_pairs_hook=_unique_pairs)
        except ValueError as exc:  # a repeated key
            refused += 1
            message = re.escape(f"duplicate key {exc.args[0]!r}")
            with pytest.raises(ValidationFailed, match=message):
                load_json(text, "x.json")
        else:
            assert load_json(text, "x.json") == expected
    assert refused > 300  # the texts do repeat keys
