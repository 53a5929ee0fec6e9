"""Imports between the package's layers point downwards only.

Every `import` of every module is read with `ast` (those under
`if TYPE_CHECKING:` and inside functions too: a lazy or type-only import is
still a dependency), and its target layer must be one the importing layer may
use. The layers, bottom to top:

    domain      pure rules and models: imports nothing of ours
    store       tables, engine, schema: domain
    workspaces  git worktrees, diffs, merges: domain
    services    every read and write: store, workspaces, domain
    runner      runs commands for tasks: services, store, domain
    agents      coding-agent profiles, prompts, parsers, budgets: domain
    ui          screens, widgets, modals: runner, services, domain (no SQL, so no store)
    app         the Textual app: ui and everything below
    mcp_server  the MCP front door: runner (its notifications), services, domain
    simulated_agent  the demo's agent program: runner, services, domain
    cli         the command line: everything below ui; the app only lazily,
                inside the function that launches it (the TUI stays out of
                every other command's start-up)

`config` (where the database is, who acts, the names of the variables a run
and the notification hooks read) and `resources` (files shipped with the
package) are leaves that import nothing of ours (but for the error `config`
raises on a variable naming a missing file, imported only when raised); `program` (how this
installation runs itself), `procs` (processes found and stopped through /proc)
and `watcher` (a runner's watcher process, which starts without the runner
package) import only `config` and each other; `malloc` (the TUI process's malloc
arenas) imports nothing of ours; `orchestrator_tui/__init__`
holds only the version, and `__main__` calls the CLI. Textual and Rich are
imported by ui and app only (tests/core/test_layering.py also checks domain
and store in a fresh interpreter).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import orchestrator_tui

PACKAGE = Path(orchestrator_tui.__file__).resolve().parent
ROOT = "orchestrator_tui"
LEAVES = {"config", "resources", "program", "procs", "watcher", "malloc"}

#: layer -> the layers it may import (its own layer is always allowed).
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "config": set(),
    "resources": set(),
    "malloc": set(),
    "program": {"config"},
    "procs": {"config"},
    "watcher": {"procs", "config"},
    "store": {"domain"},
    "workspaces": {"domain"},
    # services and runner use the agents' profiles, prompts, parsers and budgets
    # and the notification hooks (services/notify.py) read config's variable names
    "services": {"agents", "store", "workspaces", "domain", "resources", "config", "program"},
    "runner": {
        *("agents", "services", "store", "workspaces", "domain"),
        *("config", "program", "procs", "watcher"),
    },
    "agents": {"domain"},
    "ui": {"runner", "services", "domain", "config", "resources"},
    "app": {"ui", "runner", "services", "store", "domain", "config", "resources", "malloc"},
    "mcp_server": {"runner", "services", "domain", "config"},
    "simulated_agent": {"runner", "services", "domain", "config"},
    "cli": {
        *("mcp_server", "simulated_agent", "agents", "runner", "services", "store"),
        *("workspaces", "domain"),
        *("config", "resources", "version"),
    },
    "version": set(),
    "__main__": {"cli"},
}
#: Imports allowed only inside a function body, never at module level.
LAZY_ONLY: dict[str, set[str]] = {"cli": {"app"}, "config": {"domain"}}
#: Third-party packages only some layers may import.
UI_LIBRARIES = {"textual", "rich"}
UI_LAYERS = {"ui", "app"}


@dataclass(frozen=True)
class Edge:
    source: str  # dotted module name
    target: str  # dotted module (or module.attribute) name
    line: int
    lazy: bool  # inside a function body

    def __str__(self) -> str:
        where = " (inside a function)" if self.lazy else ""
        return f"{self.source}:{self.line} imports {self.target}{where}"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """The layer of a module of ours (`orchestrator_tui.x...` -> x)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "version"  # the package's __init__: only __version__
    top = parts[1]
    if (PACKAGE / top).is_dir() or (PACKAGE / f"{top}.py").is_file():
        return top
    return "version"  # an attribute of the package's __init__ (`from .. import __version__`)


def imports_of(path: Path) -> list[Edge]:
    source = module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    edges: list[Edge] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            for target in _targets(child, source, is_package):
                edges.append(Edge(source, target, getattr(child, "lineno", 0), lazy))
            visit(child, inner)

    visit(tree, False)
    return edges


def _targets(node: ast.AST, source: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level == 0:
        return [node.module or ""]
    base = source.split(".")
    if not is_package:
        base = base[:-1]  # a module's relative imports start at its package
    base = base[: len(base) - (node.level - 1)]
    if node.module:
        return [".".join([*base, node.module])]
    return [".".join([*base, alias.name]) for alias in node.names]


def all_edges() -> list[Edge]:
    """Every import of ours between modules of ours."""
    return [e for e in every_import() if e.target == ROOT or e.target.startswith(ROOT + ".")]


def every_import() -> list[Edge]:
    return [edge for path in sorted(PACKAGE.rglob("*.py")) for edge in imports_of(path)]


def test_every_module_belongs_to_a_known_layer() -> None:
    layers = {layer_of(module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert layers <= set(ALLOWED), f"place these in ALLOWED: {sorted(layers - set(ALLOWED))}"


def test_the_graph_is_read() -> None:
    """Guards the parser itself: known edges of each kind are found."""
    found = {(e.source, e.target, e.lazy) for e in all_edges()}
    assert ("orchestrator_tui.store.engine", "orchestrator_tui.domain.errors", False) in found
    assert ("orchestrator_tui.cli", "orchestrator_tui.__version__", False) in found
    assert ("orchestrator_tui.cli", "orchestrator_tui.app", True) in found
    assert ("orchestrator_tui.__main__", "orchestrator_tui.cli", False) in found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    allowed = ALLOWED[layer] | {layer}
    lazy_ok = LAZY_ONLY.get(layer, set())
    bad = [
        str(edge)
        for edge in all_edges()
        if layer_of(edge.source) == layer
        and (target := layer_of(edge.target)) not in allowed
        and not (edge.lazy and target in lazy_ok)
    ]
    assert bad == [], f"{layer} may import only {sorted(allowed)}:\n" + "\n".join(bad)


def test_textual_and_rich_only_in_ui_and_app() -> None:
    bad = [
        str(edge)
        for edge in every_import()
        if edge.target.split(".")[0] in UI_LIBRARIES and layer_of(edge.source) not in UI_LAYERS
    ]
    assert bad == []
    assert any(e.target.startswith("textual") for e in every_import())  # the check sees them
