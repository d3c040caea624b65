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
    extra: dict = {}
    while True:
        document, warnings = renderer.render_document(leaflet, layout, catalog, options,
                                                      body_pt, extra)
        pages = len(document.pages)
        limit = layout.exact_pages or layout.max_pages
        if pages <= limit:
            padding = (-pages) % layout.pad_to
            if padding and not extra.get("padding"):
                # Deliberate pages (notes) instead of stray blanks; render once more.
                extra = {"padding": padding}
                continue
            break
        if layout.min_body_pt is not None and body_pt - 0.5 >= layout.min_body_pt:
            body_pt -= 0.5
            continue
        raise LeafletError(_overflow_message(layout, pages, limit, body_pt), leaflet.path)

    pdf = renderer.write(document, leaflet, **pdf_options(leaflet))
    if options.impose and layout.impose:
        from .impose import impose

        pdf = impose(pdf, layout, config.paper, i18n.direction(leaflet.lang))
    return Produced(pdf=pdf, pages=count_pages(pdf), warnings=warnings, body_pt=body_pt,
                    missing_strings=sorted(catalog.missing))


def pdf_options(leaflet: Leaflet) -> dict:
    return {"pdf_identifier": f"leaflet:{leaflet.slug}:{leaflet.lang}".encode()}


def _overflow_message(layout: Layout, pages: int, limit: int, body_pt: float) -> str:
    unit = "panels" if layout.name == "trifold" else "pages"
    shrink = (f" even at the smallest allowed body size ({body_pt:g} pt)"
              if layout.min_body_pt is not None else "")
    hint = f": {layout.fits_hint}" if layout.fits_hint else ""
    return (f"does not fit the {layout.name} layout{shrink}: needs {pages} {unit}, "
            f"the limit is {limit} ({pages - limit} over){hint}")


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
