"""An optional keymap file remapping keys by binding id, e.g.

    # ~/.config/orchestrator-tui/keymap.yaml
    task.start: S
    tasks.down: j,down,ctrl+n

Every binding id is listed by the help screen (`?`) next to its keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir
from textual.binding import BindingType

from ..config import file_named_by

KEYMAP_ENV = "ORCHESTRATOR_TUI_KEYMAP"
SETTINGS_ENV = "ORCHESTRATOR_TUI_SETTINGS"


def config_dir() -> Path:
    return Path(user_config_dir("orchestrator-tui", appauthor=False))


def keymap_path() -> Path:
    """$ORCHESTRATOR_TUI_KEYMAP (an existing file), else the one in the config folder."""
    return file_named_by(KEYMAP_ENV, config_dir() / "keymap.yaml")


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str | None]:
    """(binding id -> keys, a problem to tell the person or None); a missing file is fine."""
    path = path or keymap_path()
    if not path.is_file():
        return {}, None
    import yaml  # only when there is a file: the TUI's first frame need not wait for it

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")[:100_000]) or {}
    except yaml.YAMLError as exc:
        from ..services.safe_yaml import describe_yaml_error  # one line, as imports say it

        return {}, f"keymap {path} ignored: invalid YAML: {describe_yaml_error(exc)}"
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"keymap {path} ignored: {exc}"
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return {}, f"keymap {path} ignored: expected `binding.id: keys` lines"
    return dict(data), None


def unknown_binding_ids(keymap: dict[str, str], app_bindings: Sequence[BindingType]) -> list[str]:
    """Ids in `keymap` that no binding has (a typo would otherwise do nothing)."""
    from .screens.help import key_sections

    known = {b.id for _title, bindings in key_sections(app_bindings) for b in bindings if b.id}
    return sorted(set(keymap) - known)


# -- settings kept between runs (the theme) ------------------------------------------------


def settings_path() -> Path:
    """$ORCHESTRATOR_TUI_SETTINGS (a file, or one to create in an existing folder),
    else the one in the config folder."""
    return file_named_by(SETTINGS_ENV, config_dir() / "settings.yaml", written=True)


def _settings_mapping(path: Path) -> tuple[dict[Any, Any], str | None]:
    """The file's whole mapping (every entry, as written), or why it cannot be read."""
    if not path.is_file():
        return {}, None
    import yaml  # only when there is a file: the TUI's first frame need not wait for it

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")[:100_000])
    except yaml.YAMLError as exc:
        from ..services.safe_yaml import describe_yaml_error  # one line, as imports say it

        return {}, f"invalid YAML: {describe_yaml_error(exc)}"
    except (OSError, UnicodeDecodeError) as exc:
        return {}, str(exc)
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, "expected `name: value` lines"
    return data, None


def load_settings(path: Path) -> tuple[dict[str, str], str | None]:
    """(the saved settings, a problem to tell the person or None); a missing file is
    fine. A file that cannot be read counts as none, and is never rewritten."""
    data, problem = _settings_mapping(path)
    if problem:
        return {}, f"settings {path} ignored: {problem}"
    # YAML reads a bare `off` / `on` as a boolean: keep it as the word.
    words = {True: "on", False: "off"}
    return {
        k: words[v] if isinstance(v, bool) else v
        for k, v in data.items()
        if isinstance(k, str) and isinstance(v, str | bool)
    }, None


def save_setting(path: Path, name: str, value: str) -> str | None:
    """Save one setting, keeping every other entry of the file; the problem as a
    sentence if it was not saved (a file that cannot be read is left as it is: it may
    be a person's edit halfway done)."""
    import yaml

    settings, problem = _settings_mapping(path)
    if problem:
        return f"{name} not saved: settings {path} cannot be read ({problem}); it is left as it is"
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        settings[name] = value
        edited = _edited_in_place(text, name, value)
        if edited is None or not _reads_as(edited, settings):
            edited = yaml.safe_dump(settings, sort_keys=True)  # every entry, no comments
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(edited, encoding="utf-8")
    except OSError as exc:
        return f"could not save settings to {path}: {exc.strerror or exc}"
    return None


def _reads_as(text: str, settings: dict[Any, Any]) -> bool:
    import yaml

    try:
        return bool(yaml.safe_load(text) == settings)
    except yaml.YAMLError:
        return False


def _edited_in_place(text: str, name: str, value: str) -> str | None:
    """`text` with the top-level `name:` line's value replaced (its comment kept), or
    the line added at the end: everything else as the person wrote it. None when
    the name is on more than one line; the caller checks the result reads back."""
    import re

    import yaml

    line = yaml.safe_dump({name: value}, default_flow_style=False).rstrip("\n")
    found = re.compile(rf"^{re.escape(name)}[ \t]*:[^#\n]*?(?P<comment>[ \t]+#[^\n]*)?$", re.M)
    matches = list(found.finditer(text))
    if len(matches) > 1:
        return None
    if matches:
        at = matches[0]
        return text[: at.start()] + line + (at.group("comment") or "") + text[at.end() :]
    return text + ("\n" if text and not text.endswith("\n") else "") + line + "\n"
