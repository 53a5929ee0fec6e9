"""The TUI given a `--db` URL with a typo refuses it as the command line does."""

from __future__ import annotations


def test_a_url_with_a_typo_makes_the_tui_exit_7_with_one_line(tmp_path, capfd, monkeypatch):
    from textual.app import App

    from orchestrator_tui.app import OrchestratorApp, run_app

    monkeypatch.setattr(OrchestratorApp, "run", lambda app: App.run(app, headless=True))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert run_app("postgresql:/orch:s3cret@127.0.0.1/team", "alice") == 7
    (line,) = capfd.readouterr().err.splitlines()
    assert line.startswith("error: 'postgresql:/orch:***@127.0.0.1/team' looks like a database URL")
    assert list(tmp_path.iterdir()) == []
