"""Stage 4: one output — load, check glyphs, render with the fit policy, post-process."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from . import i18n
from .content import Leaflet, load_leaflet
from .errors import LeafletError
from .layouts import Layout
from .options import RenderOptions
from .render import Rendered, Renderer


@dataclass
class Produced(Rendered):
    body_pt: float = 0.0
    missing_strings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GlyphProblem:
    """A character no face in the stack covers, and where it was first seen."""

    path: Path | None  # the content file, or the catalog for template text
    line: int | None  # line in the content file; None for catalog text
    char: str


def glyph_problems(leaflet: Leaflet, catalog: i18n.Catalog,
                   faces: list[i18n.FontFace]) -> list[GlyphProblem]:
    """Every uncovered character: the content file's first, then the template text's.

    ``leaflet check`` reports them all; ``check_glyphs`` (the build) stops at the first.
    """
    text = leaflet.path.read_text(encoding="utf-8-sig")
    found = [GlyphProblem(leaflet.path, line, char) for line, char in i18n.uncovered(text, faces)]
    strings = "\n".join(catalog.messages.values())
    found += [GlyphProblem(catalog.path, None, char)
              for _, char in i18n.uncovered(strings, faces)]
    return found


def check_glyphs(leaflet: Leaflet, catalog: i18n.Catalog, faces: list[i18n.FontFace]) -> None:
    """No tofu: every character of the content and the template text has a glyph."""
    problems = glyph_problems(leaflet, catalog, faces)
    if problems:
        first = problems[0]
        count = sum(1 for p in problems if (p.line is None) == (first.line is None))
        raise LeafletError(no_glyph_message(first.char, faces, count), first.path, first.line)


def no_glyph_message(char: str, faces: list[i18n.FontFace], count: int = 1) -> str:
    families = ", ".join(i18n.families(faces))
    package = i18n.SUGGESTED_PACKAGES.get(i18n.char_script(char))
    help_text = (f"install {package} or add a font under [[fonts]] in leaflet.toml"
                 if package else "add a font that covers it under [[fonts]] in leaflet.toml")
    more = f" (and {count - 1} more)" if count > 1 else ""
    return (f"no font has a glyph for {i18n.describe_char(char)}{more}; "
            f"fonts tried: {families}; {help_text}")


def produce(renderer: Renderer, leaflet: Leaflet, layout: Layout,
            options: RenderOptions) -> Produced:
    """Render one leaflet in one layout to finished PDF bytes, or raise ``LeafletError``."""
    config = renderer.config
    catalog = i18n.load_catalog(leaflet.lang, config.root)
    faces = renderer.fonts(leaflet.lang)
    check_glyphs(leaflet, catalog, faces)

    from .options import TAGGED, pdf_variant

    if options.impose and layout.impose and pdf_variant(options, layout) in TAGGED:
        raise LeafletError(f"the {layout.name} layout is imposed on sheets, which drops the "
                           f"tags {pdf_variant(options, layout)} needs; use --no-impose for "
                           "a tagged copy", leaflet.path)
    body_pt = layout.body_pt
    padding = 0  # deliberate filler pages (notes) the template adds before the back page
    tried: set[tuple[float, int]] = set()
    limit = layout.exact_pages or layout.max_pages
    while True:
        tried.add((body_pt, padding))
        document, warnings = renderer.render_document(leaflet, layout, catalog, options,
                                                      body_pt, {"padding": padding})
        pages = len(document.pages)
        spilled = spilled_parts(document, layout)
        if pages <= limit and not spilled:
            content = pages - padding
            want = layout.exact_pages or content + (-content) % layout.pad_to
            if pages == want:
                break
            if (body_pt, want - content) in tried:
                raise LeafletError(f"the {layout.name} layout's filler pages do not come out "
                                   f"at {want} pages (got {pages}); check the template",
                                   leaflet.path)
            padding = want - content
            continue
        if layout.min_body_pt is not None and body_pt - 0.5 >= layout.min_body_pt:
            body_pt, padding = body_pt - 0.5, 0
            continue
        raise LeafletError(_overflow_message(layout, document, limit, body_pt, spilled),
                           leaflet.path)

    pdf = renderer.write(document, leaflet, **pdf_options(leaflet, layout, options))
    pages = len(document.pages)  # re-reading the PDF with pypdf costs ~50 ms a file
    if options.impose and layout.impose:
        from .impose import impose
        from .options import bleed_mm

        bleed = bleed_mm(options, config.paper) if options.is_print_ready(layout) else 0.0
        pdf = impose(pdf, layout, config.paper, i18n.direction(leaflet.lang), bleed_mm=bleed)
        pages = count_pages(pdf)
    return Produced(pdf=pdf, pages=pages, warnings=warnings, body_pt=body_pt,
                    missing_strings=sorted(catalog.missing))


def pdf_options(leaflet: Leaflet, layout: Layout | None = None,
                options: RenderOptions = RenderOptions()) -> dict:
    """WeasyPrint ``write_pdf`` options: variant, output intent and stable identifiers."""
    from .options import output_intent, pdf_variant

    result = {"pdf_identifier": f"leaflet:{leaflet.slug}:{leaflet.lang}".encode()}
    variant = pdf_variant(options, layout) if layout is not None else options.pdf_variant
    if variant:
        result.update(pdf_variant=variant, output_intent=output_intent(options, layout),
                      finisher=_stable_document_id(leaflet))
    return result


def _stable_document_id(leaflet: Leaflet):
    """WeasyPrint stamps PDF/X-4 XMP with a random document UUID: derive it instead."""
    import hashlib
    import re
    import uuid

    digest = hashlib.sha256(f"{leaflet.slug}:{leaflet.lang}:{leaflet.version}:"
                            f"{leaflet.reviewed}".encode()).digest()
    stable = f"xmp.did:{uuid.UUID(bytes=digest[:16])}".encode()

    def finisher(document, pdf):
        for obj in pdf.objects:
            extra = getattr(obj, "extra", None)
            if extra and extra.get("Type") == "/Metadata" and hasattr(obj, "stream"):
                data = b"".join(part if isinstance(part, bytes) else str(part).encode()
                                for part in obj.stream)
                obj.stream = [re.sub(rb"xmp\.did:[0-9a-fA-F-]{36}", stable, data)]

    return finisher


# What to do when a part that must fit one page (CSS named page) runs onto more.
PART_HINTS = {"cover": "shorten the title or the summary",
              "back": "shorten the clinic details in leaflet.toml"}


def spilled_parts(document, layout: Layout) -> dict[str, int]:
    """Named pages (CSS ``page: cover``) that must fit one page each but ran onto more:
    ``{name: pages it took}``."""
    if not layout.one_page_parts:
        return {}
    # WeasyPrint keeps the page type (with its CSS page name) on the page box only.
    names = [p._page_box.page_type.name for p in document.pages]
    return {part: names.count(part) for part in layout.one_page_parts if names.count(part) > 1}


def _overflow_message(layout: Layout, document, limit: int, body_pt: float,
                      spilled: dict[str, int]) -> str:
    unit = "panel" if layout.impose == "trifold" else "page"
    shrink = (f" even at the smallest allowed body size ({body_pt:g} pt)"
              if layout.min_body_pt is not None else "")
    pages = len(document.pages)
    if spilled and pages <= limit:
        part, used = next(iter(spilled.items()))
        floor = (f", even at the smallest allowed body size, {body_pt:g} pt"
                 if layout.min_body_pt is not None else "")
        return (f"the {part} {unit} does not fit on one {unit} of the {layout.name} "
                f"layout (it needs {used}{floor}): {PART_HINTS.get(part, 'shorten it')}")
    hint = f": {layout.fits_hint}" if layout.fits_hint else ""
    over = f"{pages - limit} {unit}{'s' if pages - limit > 1 else ''} over"
    if limit == 1:
        over = f"about {_lines(document.pages[limit:])} lines over"
    return (f"does not fit the {layout.name} layout{shrink}: needs {pages} {unit}s, "
            f"the limit is {limit} ({over}){hint}")


def _lines(pages) -> int:
    """Lines of text laid out on these pages (margin boxes such as footers left out)."""
    from weasyprint.formatting_structure.boxes import LineBox, MarginBox

    def walk(box):
        if isinstance(box, MarginBox):
            return 0
        if isinstance(box, LineBox):
            return 1
        return sum(walk(child) for child in getattr(box, "children", ()))

    return sum(walk(page._page_box) for page in pages)


def count_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def load_cached(path: Path, cache: dict) -> Leaflet:
    """Load a leaflet once per worker per file version."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in cache:
        cache.clear() if len(cache) > 256 else None
        cache[key] = load_leaflet(path)
    return cache[key]


__all__ = ["Produced", "GlyphProblem", "check_glyphs", "glyph_problems",
           "no_glyph_message", "produce", "pdf_options", "count_pages"]
