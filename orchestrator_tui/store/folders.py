"""Where we write files a person named (an export, a backup): only into a folder
that exists. A missing folder is refused, never created unasked, as `cp`,
`sqlite3 .backup` and `pg_dump -f` do: a typo in a path should not leave a new
folder tree behind."""

from __future__ import annotations

from pathlib import Path

from ..domain.errors import NotFound, ValidationFailed


def require_folder(folder: Path) -> None:
    """NotFound unless `folder` exists (ValidationFailed if it is not a folder)."""
    folder = folder if str(folder) else Path(".")
    if folder.is_dir():
        return
    if folder.exists():
        raise ValidationFailed(f"{folder} is not a folder")
    raise NotFound(f"no folder {folder}; create it first, then run again")
