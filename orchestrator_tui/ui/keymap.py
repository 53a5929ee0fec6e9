"""An optional keymap file remapping keys by binding id, e.g.

    # ~/.config/orchestrator-tui/keymap.yaml
    task.start: S
    tasks.down: j,down,ctrl+n

Every binding id is listed by the help screen (`?`) next to its keys.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from platformdirs import user_config_dir

KEYMAP_ENV = "ORCHESTRATOR_TUI_KEYMAP"


def keymap_path() -> Path:
    env = os.environ.get(KEYMAP_ENV)
    if env:
        return Path(env).expanduser()
    return Path(user_config_dir("orchestrator-tui", appauthor=False)) / "keymap.yaml"


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str | None]:
    """(binding id -> keys, a problem to tell the person or None); a missing file is fine."""
    path = path or keymap_path()
    if not path.is_file():
        return {}, None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")[:100_000]) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return {}, f"keymap {path} ignored: {exc}"
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return {}, f"keymap {path} ignored: expected `binding.id: keys` lines"
    return dict(data), None
