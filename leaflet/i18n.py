"""Stage 2: languages — gettext catalogs, Babel locale (direction, dates), fonts per script."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import unicodedata
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from .errors import LeafletError
from .resources import builtin_dir

DOMAIN = "leaflet"
SOURCE_LANG = "en"


# ---------------------------------------------------------------- locale

@functools.lru_cache(maxsize=None)
def locale_for(lang: str):
    """The Babel locale for a BCP 47 tag such as ``pt-BR`` or ``zh-Hans``."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang, sep="-")
    except (UnknownLocaleError, ValueError):
        return None


def is_known_language(lang: str) -> bool:
    return locale_for(lang) is not None


def direction(lang: str) -> str:
    loc = locale_for(lang)
    return "rtl" if loc is not None and loc.character_order == "right-to-left" else "ltr"


def script_of(lang: str) -> str:
    """ISO 15924 script code (``Latn``, ``Arab``, ``Deva`` …) the language is written in."""
    from babel.core import get_global

    loc = locale_for(lang)
    if loc is None:
        return "Latn"
    if loc.script:
        return loc.script
    likely = get_global("likely_subtags")
    key = str(loc) if str(loc) in likely else loc.language
    parts = likely.get(key, "").split("_")
    return parts[1] if len(parts) > 2 else "Latn"


def language_name(lang: str, in_lang: str | None = None) -> str:
    loc = locale_for(lang)
    if loc is None:
        return lang
    return loc.get_display_name(locale_for(in_lang or lang) or "en") or lang


def format_date(value: dt.date, lang: str) -> str:
    """A date in the leaflet's own words: ``2 de noviembre de 2026``."""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(value, format="long", locale=locale_for(lang) or "en")


def format_number(value: float, lang: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale_for(lang) or "en")


# ---------------------------------------------------------------- gettext

@dataclass
class Catalog:
    """Template text for one language; records every string that fell back to English."""

    lang: str
    messages: dict[str, str]
    path: Path | None
    missing: set[str] = field(default_factory=set)

    def gettext(self, message: str) -> str:
        if self.lang == SOURCE_LANG:
            return message
        translated = self.messages.get(message)
        if not translated:
            self.missing.add(message)
            return message
        return translated

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def catalog_dirs(root: Path) -> list[Path]:
    """Project catalogs first, built-in ones second (a project may translate or override)."""
    return [root / "locales", builtin_dir("locales")]


def catalog_path(lang: str, root: Path) -> Path | None:
    names = [lang, lang.replace("-", "_")]
    loc = locale_for(lang)
    if loc is not None:
        names += [str(loc), loc.language]
    for base in catalog_dirs(root):
        for name in dict.fromkeys(names):
            path = base / name / "LC_MESSAGES" / f"{DOMAIN}.po"
            if path.is_file():
                return path
    return None


@functools.lru_cache(maxsize=64)
def _read_catalog(path: Path, mtime: float) -> dict[str, str]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import PoFileError, read_po
    from babel.support import Translations

    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, abort_invalid=True)
    except (PoFileError, UnicodeDecodeError, OSError) as exc:
        raise LeafletError(f"catalog cannot be read: {exc}", path) from None
    # Compile exactly as msgfmt would (fuzzy entries left out) and read it back.
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    translations = Translations(buffer, domain=DOMAIN)
    return {k: v for k, v in translations._catalog.items() if isinstance(k, str) and k}


def load_catalog(lang: str, root: Path) -> Catalog:
    if lang == SOURCE_LANG:
        return Catalog(lang, {}, None)
    path = catalog_path(lang, root)
    if path is None:
        return Catalog(lang, {}, None)
    return Catalog(lang, dict(_read_catalog(path, path.stat().st_mtime)), path)


# ---------------------------------------------------------------- fonts

@dataclass(frozen=True)
class FontFace:
    family: str
    path: Path
    weight: str  # "400" or a variable range "100 900"
    style: str


# Script → font packages, in order. Atkinson Hyperlegible leads for Latin: it was
# designed for low-vision readers. Noto Sans backs it up (Latin Extended, Greek, Cyrillic)
# and follows every other script's face so Latin words inside them still render.
SCRIPT_FONTS: dict[str, tuple[str, ...]] = {
    "Latn": ("fontpkg_atkinson_hyperlegible", "fontpkg_noto_sans"),
    "Cyrl": ("fontpkg_noto_sans",),
    "Grek": ("fontpkg_noto_sans",),
    "Arab": ("fontpkg_noto_sans_arabic", "fontpkg_atkinson_hyperlegible", "fontpkg_noto_sans"),
    "Deva": ("fontpkg_noto_sans_devanagari", "fontpkg_atkinson_hyperlegible",
             "fontpkg_noto_sans"),
}
# Packages on PyPI that cover scripts the defaults do not; named in "no font" errors.
SUGGESTED_PACKAGES: dict[str, str] = {
    "Arab": "fontpkg-noto-sans-arabic",
    "Deva": "fontpkg-noto-sans-devanagari",
    "Taml": "fontpkg-noto-sans-tamil",
    "Telu": "fontpkg-noto-sans-telugu",
    "Thai": "fontpkg-noto-sans-thai",
    "Khmr": "fontpkg-noto-sans-khmer",
}


@functools.lru_cache(maxsize=None)
def package_faces(module_name: str) -> tuple[FontFace, ...]:
    """The font files a ``fontpkg-*`` package ships, read from its metadata."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        package = module_name.replace("_", "-")
        raise LeafletError(
            f"font package {package} is not installed: run 'pip install {package}'"
        ) from None
    root = Path(module.ROOT)
    meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
    faces = []
    for entry in meta["files"]:
        if entry.get("variable"):
            weight = "100 900"
            for axis in meta.get("axes", []):
                if axis["tag"] == "wght":
                    weight = f"{int(axis['min'])} {int(axis['max'])}"
        else:
            weight = str(entry.get("weight") or 400)
        faces.append(FontFace(meta["family"], root / entry["path"], weight, entry["style"]))
    return tuple(faces)


def font_roots() -> list[Path]:
    """Folders of every font package the renderer may read."""
    names = {m for stack in SCRIPT_FONTS.values() for m in stack}
    roots = []
    for name in sorted(names):
        try:
            roots.append(Path(importlib.import_module(name).ROOT).resolve())
        except ImportError:
            continue
    return roots


def font_stack(lang: str, extra=()) -> list[FontFace]:
    """Every face used for a language: the clinic's own fonts first, then the packages."""
    script = script_of(lang)
    faces = [FontFace(f.family, f.path, f.weight, f.style) for f in extra
             if script in f.scripts or "*" in f.scripts]
    for module in SCRIPT_FONTS.get(script, SCRIPT_FONTS["Latn"]):
        faces.extend(package_faces(module))
    return faces


def families(faces: list[FontFace]) -> list[str]:
    return list(dict.fromkeys(f.family for f in faces))


@functools.lru_cache(maxsize=None)
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True) as font:
            return frozenset(font.getBestCmap() or {})
    except (TTLibError, OSError) as exc:
        raise LeafletError(f"font file cannot be read: {exc}", path) from None


@functools.lru_cache(maxsize=64)
def _covered(paths: tuple[Path, ...]) -> frozenset[int]:
    covered: set[int] = set()
    for path in paths:
        covered |= _cmap(path)
    return frozenset(covered)


def _ignorable(char: str) -> bool:
    # Layout controls (ZWJ, bidi marks) and spaces need no glyph of their own.
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def uncovered(text: str, faces: list[FontFace]) -> list[tuple[int, str]]:
    """``(line, char)`` for each distinct character no face in the stack has a glyph for."""
    covered = _covered(tuple(face.path for face in faces))
    seen: set[str] = set()
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        for char in line:
            if char in seen or _ignorable(char) or ord(char) in covered:
                continue
            seen.add(char)
            found.append((number, char))
    return found


def describe_char(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED CHARACTER')}"


def char_script(char: str) -> str:
    """A rough script code for a character, to suggest the font package that covers it."""
    name = unicodedata.name(char, "")
    for word, code in (("ARABIC", "Arab"), ("DEVANAGARI", "Deva"), ("TAMIL", "Taml"),
                       ("TELUGU", "Telu"), ("THAI", "Thai"), ("KHMER", "Khmr"),
                       ("CYRILLIC", "Cyrl"), ("GREEK", "Grek")):
        if name.startswith(word):
            return code
    return ""


def font_face_css(faces: list[FontFace]) -> str:
    """``@font-face`` rules pointing at the package files (served by the fetcher).

    WeasyPrint 70 rejects weight ranges, so a variable font is declared once per weight
    the stylesheets use (it picks the matching instance when it lays out the text).
    """
    rules = []
    for face in faces:
        weights = ("400", "700") if " " in face.weight else (face.weight,)
        for weight in weights:
            rules.append(
                "@font-face { font-family: %s; src: url(%s); font-weight: %s; "
                "font-style: %s; }"
                % (json.dumps(face.family), face.path.resolve().as_uri(), weight, face.style)
            )
    return "\n".join(dict.fromkeys(rules))
