"""Raster images at print size: their pixel size from the header, the limits, and the
resampling to 300 dpi that keeps a phone photo from being embedded whole in every PDF.

Any stage may use this (the fetcher resamples, ``leaflet check`` reads sizes); Pillow is
imported only when an image is actually read.
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings

# A whole A3 page at 300 dpi is 17 megapixels; a 48-megapixel phone photo still fits.
# Beyond this an image costs hundreds of MB to decode (Pillow's own "decompression bomb"
# guard starts at 89): the output fails and says which image to scale down.
MAX_IMAGE_PIXELS = 50_000_000
# Any one resource (image, font, stylesheet): a font family's largest file is ~20 MB.
MAX_RESOURCE_BYTES = 64_000_000
PRINT_DPI = 300  # what offset and laser print resolve; more is bytes nobody sees
LOW_DPI = 150  # below this a photo looks soft in print
RASTER_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")
JPEG_QUALITY = 90


def is_raster(data: bytes) -> bool:
    return data.startswith(RASTER_MAGIC)


def image_pixels(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a raster image's header, without decoding it; None if unknown."""
    return _header_size(io.BytesIO(data))


def file_pixels(path) -> tuple[int, int] | None:
    """(width, height) of a raster image file, from its header; None if not one."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)  # every format's header fits; no 18 MB read for it
    except OSError:
        return None
    return _header_size(path) if is_raster(head) else None


def _header_size(source) -> tuple[int, int] | None:
    from PIL import Image  # lazy: Pillow is only needed when a page has an image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: we judge the size
            saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with Image.open(source) as image:
                    return image.size
            finally:
                Image.MAX_IMAGE_PIXELS = saved
    except Exception:  # noqa: BLE001 - not an image Pillow knows: the build will say so
        return None


def print_pixels(width_mm: float, dpi: int = PRINT_DPI) -> int:
    """How many pixels ``width_mm`` of paper holds at ``dpi``."""
    return math.ceil(width_mm / 25.4 * dpi)


def fit_for_print(data: bytes, max_width_px: int) -> bytes | None:
    """``data`` resampled to at most ``max_width_px`` wide (aspect kept), or None when it
    is not a raster image wider than that. The same input gives the same bytes."""
    if not is_raster(data):
        return None
    size = image_pixels(data)
    if size is None or size[0] <= max_width_px or size[0] * size[1] > MAX_IMAGE_PIXELS:
        return None  # small enough, unknown, or refused by the size limit elsewhere
    # Cached per process on the content's digest and the width (never on the original
    # bytes, which would keep every 18 MB photo alive): every fit pass, language and
    # output of a worker reuses the copy.
    key = (hashlib.sha256(data).hexdigest(), max_width_px)
    if key not in _RESAMPLED:
        if len(_RESAMPLED) >= _CACHE_SIZE:
            _RESAMPLED.pop(next(iter(_RESAMPLED)))  # the oldest
        _RESAMPLED[key] = _resampled(data, max_width_px)
    return _RESAMPLED[key]


_RESAMPLED: dict[tuple[str, int], bytes] = {}
_CACHE_SIZE = 32


def _resampled(data: bytes, max_width_px: int) -> bytes:
    from PIL import Image, ImageOps  # lazy: see image_pixels

    with Image.open(io.BytesIO(data)) as image:
        # A camera's multi-picture JPEG (MPO: a second, HDR or depth picture inside) is a
        # JPEG too: its first picture is the photo.
        is_jpeg = image.format in ("JPEG", "MPO")
        icc = image.info.get("icc_profile")
        height = max(1, round(image.height * max_width_px / image.width))
        if is_jpeg:
            image.draft(image.mode, (max_width_px, height))  # decode at 1/2, 1/4 … scale
        # The pixels are turned upright: the copy carries no EXIF orientation.
        upright = ImageOps.exif_transpose(image)
        if upright.mode == "P":
            upright = upright.convert("RGBA" if "transparency" in upright.info else "RGB")
        elif upright.mode not in ("1", "L", "LA", "RGB", "RGBA", "CMYK", "I;16", "I"):
            upright = upright.convert("RGBA")
        if upright.mode == "1":
            upright = upright.convert("L")
        width = max_width_px
        height = max(1, round(upright.height * width / upright.width))
        small = upright.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        extra = {"icc_profile": icc} if icc else {}
        if is_jpeg and small.mode in ("L", "RGB", "CMYK"):
            small.save(out, format="JPEG", quality=JPEG_QUALITY, **extra)
        else:
            small.save(out, format="PNG", compress_level=6, **extra)
        return out.getvalue()
