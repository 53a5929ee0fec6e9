"""An event row as one plain sentence (the timeline, the CLI, the dashboard).

Event data is whatever the writer stored; every kind we write has a sentence,
and anything else still reads as words, never as a Python dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Data = Mapping[str, Any]


def words(value: Any) -> str:
    """A stored value as plain words: lists joined, mappings as `key value`."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k.replace('_', ' ')} {words(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(words(v) for v in value)
    return (
        str(value).replace("_", " ")
        if isinstance(value, str) and value.isidentifier()
        else str(value)
    )


def _quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else words(value)


def _move(d: Data) -> str:
    return f"from {words(d.get('from'))} to {words(d.get('to'))}"


def _status_changed(d: Data) -> str:
    return f"moved {_move(d)}"


def _forced_start(d: Data) -> str:
    unfinished = words(d.get("unfinished", []))
    return f"forced {_move(d)} although {unfinished} unfinished"


def _reverted(d: Data) -> str:
    return f"undid a change: back {_move(d)}"


def _approved(d: Data) -> str:
    return f"approved, now {words(d.get('to', 'done'))}"


def _rejected(d: Data) -> str:
    return f"rejected, now {words(d.get('to', 'failed'))}"


def _created(d: Data) -> str:
    # The task's key stands beside every event line already (or heads the screen).
    return f"created: {d['title']}" if d.get("title") else "created"


def _differences(name: str, before: Any, after: Any) -> list[str]:
    """What changed in a field, leaf by leaf when it is a mapping (a task's command):
    `command agent model from 'sonnet' to 'opus'`, not the two whole mappings."""
    empty: tuple[Any, ...] = (None, "", [], {})
    both = (before, after)
    if both != (None, None) and all(v is None or isinstance(v, Mapping) for v in both):
        old, new = before or {}, after or {}
        return [
            part
            for key in dict.fromkeys([*old, *new])
            for part in _differences(f"{name} {key}", old.get(key), new.get(key))
        ]
    if before == after or (before in empty and after in empty):
        return []
    old, new = ("none" if v in empty else _quoted(v) for v in (before, after))
    return [f"{name.replace('_', ' ')} from {old} to {new}"]


def _edited(d: Data) -> str:
    before, after = d.get("before"), d.get("after")
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        parts = [
            part
            for name, value in after.items()
            for part in _differences(name, before.get(name), value)
        ]
        return "changed " + "; ".join(parts) if parts else "edited"
    if d.get("changed"):
        text = f"changed {words(d['changed'])}"
        return text + (f" (from {d['origin']})" if d.get("origin") else "")
    return "edited"


def _dependency_added(d: Data) -> str:
    kind = d.get("type")
    text = f"now waits for {words(d.get('on'))}"
    return text + (f" ({words(kind)})" if kind and kind != "blocks" else "")


def _dependency_removed(d: Data) -> str:
    return f"no longer waits for {words(d.get('on'))}"


def _unblocked(d: Data) -> str:
    return f"ready: {d['message']}" if d.get("message") else "ready"


def _progress(d: Data) -> str:
    text = f"progress {d.get('percent', '?')}%"
    return text + (f": {d['message']}" if d.get("message") else "")


def _note(d: Data) -> str:
    return f"wrote a private note ({d.get('chars', '?')} characters)"


def _context(d: Data) -> str:
    return f"set the shared context ({d.get('bytes', '?')} bytes)"


def _feedback(d: Data) -> str:
    text = f"rated quality {d.get('quality')}/5, timeliness {d.get('timeliness')}/5"
    return text + (f": {d['message']}" if d.get("message") else "")


def _joined(d: Data) -> str:
    return f"{d.get('agent')} joined as {words(d.get('role'))}"


def _agent_registered(d: Data) -> str:
    text = f"agent {d.get('agent')} registered"
    return text + (f" ({words(d['type'])})" if d.get("type") else "")


def _approval_requested(d: Data) -> str:
    return "waits for approval"


def _changes_requested(d: Data) -> str:
    return f"changes requested, now {words(d.get('to', 'pending'))}"


def _message(fallback: str) -> Callable[[Data], str]:
    """Kinds whose writer stores a finished sentence as `message`."""
    return lambda d: str(d.get("message") or fallback)


def _plan_imported(d: Data) -> str:
    name = d.get("name") or d.get("origin") or "a plan"
    counts = ", ".join(f"{d[k]} {k}" for k in ("added", "changed", "unchanged") if k in d)
    return f"imported {name}" + (f": {counts}" if counts else "")


SENTENCES: dict[str, Callable[[Data], str]] = {
    "status_changed": _status_changed,
    "forced_start": _forced_start,
    "status_reverted": _reverted,
    "approved": _approved,
    "rejected": _rejected,
    "approval_requested": _approval_requested,
    "changes_requested": _changes_requested,
    "question_asked": _message("asked a question"),
    "question_answered": _message("answered a question"),
    "question_closed": _message("closed a question"),
    "question_reopened": _message("reopened a question"),
    "changes_recorded": _message("recorded what the run changed"),
    "merged": _message("merged its branch"),
    "agent_usage": _message("reported what its agent spent"),
    "task_created": _created,
    "task_edited": _edited,
    "dependency_added": _dependency_added,
    "dependency_removed": _dependency_removed,
    "unblocked": _unblocked,
    "progress": _progress,
    "note": _note,
    "context": _context,
    "feedback": _feedback,
    "participant_joined": _joined,
    "agent_registered": _agent_registered,
    "plan_imported": _plan_imported,
}


def event_sentence(kind: str, data: Data) -> str:
    """What happened, in words. `message` (runs, seeds) is already a sentence."""
    render = SENTENCES.get(kind)
    if render is not None:
        text = render(data)
    elif data.get("message"):
        text = str(data["message"])
    else:
        text = words(dict(data)) if data else kind.replace("_", " ")
    if data.get("comment") and str(data["comment"]) not in text:
        text += f": {data['comment']}"
    reason = data.get("reason")
    if reason and str(reason) not in text:
        text += f" ({reason})"
    return text
