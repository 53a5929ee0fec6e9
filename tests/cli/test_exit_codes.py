"""Every exit code the CLI returns is a named `ExitCode`, documented in the README's
table with the commands that return it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from orchestrator_tui.domain.errors import EXIT_CODES, ExitCode

from .conftest import Cli

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "orchestrator_tui"


def _readme_table() -> dict[int, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    return {int(c): row for c, row in re.findall(r"^\| (\d+) \| (.*) \|$", table, re.M)}


def _int_literals(node: ast.AST | None) -> list[int]:
    """Integer constants an expression may evaluate to (through `a if c else b`)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _int_literals(node.body) + _int_literals(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [n for v in node.values for n in _int_literals(v)]
    return []


def _exit_literals(path: Path) -> list[str]:
    """`return N`, `sys.exit(N)`, `SystemExit(N)` and `x.exit(N)` with a literal N
    other than 0 (success needs no name)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        values: list[ast.AST | None] = []
        if isinstance(node, ast.Return):
            values = [node.value]
        elif isinstance(node, ast.Call) and node.args:
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("exit", "SystemExit"):
                values = [node.args[0]]
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno}: {n}"
            for v in values
            for n in _int_literals(v)
            if n != 0
        ]
    return found


def test_the_cli_returns_named_exit_codes_only() -> None:
    files = [
        *sorted((PACKAGE / "cli").glob("*.py")),
        PACKAGE / "program.py",
        PACKAGE / "__main__.py",
    ]
    assert [hit for f in files for hit in _exit_literals(f)] == []


def test_the_readme_table_lists_every_named_code_and_the_commands_with_their_own() -> None:
    table = _readme_table()
    assert sorted(table) == sorted(int(c) for c in ExitCode) == sorted(EXIT_CODES)
    assert "`db validate`" in table[ExitCode.INVALID_INPUT]
    assert "`task cancel-run`" in table[ExitCode.REFUSED]
    assert "`task logs --follow`" in table[ExitCode.NOT_FOUND]
    assert "a person" in table[ExitCode.RUN_STOPPED_BY_PERSON]


def test_db_validate_with_problems_exits_with_invalid_input(cli: Cli) -> None:
    cli.ok("task", "add", "first", "--key", "A-2")
    before = cli("db", "validate")
    assert (before.code, before.out.endswith(": ok\n")) == (ExitCode.OK, True)
    from sqlalchemy import create_engine, text

    engine = create_engine(cli.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE tasks SET key_order = 'zz'"))
    engine.dispose()
    result = cli("db", "validate")
    assert result.code == ExitCode.INVALID_INPUT, result.err
    assert result.out.startswith("problem: 1 tasks lack their key's natural-order form")
    assert cli("db", "validate", "--json").code == ExitCode.INVALID_INPUT
