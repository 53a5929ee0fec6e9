"""The file or folder being imported, read lazily and at most once: format
detection and the format's parser share one `Source`, so a JSON file is read
and parsed once however many formats look at it.

`fingerprint()` summarises what an import read, so a confirmation can
tell whether the source changed after the person saw what it would do.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path
from typing import Any

from ...domain.errors import ValidationFailed
from ..safe_yaml import load_json, load_yaml, read_text

SQLITE_MAGIC = b"SQLite format 3\x00"
#: Folders beside a seed-001 database that its import reads too.
_SIDE_FOLDERS = ("contexts", "notes")
_CHUNK = 1 << 20


class Source:
    """A path to import; its head, text and parsed document, each read once."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.origin = str(self.path)

    @cached_property
    def is_dir(self) -> bool:
        return self.path.is_dir()

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    @cached_property
    def head(self) -> bytes:
        """The first 16 bytes of a file (empty for a folder)."""
        if self.is_dir:
            return b""
        try:
            with self.path.open("rb") as handle:
                return handle.read(16)
        except OSError as exc:
            raise ValidationFailed(f"{self.path}: cannot read: {exc.strerror}") from None

    @property
    def is_sqlite(self) -> bool:
        return self.head == SQLITE_MAGIC

    @cached_property
    def text(self) -> str:
        return read_text(self.path)

    @cached_property
    def json(self) -> Any:
        return load_json(self.text, self.origin)

    @cached_property
    def yaml(self) -> Any:
        return load_yaml(self.text, self.origin)

    def fingerprint(self) -> str:
        """A hash of what this import reads: a text file's text (the very text
        parsed, when it has been read), a seed-001 database with its contexts/
        and notes/, or every file in a folder."""
        digest = hashlib.sha256()
        if not self.is_dir and not self.is_sqlite:
            digest.update(self.text.encode("utf-8"))
            return digest.hexdigest()
        if self.is_dir:
            files = sorted(p for p in self.path.rglob("*") if p.is_file())
            base = self.path
        else:
            files = [self.path]
            base = self.path.parent
            if self.is_sqlite:
                for name in _SIDE_FOLDERS:
                    files += sorted(p for p in (base / name).rglob("*") if p.is_file())
        for file in files:
            digest.update(str(file.relative_to(base)).encode("utf-8", "surrogateescape"))
            digest.update(b"\0")
            _add_bytes(digest, file)
        return digest.hexdigest()


def _add_bytes(digest: Any, file: Path) -> None:
    try:
        with file.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        digest.update(f"unreadable: {exc.strerror}".encode())
    digest.update(b"\0")
