"""Setting a team up as the README's "Teams on PostgreSQL" section tells it: an older
database brought up to date by `db init`, and the errors a wrong `--db` gives."""

from __future__ import annotations

from orchestrator_tui.store.schema import SCHEMA_VERSION

from ..core.support import make_version_8_at
from .conftest import Cli


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
