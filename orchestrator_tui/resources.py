"""Files shipped with the package (styles, sample data), found the same way
from an editable checkout and from an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_path(folder: str, name: str = "") -> Path:
    """`folder/name` inside the installed package, else at the checkout's top level."""
    for base in (_PACKAGE / folder, _PACKAGE.parent / folder):
        if base.is_dir():
            return base / name if name else base
    raise FileNotFoundError(f"{folder}/ is missing from this installation of orchestrator-tui")
