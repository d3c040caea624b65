"""Model: fonts per script — the face stack of each language, @font-face rules, and glyph
coverage (no tofu: every character of a leaflet has a glyph in its stack)."""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .content import Leaflet
from .errors import LeafletError
from .files import atomic_write
from .i18n import Catalog, script_of


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
    from fontTools.ttLib import TTFont, TTLibError  # lazy: ~80 ms; `list` never needs it

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


# ---------------------------------------------------------------- static instances

# The weights the stylesheets use (text, and bold for headings and <strong>): a variable
# font is given to WeasyPrint as one static instance per weight.
STATIC_WEIGHTS = (400, 700)
CACHE_ENV = "LEAFLET_CACHE_DIR"


def cache_dir() -> Path:
    """Where derived files (static font instances) are kept between builds: $LEAFLET_CACHE_DIR,
    else $XDG_CACHE_HOME/leaflet, else ~/.cache/leaflet."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "leaflet"


def instances_dir() -> Path:
    return cache_dir() / "fonts"


def render_faces(lang: str, extra=()) -> list[FontFace]:
    """The faces the renderer declares for a language: ``font_stack``, with the script's
    own variable font replaced by static instances at ``STATIC_WEIGHTS``.

    WeasyPrint otherwise instances the variable font again for every PDF (~90 ms each for
    Noto Sans Arabic or Devanagari); the instances are made once per font version and
    kept in ``instances_dir()``. Fallback faces (Noto Sans behind Arabic, say) stay
    variable: they are rarely used, and instancing Noto Sans takes seconds. If the cache
    cannot be written, the variable font is used as before.
    """
    faces = font_stack(lang, extra)
    modules = SCRIPT_FONTS.get(script_of(lang), SCRIPT_FONTS["Latn"])
    primary = {face.path for face in package_faces(modules[0])}
    out: list[FontFace] = []
    for face in faces:
        if face.path in primary and is_variable(face.path):
            try:
                out += [FontFace(face.family, static_instance(face.path, weight),
                                 str(weight), face.style) for weight in STATIC_WEIGHTS]
                continue
            except OSError:
                pass  # an unwritable cache: WeasyPrint instances per PDF, as it would
        out.append(face)
    return out


@functools.lru_cache(maxsize=None)
def static_instance(source: Path, weight: int) -> Path:
    """A static instance of a variable font at ``weight`` (other axes at their defaults),
    made once and kept under a name derived from the source's bytes and fontTools."""
    # Lazy: fontTools' instancer costs ~150 ms to import and is needed once per font.
    import fontTools
    from fontTools.ttLib import TTFont
    from fontTools.varLib.instancer import instantiateVariableFont

    data = source.read_bytes()
    digest = hashlib.sha256(data + f":{weight}:{fontTools.version}".encode()).hexdigest()
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in source.stem)
    path = instances_dir() / f"{stem}-{weight}-{digest[:16]}.ttf"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)  # an unwritable cache fails before work
    # recalcTimestamp=False: the instance keeps the source's date, so its bytes (and the
    # PDFs that embed it) are the same whenever and wherever it is made.
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    location = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes}
    location["wght"] = weight
    instance = instantiateVariableFont(font, location, static=True)
    buffer = io.BytesIO()
    instance.save(buffer)
    atomic_write(path, buffer.getvalue())  # two builds at once: each writes it whole
    return path


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
    from fontTools.ttLib import TTFont, TTLibError  # lazy: see _cmap

    try:
        with TTFont(path, lazy=True) as font:
            return "fvar" in font and any(a.axisTag == "wght" for a in font["fvar"].axes)
    except (TTLibError, OSError) as exc:
        raise LeafletError(f"font file cannot be read: {exc}", path) from None


# ---------------------------------------------------------------- coverage of a leaflet

@dataclass(frozen=True)
class GlyphProblem:
    """A character no face in the stack covers, and where it was first seen."""

    path: Path | None  # the content file, or the catalog for template text
    line: int | None  # line in the content file; None for catalog text
    char: str


def glyph_problems(leaflet: Leaflet, catalog: Catalog,
                   faces: list[FontFace]) -> list[GlyphProblem]:
    """Every uncovered character: the content file's first, then the template text's.

    ``leaflet check`` reports them all; ``check_glyphs`` (the build) stops at the first.
    """
    text = leaflet.path.read_text(encoding="utf-8-sig")
    found = [GlyphProblem(leaflet.path, line, char) for line, char in uncovered(text, faces)]
    strings = "\n".join(catalog.messages.values())
    found += [GlyphProblem(catalog.path, None, char)
              for _, char in uncovered(strings, faces)]
    return found


def check_glyphs(leaflet: Leaflet, catalog: Catalog, faces: list[FontFace]) -> None:
    """No tofu: every character of the content and the template text has a glyph."""
    problems = glyph_problems(leaflet, catalog, faces)
    if problems:
        first = problems[0]
        count = sum(1 for p in problems if (p.line is None) == (first.line is None))
        raise LeafletError(no_glyph_message(first.char, faces, count), first.path, first.line)


def no_glyph_message(char: str, faces: list[FontFace], count: int = 1) -> str:
    tried = ", ".join(families(faces))
    package = SUGGESTED_PACKAGES.get(char_script(char))
    help_text = (f"install {package} or add a font under [[fonts]] in leaflet.toml"
                 if package else "add a font that covers it under [[fonts]] in leaflet.toml")
    more = f" (and {count - 1} more)" if count > 1 else ""
    return (f"no font has a glyph for {describe_char(char)}{more}; "
            f"fonts tried: {tried}; {help_text}")
