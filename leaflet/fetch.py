"""The URL fetcher: project files, font packages and ``data:`` only (network if configured)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname


class Refused(ValueError):
    """A resource the renderer will not read; WeasyPrint logs it and goes on."""


def make_fetcher(roots: list[Path], allow_network: bool = False, refused: list[str] | None = None):
    """A WeasyPrint URL fetcher confined to ``roots`` (folders, resolved, symlinks followed).

    Every refusal is appended to ``refused`` so the build can report it against the
    content file. Imported lazily: WeasyPrint costs 0.35 s to import.
    """
    from weasyprint.urls import URLFetcher

    allowed = [r.resolve() for r in roots]
    log = refused if refused is not None else []

    class ProjectFetcher(URLFetcher):
        def __init__(self):
            protocols = {"data", "file"} | ({"http", "https"} if allow_network else set())
            super().__init__(timeout=10, allowed_protocols=protocols, allow_redirects=False)

        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = local_path(url)
                if path is None or not any(path.is_relative_to(r) for r in allowed):
                    log.append(f"refused to read {shorten(url)}: outside the project")
                    raise Refused(f"outside the project: {url}")
                if not path.is_file():
                    log.append(f"file not found: {shorten(url)}")
                    raise Refused(f"not found: {url}")
                return super().fetch(path.as_uri(), headers)
            if scheme in ("http", "https") and allow_network:
                return super().fetch(url, headers)
            log.append(f"refused to fetch {shorten(url)}: network access is off "
                       "(set build.allow_network = true in leaflet.toml)")
            raise Refused(f"network access is off: {url}")

    return ProjectFetcher()


def local_path(url: str) -> Path | None:
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
