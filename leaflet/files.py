"""Shared file helpers (any stage may use them): atomic writes, JSON, hashes, file URLs."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from urllib.request import url2pathname

# Temporary files are named <final name><TMP_MARK><random>: a sweep can find them.
TMP_MARK = ".tmp-"
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: Path, data: bytes) -> None:
    """Temporary file + fsync + rename: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + TMP_MARK, dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with quiet():
            os.unlink(tmp)
        raise


class quiet:
    """``with quiet():`` ignores an ``OSError`` (best-effort clean-up)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], OSError)


def read_json(path: Path) -> dict:
    """A JSON object from ``path``; ``{}`` for a missing, unreadable or garbage file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def hash_tree(h, folder: Path, pattern: str = "*", inside: Path | None = None,
              skip_suffix: str = "", exclude=None) -> None:
    """Feed every file under ``folder`` (name and content hash) into the hash ``h``.

    Files resolving outside ``inside`` (symlinks out of the project) are left out: they
    are refused when rendering, so they are never read here either; so are files whose
    path relative to ``folder`` ``exclude`` returns true for.
    """
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob(pattern)):
        if skip_suffix and path.suffix == skip_suffix:
            continue
        if exclude is not None and exclude(path.relative_to(folder)):
            continue
        target = resolved(path)
        if target is None or inside is not None and not target.is_relative_to(inside):
            continue  # a symlink loop, or out of the project: never read
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(folder).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())


def local_path(url: str) -> Path | None:
    """The resolved local path of a ``file:`` URL (or a bare path), or None."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    try:
        return Path(url2pathname(unquote(parts.path))).resolve()
    except (OSError, ValueError, RuntimeError):
        return None


def shorten(url: str, limit: int = 100) -> str:
    """Long URLs keep their start and their end (the file name matters most)."""
    if len(url) <= limit:
        return url
    head = limit // 3
    return url[:head] + "…" + url[-(limit - head - 1):]


def web_address(url: str) -> bool:
    """An absolute http(s) address: what a printed link or QR code may lead to."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) \
        and not any(c.isspace() for c in url.strip())


def resolved(path: Path) -> Path | None:
    """``path.resolve()``, or None for a name no file can have (a NUL in it), a symlink
    loop or an unreadable folder: the caller says what is wrong with it."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return None


# How the renderer names the project's own files: the same URL wherever the project sits on
# disk. WeasyPrint names an image in the PDF by a hash of its URL (and writes a link's URL
# as it is): with real paths, the same project gave other bytes in another folder.
PROJECT_URL = "file:///leaflet-project/"


def project_url(path: Path, root: Path) -> str:
    """The renderer's URL of a file inside the project ``root``; other files keep theirs."""
    target = resolved(path)
    base = resolved(root)
    if target is None or base is None or not target.is_relative_to(base):
        return path.absolute().as_uri()
    return PROJECT_URL + quote(target.relative_to(base).as_posix())


def url_path(url: str, root: Path) -> Path | None:
    """The local file a ``file:`` URL names (a project URL maps into ``root``), or None."""
    if url.startswith(PROJECT_URL):
        return resolved(root / unquote(urlsplit(url).path[len("/leaflet-project/"):]))
    return local_path(url) if urlsplit(url).scheme == "file" else None
