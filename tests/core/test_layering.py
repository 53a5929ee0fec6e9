"""domain/ and store/ never import Textual (nor Rich): checked in a fresh
interpreter and in the source of every file."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import orchestrator_tui

PACKAGE = Path(orchestrator_tui.__file__).resolve().parent
CORE_DIRS = ("domain", "store")
FORBIDDEN = ("textual", "rich")


def core_files() -> list[Path]:
    return sorted(p for d in CORE_DIRS for p in (PACKAGE / d).rglob("*.py"))


def modules_loaded_by(script: str) -> list[str]:
    """The modules a fresh interpreter has loaded once it has run `script`."""
    script += "import json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


def test_importing_the_core_loads_no_ui() -> None:
    modules = [
        "orchestrator_tui." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for p in core_files()
    ]
    loaded = modules_loaded_by(
        "import importlib\n"
        f"for m in {modules!r}: importlib.import_module(m.removesuffix('.__init__'))\n"
    )
    assert "orchestrator_tui.store.schema" in loaded
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert bad == []


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_ui_import_in_source(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_asking_a_person_loads_no_runner() -> None:
    """`task ask` and the MCP server ask through the services; the runner's
    subprocess machinery stays unloaded."""
    loaded = modules_loaded_by("from orchestrator_tui.services.notify import ask_person\n")
    assert "orchestrator_tui.services.notify" in loaded
    assert [m for m in loaded if m.startswith("orchestrator_tui.runner")] == []


def test_the_watcher_process_starts_without_the_database_layer() -> None:
    """A runner's watcher (`python -m orchestrator_tui.watcher`) is a small process:
    it loads `procs` and `config` of ours, and neither SQLAlchemy nor pydantic."""
    loaded = modules_loaded_by("import orchestrator_tui.watcher\n")
    ours = {m for m in loaded if m.startswith("orchestrator_tui")}
    assert ours == {
        "orchestrator_tui",
        "orchestrator_tui.config",
        "orchestrator_tui.procs",
        "orchestrator_tui.watcher",
    }
    assert not [m for m in loaded if m.split(".")[0] in ("sqlalchemy", "pydantic", "sqlmodel")]
