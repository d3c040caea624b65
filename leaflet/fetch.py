"""The URL fetcher: project files, font packages and ``data:`` only (network if configured)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit

from .errors import display_path
from .files import local_path, shorten, url_path
from .images import LOW_DPI, MAX_IMAGE_PIXELS, MAX_RESOURCE_BYTES, PRINT_DPI, fit_for_print, \
    image_pixels, is_raster, print_pixels

__all__ = ["MAX_IMAGE_PIXELS", "MAX_RESOURCE_BYTES", "Fetched", "PrintedImages", "Refused",
           "image_pixels", "low_resolution_message", "make_fetcher"]


@dataclass
class Fetched:
    """What the renderer read for one output: every URL, and each raster image with its
    pixel size as read and as embedded (smaller when it was resampled for print)."""

    urls: list[str]
    images: dict[str, tuple[tuple[int, int], tuple[int, int]]]


class Refused(ValueError):
    """A resource the renderer will not read; WeasyPrint logs it and goes on."""


def make_fetcher(roots: list[Path], allow_network: bool = False, refused: list[str] | None = None,
                 fatal: list[str] | None = None, image_width_mm: float | None = None,
                 fetched: Fetched | None = None, project: Path | None = None):
    """A WeasyPrint URL fetcher confined to ``roots`` (folders, resolved, symlinks followed).

    Every refusal is appended to ``refused`` so the build can report it against the
    content file; problems that must fail the output (an image too large to decode) go
    to ``fatal``. HTTP redirects are never followed, even with network access on: the
    target is not checked against anything. Imported lazily: WeasyPrint costs 0.35 s.

    With ``image_width_mm`` (the page width: no image can be placed wider), a raster
    image wider than that at 300 dpi is resampled to it before WeasyPrint sees it (SVG
    stays vector); ``fetched`` records what was read. ``project`` is the folder that
    ``files.PROJECT_URL`` names.
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
        if is_raster(body):
            pixels = image_pixels(body)
            if pixels is not None and pixels[0] * pixels[1] > MAX_IMAGE_PIXELS:
                width, height = pixels
                path = url_path(url, project) if project is not None else local_path(url)
                name = ("an inline (data:) image" if url.startswith("data:")
                        else f"image {display_path(path)}" if path else f"image {shorten(url)}")
                fatal.append(f"{name} is {width}×{height} pixels "
                             f"({width * height / 1e6:.0f} megapixels), more than the "
                             f"{MAX_IMAGE_PIXELS / 1e6:.0f} allowed: scale it down (a full "
                             "A4 page at 300 dpi needs about 9)")
                raise Refused(f"image too large: {url}")
            if pixels is not None and image_width_mm:
                smaller = fit_for_print(body, print_pixels(image_width_mm))
                embedded = image_pixels(smaller) if smaller is not None else pixels
                if fetched is not None:
                    fetched.images[url] = (pixels, embedded or pixels)
                if smaller is not None:
                    if fetched is not None and url not in fetched.urls:
                        fetched.urls.append(url)
                    return Resampled(response.url, smaller, response.headers, response.status)
        if fetched is not None and url not in fetched.urls:
            fetched.urls.append(url)
        return URLFetcherResponse(response.url, body, response.headers, response.status)

    class Resampled(URLFetcherResponse):
        # WeasyPrint embeds a local image by reading its file again (``path``): a
        # resampled one has no file, only these bytes.
        path = None

    class ProjectFetcher(URLFetcher):
        def __init__(self):
            protocols = {"data", "file"} | ({"http", "https"} if allow_network else set())
            super().__init__(timeout=10, allowed_protocols=protocols, allow_redirects=False)

        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return checked(url, super().fetch(url, headers))
            if scheme == "file":
                path = url_path(url, project) if project is not None else local_path(url)
                if path is None or not any(path.is_relative_to(r) for r in allowed):
                    log.append(f"refused to read {shorten(url)}: outside the project")
                    raise Refused(f"outside the project: {url}")
                if not path.is_file():
                    log.append(f"file not found: {display_path(path)}")
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


class PrintedImages:
    """The raster images of a laid-out document as placed: the lowest resolution each
    prints at, and where. Fed one box at a time by a walk of the pages (the proof's,
    proof.py), so a document is walked once for every check."""

    def __init__(self, fetched: Fetched, project: Path | None = None):
        self.project = project  # what files.PROJECT_URL names, to name images in messages
        # WeasyPrint names an image by the MD5 of its URL.
        self.by_id = {hashlib.md5(url.encode(), usedforsecurity=False).hexdigest(): url
                      for url in fetched.images}
        self.fetched = fetched
        # url → (width_mm, height_mm, dpi, column_mm, page index) at its lowest dpi.
        self.worst: dict[str, tuple[float, float, float, float, int]] = {}

    def see(self, box, column: float, page: int) -> None:
        """Record ``box`` if it is a raster image: ``column`` is the width (CSS px) of the
        block it sits in, ``page`` its page index."""
        image = getattr(box, "replacement", None)
        url = self.by_id.get(getattr(image, "id", None))
        if url and getattr(box, "width", 0) and getattr(box, "height", 0):
            px_mm = 25.4 / 96  # CSS pixels
            dpi = self.fetched.images[url][0][0] / (box.width * px_mm / 25.4)
            if url not in self.worst or dpi < self.worst[url][2]:
                self.worst[url] = (box.width * px_mm, box.height * px_mm, dpi,
                                   column * px_mm, page)

    def low(self, min_dpi: int = LOW_DPI) -> list[tuple[int, str]]:
        """``(page index, message)`` for each image printed below ``min_dpi``."""
        return [(placed[4], low_resolution_message(url, self.fetched.images[url][0],
                                                   *placed[:4], project=self.project))
                for url, placed in self.worst.items() if placed[2] < min_dpi]


def low_resolution_message(url: str, pixels: tuple[int, int], width_mm: float,
                           height_mm: float, dpi: float, column_mm: float,
                           project: Path | None = None) -> str:
    path = url_path(url, project) if project is not None else local_path(url)
    name = "an inline (data:) image" if url.startswith("data:") else \
        f"image {display_path(path)}" if path else f"image {shorten(url)}"
    # An image narrower than its column is placed at 96 pixels an inch, so a larger copy
    # would only be printed larger: one wider than the column is scaled to fit it.
    column = max(column_mm, width_mm)
    return (f"{name} ({pixels[0]}×{pixels[1]} pixels) is printed {width_mm:.0f} mm wide at "
            f"about {dpi:.0f} dpi and will look blurred: a copy at least "
            f"{print_pixels(column, LOW_DPI)} pixels wide fills the {column:.0f} mm column "
            f"at {LOW_DPI} dpi ({print_pixels(column, PRINT_DPI)} for {PRINT_DPI} dpi)")
