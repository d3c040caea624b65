"""The URL fetcher: project files, font packages and ``data:`` only (network if configured)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit

from .errors import display_path
from .files import local_path, shorten

# A whole A3 page at 300 dpi is 17 megapixels; a 48-megapixel phone photo still fits.
# Beyond this an image costs hundreds of MB to decode (Pillow's own "decompression bomb"
# guard starts at 89): the output fails and says which image to scale down.
MAX_IMAGE_PIXELS = 50_000_000
# Any one resource (image, font, stylesheet): a font family's largest file is ~20 MB.
MAX_RESOURCE_BYTES = 64_000_000
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")


class Refused(ValueError):
    """A resource the renderer will not read; WeasyPrint logs it and goes on."""


def make_fetcher(roots: list[Path], allow_network: bool = False, refused: list[str] | None = None,
                 fatal: list[str] | None = None):
    """A WeasyPrint URL fetcher confined to ``roots`` (folders, resolved, symlinks followed).

    Every refusal is appended to ``refused`` so the build can report it against the
    content file; problems that must fail the output (an image too large to decode) go
    to ``fatal``. HTTP redirects are never followed, even with network access on: the
    target is not checked against anything. Imported lazily: WeasyPrint costs 0.35 s.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # lazy: 0.35 s to import

    allowed = [r.resolve() for r in roots]
    log = refused if refused is not None else []
    fatal = fatal if fatal is not None else []

    def checked(url: str, response):
        """The response, read; refused if it is too large, or a raster image too large
        to decode."""
        body = response.read(MAX_RESOURCE_BYTES + 1)
        response.close()
        if len(body) > MAX_RESOURCE_BYTES:
            name = "an inline (data:) resource" if url.startswith("data:") else shorten(url)
            fatal.append(f"{name} is larger than {MAX_RESOURCE_BYTES / 1e6:g} MB")
            raise Refused(f"too large: {url}")
        if body.startswith(_IMAGE_MAGIC):
            pixels = image_pixels(body)
            if pixels is not None and pixels[0] * pixels[1] > MAX_IMAGE_PIXELS:
                width, height = pixels
                path = local_path(url) if url.startswith("file:") else None
                name = ("an inline (data:) image" if url.startswith("data:")
                        else f"image {display_path(path)}" if path else f"image {shorten(url)}")
                fatal.append(f"{name} is {width}×{height} pixels "
                             f"({width * height / 1e6:.0f} megapixels), more than the "
                             f"{MAX_IMAGE_PIXELS / 1e6:.0f} allowed: scale it down (a full "
                             "A4 page at 300 dpi needs about 9)")
                raise Refused(f"image too large: {url}")
        return URLFetcherResponse(response.url, body, response.headers, response.status)

    class ProjectFetcher(URLFetcher):
        def __init__(self):
            protocols = {"data", "file"} | ({"http", "https"} if allow_network else set())
            super().__init__(timeout=10, allowed_protocols=protocols, allow_redirects=False)

        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return checked(url, super().fetch(url, headers))
            if scheme == "file":
                path = local_path(url)
                if path is None or not any(path.is_relative_to(r) for r in allowed):
                    log.append(f"refused to read {shorten(url)}: outside the project")
                    raise Refused(f"outside the project: {url}")
                if not path.is_file():
                    log.append(f"file not found: {shorten(url)}")
                    raise Refused(f"not found: {url}")
                return checked(url, super().fetch(path.as_uri(), headers))
            if scheme in ("http", "https") and allow_network:
                try:
                    return checked(url, super().fetch(url, headers))
                except HTTPError as exc:
                    if 300 <= exc.code < 400:
                        target = exc.headers.get("Location", "?")
                        log.append(f"refused to follow the redirect from {shorten(url)} to "
                                   f"{shorten(target)}")
                        raise Refused(f"redirect not followed: {url}") from None
                    raise
            log.append(f"refused to fetch {shorten(url)}: network access is off "
                       "(set build.allow_network = true in leaflet.toml)")
            raise Refused(f"network access is off: {url}")

    return ProjectFetcher()


def image_pixels(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a raster image's header, without decoding it; None if unknown."""
    from PIL import Image  # lazy: Pillow is only needed when a page has an image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: we judge the size
            saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with Image.open(io.BytesIO(data)) as image:
                    return image.size
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except Exception:  # noqa: BLE001 - not an image Pillow knows: WeasyPrint will say so
        return None
