"""Stage 4: one output — load, check glyphs, render with the fit policy, post-process."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from . import i18n
from .config import Config
from .content import Leaflet, load_leaflet
from .errors import LeafletError
from .layouts import Layout
from .render import Rendered, RenderOptions, Renderer


@dataclass
class Produced(Rendered):
    body_pt: float = 0.0
    missing_strings: list[str] = field(default_factory=list)


def check_glyphs(leaflet: Leaflet, catalog: i18n.Catalog, faces: list[i18n.FontFace]) -> None:
    """No tofu: every character of the content and the template text has a glyph."""
    text = leaflet.path.read_text(encoding="utf-8-sig")
    problems = i18n.uncovered(text, faces)
    if problems:
        line, char = problems[0]
        raise LeafletError(_no_glyph_message(char, faces, len(problems)), leaflet.path, line)
    strings = "\n".join(catalog.messages.values())
    problems = i18n.uncovered(strings, faces)
    if problems:
        _, char = problems[0]
        raise LeafletError(_no_glyph_message(char, faces, len(problems)), catalog.path)


def _no_glyph_message(char: str, faces: list[i18n.FontFace], count: int) -> str:
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

    pdf = renderer.write(document, leaflet, **pdf_options(leaflet))
    if options.impose and layout.impose:
        from .impose import impose

        pdf = impose(pdf, layout, config.paper, i18n.direction(leaflet.lang))
    return Produced(pdf=pdf, pages=count_pages(pdf), warnings=warnings, body_pt=body_pt,
                    missing_strings=sorted(catalog.missing))


def pdf_options(leaflet: Leaflet) -> dict:
    return {"pdf_identifier": f"leaflet:{leaflet.slug}:{leaflet.lang}".encode()}


def spilled_parts(document, layout: Layout) -> list[str]:
    """Named pages (CSS ``page: cover``) that must fit one page each but ran onto more."""
    if not layout.one_page_parts:
        return []
    # WeasyPrint keeps the page type (with its CSS page name) on the page box only.
    names = [p._page_box.page_type.name for p in document.pages]
    return [part for part in layout.one_page_parts if names.count(part) > 1]


def _overflow_message(layout: Layout, document, limit: int, body_pt: float,
                      spilled: list[str]) -> str:
    unit = "panel" if layout.impose == "trifold" else "page"
    shrink = (f" even at the smallest allowed body size ({body_pt:g} pt)"
              if layout.min_body_pt is not None else "")
    hint = f": {layout.fits_hint}" if layout.fits_hint else ""
    pages = len(document.pages)
    if spilled and pages <= limit:
        return (f"the {' and '.join(spilled)} {unit} does not fit on one {unit} "
                f"of the {layout.name} layout{shrink}{hint}")
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


__all__ = ["Config", "Produced", "check_glyphs", "produce", "pdf_options", "count_pages"]
