"""The file or folder being imported, read lazily and at most once: format
detection and the format's parser share one `Source`, so a JSON file is read
and parsed once however many formats look at it. Once a file's text is parsed
the text is let go (a 60 MB file need not stay in memory beside its tree),
and a parser that has taken what it needs from the tree lets that go too
(`release`).

`fingerprint()` summarises what an import read, so a confirmation can
tell whether the source changed after the person saw what it would do.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path
from typing import Any

from ..safe_files import decode_text, read_bytes, readable_folder
from ..safe_yaml import load_json, load_yaml

SQLITE_MAGIC = b"SQLite format 3\x00"
#: Folders beside a seed-001 database that its import reads too.
_SIDE_FOLDERS = ("contexts", "notes")
_CHUNK = 1 << 20


class Source:
    """A path to import; its head, text and parsed document, each read once."""

    def __init__(self, path: Path | str, *, digest: bool = True) -> None:
        self.path = Path(path)
        self.origin = str(self.path)
        #: take the sha256 of the file's bytes when its text is read (for `fingerprint`;
        #: an import that will not ask for one need not hash 60 MB)
        self._take_digest = digest
        #: sha256 of the file's bytes, taken when its text is read
        self._digest: str | None = None

    @cached_property
    def is_dir(self) -> bool:
        if not self.path.is_dir():
            return False
        readable_folder(self.path)  # an unreadable folder is an error, not an empty one
        return True

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    @cached_property
    def head(self) -> bytes:
        """The first 16 bytes of a file (empty for a folder)."""
        if self.is_dir:
            return b""
        return read_bytes(self.path, len(SQLITE_MAGIC), head=True)

    @property
    def is_sqlite(self) -> bool:
        return self.head == SQLITE_MAGIC

    @cached_property
    def text(self) -> str:
        data = read_bytes(self.path)
        text = decode_text(self.path, data)
        if self._take_digest:
            self._digest = hashlib.sha256(data).hexdigest()  # of the very text parsed
        return text

    @cached_property
    def json(self) -> Any:
        document = load_json(self.text, self.origin)
        self.__dict__.pop("text", None)  # parsed: only the tree is needed now
        return document

    @cached_property
    def yaml(self) -> Any:
        document = load_yaml(self.text, self.origin)
        self.__dict__.pop("text", None)
        return document

    def release(self) -> None:
        """Forget the parsed document: its parser has taken what it needs, and
        what it did not take can be freed while the import goes on."""
        self.__dict__.pop("json", None)
        self.__dict__.pop("yaml", None)

    def fingerprint(self) -> str:
        """A hash of what this import reads: a text file's text (the very text
        parsed, when it has been read), a seed-001 database with its contexts/
        and notes/, or every file in a folder."""
        if not self.is_dir and not self.is_sqlite:
            if self._digest is None:
                self._take_digest = True
                self.__dict__.pop("text", None)
                self.text  # noqa: B018 -- reading it takes the digest
            assert self._digest is not None
            return self._digest
        digest = hashlib.sha256()
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
