"""Stage 3 helper: a QR code for a leaflet's link, as inline SVG for the templates."""

from __future__ import annotations

import functools

import segno

# Medium error correction survives a scuffed or partly reflective wall poster; the
# 4-module quiet zone is what the QR standard asks for (scanners fail without it).
ERROR = "m"
BORDER = 4


def matrix(url: str) -> list[list[bool]]:
    """The QR modules for ``url``, quiet zone included: True is dark (for tests and checks)."""
    qr = segno.make(url, error=ERROR, micro=False, boost_error=False)
    return [[bool(v) for v in row] for row in qr.matrix_iter(border=BORDER)]


@functools.lru_cache(maxsize=64)
def svg(url: str) -> str:
    """Inline ``<svg>`` (no fixed size: CSS sizes it) encoding ``url``; '' for no link.

    No link means no QR code, never a broken or empty one.
    """
    if not url:
        return ""
    qr = segno.make(url, error=ERROR, micro=False, boost_error=False)
    return qr.svg_inline(scale=1, border=BORDER, omitsize=True, dark="#000", light="#fff",
                         svgclass="qr-code", lineclass=None)
