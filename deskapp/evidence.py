"""Evidence files kept by the desk: checked, hashed and stored by their content.

A file is judged before anything is written (it exists, can be read, is within the size
limit, is of an allowed type) and then copied once, in pieces, into a temporary file in the
evidence folder while its SHA-256 is computed; the finished copy is renamed to
`<folder>/<sha[:2]>/<sha>`. A rename is atomic, so the folder never holds half a file under a
hash name, and a file already there under that hash is the same content: the copy is dropped
(the same photo attached to ten cases is kept once). Small files are kept in the database
instead (`evidence_blob`), where a backup of the database carries them along.

The file is put in place before the database row that names it is written: a transaction that
then fails leaves an unreferenced file (harmless, and found again by its hash next time),
never a row without its file. The SHA-256 recorded in the `attach` event is what
`deskapp audit verify` holds the file to (`deskapp.evidence_check`).
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from deskapp.config import EvidenceSettings
from deskapp.errors import InvalidInput

#: Pieces read and written at a time: memory stays flat whatever the file's size.
CHUNK = 1024 * 1024
FILE = "file"
INLINE = "inline"
#: The media types of the usual evidence, fixed here: Python's table differs between versions
#: and can be changed by the host's /etc/mime.types, and misses several (heic, amr, m4a).
_MEDIA_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "eml": "message/rfc822",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "amr": "audio/amr",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
}
#: Python's own table for the rest, without the host's files.
_PYTHON_TYPES = mimetypes.MimeTypes()


def media_type_of(name: str) -> str:
    """The media type a file's name says it holds ("application/octet-stream" if unknown)."""
    extension = Path(name).suffix.lower().lstrip(".")
    known = _MEDIA_TYPES.get(extension) or _PYTHON_TYPES.guess_type(f"x.{extension}")[0]
    return known or "application/octet-stream"


def allowed(name: str, settings: EvidenceSettings) -> bool:
    """Whether the name's extension or its media type (exactly, or `image/*`) is listed."""
    extension = Path(name).suffix.lower().lstrip(".")
    media = media_type_of(name)
    for entry in settings.allowed_types:
        if "/" not in entry:
            if extension and entry == extension:
                return True
        elif entry == media or (entry.endswith("/*") and media.startswith(entry[:-1])):
            return True
    return False


def human_size(size: int) -> str:
    """1.5 MB, 240 KB, 12 B: sizes as people say them (decimal units, like file managers)."""
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}".replace(".0 ", " ")
    return f"{size} B"


def check_name(name: str, settings: EvidenceSettings) -> str:
    """The media type of an allowed file name; an `InvalidInput` saying which types are
    allowed otherwise."""
    if not allowed(name, settings):
        extension = Path(name).suffix.lower() or "(none)"
        listed = ", ".join(settings.allowed_types)
        raise InvalidInput({"path": f"file type {extension} is not allowed (allowed: {listed})"})
    return media_type_of(name)


def check_size(size: int, settings: EvidenceSettings) -> None:
    if size == 0:
        raise InvalidInput({"path": "the file is empty"})
    if size > settings.max_bytes:
        raise InvalidInput(
            {
                "path": f"larger than the limit of {human_size(settings.max_bytes)} "
                f"({human_size(size)})"
            }
        )


def check_path(path: Path, settings: EvidenceSettings) -> tuple[int, str]:
    """(size, media type) of a file on this host that may be attached, or `InvalidInput`
    naming what is wrong with it (nothing is read or written yet)."""
    if not str(path).strip():
        raise InvalidInput({"path": "required"})
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidInput({"path": f"no such file: {path}"}) from None
    except OSError as exc:
        raise InvalidInput({"path": f"cannot be read: {exc.strerror or exc}"}) from None
    if not path.is_file():
        raise InvalidInput({"path": f"not a file: {path}"})
    if not os.access(path, os.R_OK):
        raise InvalidInput({"path": "cannot be read: permission denied"})
    media = check_name(path.name, settings)
    check_size(info.st_size, settings)
    return info.st_size, media


@dataclass(frozen=True)
class Kept:
    """A file the store holds: where, and what it is."""

    sha256: str
    size: int
    #: FILE (in the folder) or INLINE (its bytes go into `evidence_blob`)
    storage: str
    #: The bytes of an inline file; None for one in the folder.
    data: bytes | None = None


class EvidenceStore:
    """The evidence folder (and the choice of folder or database for each file)."""

    def __init__(self, settings: EvidenceSettings) -> None:
        self.settings = settings
        self.root = settings.directory

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def keep(self, source: BinaryIO) -> Kept:
        """Copy `source` in, computing its SHA-256; refuse it part-way if it grows past the
        limit (a file can change between its check and its copy)."""
        first = source.read(self.settings.inline_max_bytes + 1)
        if len(first) <= self.settings.inline_max_bytes:
            check_size(len(first), self.settings)
            return Kept(hashlib.sha256(first).hexdigest(), len(first), INLINE, first)
        return self._keep_file(first, source)

    def _keep_file(self, first: bytes, source: BinaryIO) -> Kept:
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, temp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                for piece in _pieces(first, source):
                    size += len(piece)
                    if size > self.settings.max_bytes:
                        check_size(size, self.settings)
                    digest.update(piece)
                    out.write(piece)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.path_of(sha)
            if target.exists():
                temp.unlink()  # the same content is kept already
            else:
                target.parent.mkdir(exist_ok=True)
                temp.chmod(0o440)  # evidence is not edited in place
                os.replace(temp, target)
                _sync_folder(target.parent)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        return Kept(sha, size, FILE)

    def digest_of(self, sha256: str) -> str | None:
        """The SHA-256 of the file kept under `sha256` as it is now, None when it is gone;
        `OSError` when it is there but cannot be read (permissions, a failing disk)."""
        try:
            with self.path_of(sha256).open("rb") as f:
                digest = hashlib.sha256()
                for piece in iter(lambda: f.read(CHUNK), b""):
                    digest.update(piece)
        except FileNotFoundError:
            return None
        return digest.hexdigest()


def _pieces(first: bytes, source: BinaryIO) -> Iterator[bytes]:
    yield first
    yield from iter(lambda: source.read(CHUNK), b"")


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX: the directory entry is the folder's data)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
