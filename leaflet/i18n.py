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
from typing import Callable

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


def text_direction(text: str, default: str = "ltr") -> str:
    """What HTML's ``dir="auto"`` would choose: the direction of the first strong letter.

    WeasyPrint 70 has no ``dir="auto"`` or ``unicode-bidi``; templates wrap text that
    may be in another script (English sources in an Arabic leaflet, the clinic's
    address) in a ``<span dir>`` so its punctuation and digits stay in place.
    """
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return default


def can_hyphenate(lang: str) -> bool:
    """Whether Pyphen (WeasyPrint's hyphenator) has a dictionary for the language."""
    import pyphen

    loc = locale_for(lang)
    candidates = [lang.replace("-", "_"), lang]
    if loc is not None:
        candidates += [str(loc), loc.language]
    return any(c in pyphen.LANGUAGES for c in candidates)


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
    """Template text for one language; records every string that fell back to English.

    ``messages`` is keyed like gettext's own catalog: ``msgid`` for plain text and
    ``(msgid, form)`` for each plural form; ``plural`` maps a count to its form.
    """

    lang: str
    messages: dict
    path: Path | None
    missing: set[str] = field(default_factory=set)
    plural: Callable[[int], int] | None = None

    def gettext(self, message: str) -> str:
        if self.lang == SOURCE_LANG:
            return message
        translated = self.messages.get(message)
        if not translated:
            self.missing.add(message)
            return message
        return translated

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self.lang != SOURCE_LANG:
            form = self.plural(n) if self.plural is not None else int(n != 1)
            translated = self.messages.get((singular, form))
            if translated:
                return translated
            self.missing.add(singular)
        return singular if n == 1 else plural


def catalog_dirs(root: Path) -> list[Path]:
    """Project catalogs first, built-in ones second (a project may translate or override)."""
    return [root / "locales", builtin_dir("locales")]


def catalog_path(lang: str, root: Path) -> Path | None:
    names = [lang, lang.replace("-", "_")]
    loc = locale_for(lang)
    if loc is not None:
        names += [str(loc), loc.language]
    project = root.resolve()
    for base in catalog_dirs(root):
        for name in dict.fromkeys(names):
            path = base / name / "LC_MESSAGES" / f"{DOMAIN}.po"
            if path.is_file():
                if base == root / "locales" and not path.resolve().is_relative_to(project):
                    # A symlink out of the project: never read it (it would print on
                    # every page); say so rather than fall back silently.
                    raise LeafletError(
                        "catalog points outside the project (symlink?): not read", path)
                return path
    return None


@functools.lru_cache(maxsize=64)
def _read_catalog(path: Path, mtime: float) -> tuple[dict, Callable[[int], int]]:
    from babel.messages.mofile import write_mo
    from babel.support import Translations

    from .catalogs import read_po_file

    catalog = read_po_file(path)  # a broken catalog is an error naming file:line
    # Compile exactly as msgfmt would (fuzzy entries left out) and read it back.
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    translations = Translations(buffer, domain=DOMAIN)
    messages = {k: v for k, v in translations._catalog.items() if k and v}
    return messages, translations.plural


def load_catalog(lang: str, root: Path) -> Catalog:
    if lang == SOURCE_LANG:
        return Catalog(lang, {}, None)
    path = catalog_path(lang, root)
    if path is None:
        return Catalog(lang, {}, None)
    messages, plural = _read_catalog(path, path.stat().st_mtime)
    return Catalog(lang, dict(messages), path, plural=plural)


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

    A variable font is declared once, without ``font-weight``: fontconfig then lists
    its named instances (Regular, Bold …) and Pango shapes bold text with the bold
    instance's advances. WeasyPrint 70 rejects weight ranges, and declaring the same
    variable file at 400 and at 700 shapes bold with the regular advances while the
    PDF embeds bold outlines: letters collide (seen in Arabic and Devanagari headings).
    """
    rules = []
    for face in faces:
        weight = "" if is_variable(face.path) else f" font-weight: {face.weight};"
        rules.append(
            "@font-face { font-family: %s; src: url(%s);%s font-style: %s; }"
            % (json.dumps(face.family), face.path.resolve().as_uri(), weight, face.style)
        )
    return "\n".join(dict.fromkeys(rules))


@functools.lru_cache(maxsize=None)
def is_variable(path: Path) -> bool:
    """Has the font a weight axis (a clinic's own file may be variable too)?"""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True) as font:
            return "fvar" in font and any(a.axisTag == "wght" for a in font["fvar"].axes)
    except (TTLibError, OSError) as exc:
        raise LeafletError(f"font file cannot be read: {exc}", path) from None
