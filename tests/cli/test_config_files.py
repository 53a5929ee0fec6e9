"""A variable naming a configuration file that does not exist is refused in one
line naming the variable and the path (exit 7), never silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator_tui.config import file_named_by
from orchestrator_tui.domain.errors import ValidationFailed

from .conftest import Cli
from .support import run_in_terminal


def test_a_variable_naming_a_missing_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "default.yaml"
    monkeypatch.delenv("ORCHESTRATOR_TUI_KEYMAP", raising=False)
    assert file_named_by("ORCHESTRATOR_TUI_KEYMAP", default) == default  # unset: the default
    monkeypatch.setenv("ORCHESTRATOR_TUI_KEYMAP", "")
    assert file_named_by("ORCHESTRATOR_TUI_KEYMAP", default) == default  # empty: unset
    there = tmp_path / "keys.yaml"
    there.write_text("task.start: S\n")
    monkeypatch.setenv("ORCHESTRATOR_TUI_KEYMAP", str(there))
    assert file_named_by("ORCHESTRATOR_TUI_KEYMAP", default) == there
    monkeypatch.setenv("ORCHESTRATOR_TUI_KEYMAP", str(tmp_path))
    with pytest.raises(ValidationFailed, match=f"names {tmp_path}, which is not a file") as refused:
        file_named_by("ORCHESTRATOR_TUI_KEYMAP", default)
    assert getattr(refused.value, "exit_code", None) == 7


def test_a_settings_file_to_be_written_may_be_missing_but_not_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI writes its settings (the theme) itself: a file it is to create is fine."""
    from orchestrator_tui.ui.keymap import load_settings, save_setting, settings_path

    new = tmp_path / "mine.yaml"
    monkeypatch.setenv("ORCHESTRATOR_TUI_SETTINGS", str(new))
    assert settings_path() == new
    assert save_setting(new, "theme", "nord") is None
    assert load_settings(settings_path()) == ({"theme": "nord"}, None)
    monkeypatch.setenv("ORCHESTRATOR_TUI_SETTINGS", str(tmp_path / "nowhere" / "s.yaml"))
    with pytest.raises(ValidationFailed, match=f"whose folder {tmp_path / 'nowhere'} does not"):
        settings_path()


def _missing(tmp_path: Path, variable: str) -> tuple[str, str]:
    path = tmp_path / "nowhere" / "file.yaml"
    what = "which does not exist"
    if variable == "ORCHESTRATOR_TUI_SETTINGS":
        what = f"whose folder {path.parent} does not exist"
    return str(path), (f"error: ${variable} names {path}, {what} (create it, or unset ${variable})")


def test_agent_commands_refuse_a_missing_profiles_file(cli: Cli, tmp_path: Path) -> None:
    path, refusal = _missing(tmp_path, "ORCHESTRATOR_TUI_AGENTS")
    cli.ok("task", "add", "Build", "--key", "A", "--", "true")
    cli.env["ORCHESTRATOR_TUI_AGENTS"] = path
    assert cli.fails(7, "agent", "profiles") == refusal
    assert cli.fails(7, "run", "--until-idle") == refusal
    assert cli.ok("task", "show", "A", "--json").json()["status"] == "pending"  # nothing ran


@pytest.mark.parametrize("variable", ["ORCHESTRATOR_TUI_KEYMAP", "ORCHESTRATOR_TUI_SETTINGS"])
def test_the_tui_refuses_a_missing_keymap_or_settings_file(
    real_cli: Cli, tmp_path: Path, variable: str
) -> None:
    path, refusal = _missing(tmp_path, variable)
    done = run_in_terminal(["--db", real_cli.url, "tui"], {**real_cli.env, variable: path})
    assert (done.code, done.out, done.err) == (7, "", refusal + "\n")
