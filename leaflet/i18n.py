"""Model: languages — Babel locale (direction, script, dates) and gettext catalogs."""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Callable

from .errors import LeafletError
from .po import DOMAIN, read_po_file
from .resources import builtin_dir

SOURCE_LANG = "en"


# ---------------------------------------------------------------- locale

@functools.lru_cache(maxsize=None)
def locale_for(lang: str):
    """The Babel locale for a BCP 47 tag such as ``pt-BR`` or ``zh-Hans``."""
    from babel import Locale, UnknownLocaleError  # lazy: Babel's locale data costs ~50 ms

    try:
        return Locale.parse(lang, sep="-")
    except (UnknownLocaleError, ValueError):
        return None


def direction(lang: str) -> str:
    loc = locale_for(lang)
    return "rtl" if loc is not None and loc.character_order == "right-to-left" else "ltr"


def script_of(lang: str) -> str:
    """ISO 15924 script code (``Latn``, ``Arab``, ``Deva`` …) the language is written in."""
    from babel.core import get_global  # lazy: see locale_for

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
    import pyphen  # lazy: only rendering asks, and the dictionaries list is large

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


def formatting_locale(lang: str, region: str = ""):
    """The locale whose date and number style a leaflet in ``lang`` follows: the
    clinic's ``region`` joined to a tag that has none, when CLDR has that pairing
    (``en`` in a GB clinic → en_GB: "15 October 2026"; ``pl`` there stays pl)."""
    loc = locale_for(lang)
    if loc is None or not region or loc.territory:
        return loc
    return locale_for(f"{loc.language}-{region}") or loc


def format_date(value: dt.date, lang: str, region: str = "") -> str:
    """A date in the leaflet's own words: ``2 de noviembre de 2026``."""
    from babel.dates import format_date as babel_format_date  # lazy: see locale_for

    return babel_format_date(value, format="long",
                             locale=formatting_locale(lang, region) or "en")


def format_number(value: float, lang: str, region: str = "") -> str:
    from babel.numbers import format_decimal  # lazy: see locale_for

    return format_decimal(value, locale=formatting_locale(lang, region) or "en")


def base_language(lang: str) -> str:
    """``en-GB`` → ``en``: region and script variants share their language's text."""
    return lang.replace("_", "-").split("-")[0].lower()


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
        if base_language(self.lang) == SOURCE_LANG:  # en-GB, en-US: the source text
            return message
        translated = self.messages.get(message)
        if not translated:
            self.missing.add(message)
            return message
        return translated

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if base_language(self.lang) != SOURCE_LANG:
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
    # Lazy: Babel's message tools cost ~60 ms, and English output needs no catalog.
    from babel.messages.mofile import write_mo
    from babel.support import Translations

    catalog = read_po_file(path)  # a broken catalog is an error naming file:line
    # Compile exactly as msgfmt would (fuzzy entries left out) and read it back.
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    translations = Translations(buffer, domain=DOMAIN)
    messages = {k: v for k, v in translations._catalog.items() if k and v}
    return messages, translations.plural


def load_catalog(lang: str, root: Path) -> Catalog:
    """The catalog for ``lang``: its own (``es-MX``), else its base language's (``es``)."""
    if base_language(lang) == SOURCE_LANG:
        return Catalog(lang, {}, None)
    path = catalog_path(lang, root)
    if path is None:
        return Catalog(lang, {}, None)
    messages, plural = _read_catalog(path, path.stat().st_mtime)
    return Catalog(lang, dict(messages), path, plural=plural)
