"""Setting a team up as the README's "Teams on PostgreSQL" section tells it: an older
database brought up to date by `db init`, and the errors a wrong `--db` gives."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from orchestrator_tui.store.schema import SCHEMA_VERSION

from ..core.support import make_version_8_at
from .conftest import Cli
from .support import run_in_process


def test_db_init_says_it_migrated_an_older_database(cli: Cli) -> None:
    cli.ok("db", "init")
    cli.ok("task", "add", "Design", "--key", "PAY-10")
    make_version_8_at(cli.url)

    out = cli.ok("db", "init").out
    assert out.endswith(f": migrated from schema version 8 to {SCHEMA_VERSION}\n"), out
    assert "already initialised" not in out
    assert cli.count("SELECT COUNT(*) FROM tasks WHERE key_order IS NOT NULL") == 1

    assert cli.ok("db", "init").out.endswith(
        f"already initialised (schema version {SCHEMA_VERSION})\n"
    )
    if cli.db is not None:  # its backup's name is stamped to the second
        for backup in cli.db.parent.glob("*.bak"):
            backup.unlink()
    make_version_8_at(cli.url)
    init = cli.ok("db", "init", "--json").json()
    assert init["created"] is False and init["migrated_from"] == 8
    assert init["schema_version"] == SCHEMA_VERSION
    assert cli.ok("db", "init", "--json").json()["migrated_from"] is None


def refused(db: str, *args: str) -> str:
    """The one `error:` line of a command that must fail with exit 7 on `--db db`."""
    result = run_in_process(
        ["--db", db, *args], stdin=None, env={"ORCHESTRATOR_TUI_ACTOR": "alice"}
    )
    assert (result.code, result.out) == (7, ""), result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    return lines[0]


@pytest.mark.parametrize(
    "typo",
    [
        "postgresql:/orch:s3cret@127.0.0.1/team",  # one slash
        "postgresql+psycopg:/orch:s3cret@127.0.0.1/team",
        "postgresql//orch:s3cret@127.0.0.1/team",  # no colon
    ],
)
def test_a_url_with_a_typo_is_refused_not_made_a_file(
    typo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (("task", "list"), ("task", "add", "Design"), ("db", "init")):
        line = refused(typo, *command)
        assert "s3cret" not in line and "***" in line, line
        assert "://" in line, line  # says what a URL looks like
    assert list(tmp_path.iterdir()) == []


def test_a_missing_postgresql_driver_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if never installed
    line = refused("postgresql+psycopg://orch:s3cret@127.0.0.1/team", "task", "list")
    assert "pip install 'orchestrator-tui[postgres]'" in line, line
    assert "s3cret" not in line


@pytest.mark.postgres_only
def test_a_wrong_password_or_missing_database_is_one_line_and_exit_6(cli: Cli) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(cli.url)
    wrong_password = url.set(password="not-the-password").render_as_string(hide_password=False)
    no_database = url.set(database="team_not_created_yet").render_as_string(hide_password=False)
    for db, says in (
        (wrong_password, "password authentication failed"),
        (no_database, '"team_not_created_yet" does not exist'),
    ):
        for command in (("task", "list"), ("db", "init"), ("run", "--until-idle")):
            result = run_in_process(["--db", db, *command], env={"ORCHESTRATOR_TUI_ACTOR": "a"})
            lines = result.err.strip().splitlines()
            assert (result.code, result.out, len(lines)) == (6, "", 1), result
            assert lines[0].startswith("error: ") and says in lines[0], lines[0]
            assert "not-the-password" not in lines[0]


@pytest.mark.postgres_only
def test_db_backup_of_postgresql_names_the_ways_to_back_it_up(cli: Cli, tmp_path: Path) -> None:
    line = cli.fails(7, "db", "backup", str(tmp_path / "copy.db"))
    assert "pg_dump" in line and "orchestrator-tui db copy" in line, line
    assert list(tmp_path.iterdir()) == []


def test_another_postgresql_driver_is_pointed_at_psycopg_not_at_the_extra() -> None:
    line = refused("postgresql+psycopg2://orch:s3cret@127.0.0.1/team", "task", "list")
    assert "postgresql+psycopg:// URL" in line and "pip install" not in line, line


def test_a_path_with_a_double_slash_is_still_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    result = run_in_process(["--db", "data//team.db", "db", "init"], env={})
    assert result.code == 0, result
    assert (tmp_path / "data" / "team.db").exists()
