"""Error reporting of the CLI entry point: one printable line, whatever the input."""

from __future__ import annotations

from pathlib import Path

from .conftest import Cli


def test_errors_are_one_printable_line(cli: Cli, tmp_path: Path) -> None:
    hostile = "\x1b]52;c;aGk=\x07\x1b[2Jkey"
    shown = cli("task", "show", hostile)
    assert shown.code == 3 and shown.out == ""
    assert "\x1b" not in shown.err and "\x07" not in shown.err and shown.err.count("\n") == 1

    context = tmp_path / "ctx.yaml"
    context.write_text("a: [1,\nb: 2\n")
    cli("task", "add", "t", "--key", "T")
    bad_yaml = cli("task", "context", "T", "--set", str(context))
    assert bad_yaml.code == 7 and bad_yaml.err.count("\n") == 1
    assert bad_yaml.err.startswith("error: shared context is not valid YAML:")
    assert "line" in bad_yaml.err

    bad_phase = cli("task", "edit", "T", "--phase", "0")
    assert (bad_phase.code, bad_phase.err) == (
        7,
        "error: invalid input: phase: Input should be greater than or equal to 1\n",
    )
