"""Reading untrusted files in bounded time and memory: only regular files (never
a FIFO, a device, a socket or a folder, which could block or never end), never
more bytes than the limit whatever the file claims to hold, and a folder that
cannot be read is an error rather than an empty folder.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..domain.errors import ValidationFailed

MAX_BYTES = 64 * 1024 * 1024
_READ_CHUNK = 1024 * 1024


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_irregular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise ValidationFailed(f"{path}: {kind}, not a regular file; nothing was read")


def require_regular(path: Path) -> None:
    """A one-line error unless `path` is (or links to) a regular file we may read."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ValidationFailed(f"{path}: cannot read: {exc.strerror}") from None
    _refuse_irregular(path, mode)


def _open_regular(path: Path) -> int:
    require_regular(path)
    try:
        # O_NONBLOCK: should the path turn into a FIFO meanwhile, opening it cannot hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ValidationFailed(f"{path}: cannot read: {exc.strerror}") from None
    try:
        _refuse_irregular(path, os.fstat(fd).st_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: Path, limit: int = MAX_BYTES, *, head: bool = False) -> bytes:
    """At most `limit` bytes of a regular file (a FIFO or a device is refused and
    never read). Over the limit is an error, unless `head`: then the first bytes."""
    fd = _open_regular(path)
    chunks: list[bytes] = []
    total = 0
    if not head and os.fstat(fd).st_size > limit:  # what it claims; what it holds is checked below
        os.close(fd)
        raise ValidationFailed(f"{path}: over the {limit} byte limit; nothing was read")
    try:
        while total <= limit:
            chunk = os.read(fd, min(_READ_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise ValidationFailed(f"{path}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if head:
        return data[:limit]
    if total > limit:
        raise ValidationFailed(f"{path}: over the {limit} byte limit; nothing was read")
    return data


def readable_folder(folder: Path) -> list[os.DirEntry[str]]:
    """The entries of a folder; a folder that cannot be read is an error, never empty."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError as exc:
        raise ValidationFailed(f"{folder}: cannot read folder: {exc.strerror}") from None


def files_in(folder: Path, suffix: str, recursive: bool = False) -> list[Path]:
    """Files whose name ends in `suffix`, sorted (links to folders are not followed)."""
    found: list[Path] = []
    pending = [folder]
    while pending:
        for entry in readable_folder(pending.pop()):
            if entry.is_dir(follow_symlinks=False):
                if recursive:
                    pending.append(Path(entry.path))
            elif entry.name.endswith(suffix):
                found.append(Path(entry.path))
    return sorted(found)


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    return decode_text(path, read_bytes(path, limit))


def decode_text(path: Path, data: bytes) -> str:
    """`data` read from `path` as UTF-8 text; anything else is a one-line error."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
