"""Where the built-in templates, styles and catalogs live (checkout or installed wheel)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """``templates``, ``styles`` or ``locales`` shipped with leaflet.

    An installed wheel carries them in ``leaflet/_data``; a source checkout (and an
    editable install) keeps them at the top of the repository.
    """
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
