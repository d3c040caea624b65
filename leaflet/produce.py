"""Stage 4: one output — check glyphs, render with the layout's fit policy, write, impose.

Every decision comes from the layout record (layouts.py): how far type may shrink and in
which steps, how many pages the piece must have and how they are padded, which named
parts must fit one page, and which imposition places the pages on sheets.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field

from . import fonts, i18n
from .content import Leaflet
from .errors import LeafletError
from .impose import impose, sheet_sides
from .layouts import Layout
from .options import TAGGED, RenderOptions, bleed_mm, output_intent, pdf_variant
from .render import Rendered, Renderer


@dataclass
class Produced(Rendered):
    body_pt: float = 0.0
    missing_strings: list[str] = field(default_factory=list)


@dataclass
class Fitted:
    """A laid-out document that satisfies its layout's page rules."""

    document: object  # weasyprint.Document
    warnings: list[str]
    body_pt: float
    padding: int  # deliberate filler pages (questions, notes) the template added


def produce(renderer: Renderer, leaflet: Leaflet, layout: Layout,
            options: RenderOptions) -> Produced:
    """Render one leaflet in one layout to finished PDF bytes, or raise ``LeafletError``."""
    config = renderer.config
    catalog = i18n.load_catalog(leaflet.lang, config.root)
    fonts.check_glyphs(leaflet, catalog, renderer.faces(leaflet.lang))
    variant = pdf_variant(options, layout)
    imposed = bool(options.impose and layout.impose)
    if imposed and variant in TAGGED:
        raise LeafletError(f"the {layout.name} layout is imposed on sheets, which drops the "
                           f"tags {variant} needs; use --no-impose for a tagged copy",
                           leaflet.path)
    fitted = fit(renderer, leaflet, layout, catalog, options)
    pdf = renderer.write(fitted.document, leaflet, **pdf_options(leaflet, layout, options))
    pages = len(fitted.document.pages)
    if imposed:
        bleed = bleed_mm(options, config.paper) if options.is_print_ready(layout) else 0.0
        pdf = impose(pdf, layout, config.paper, i18n.direction(leaflet.lang), bleed_mm=bleed)
        pages = sheet_sides(layout, pages)
    return Produced(pdf=pdf, pages=pages, warnings=fitted.warnings, body_pt=fitted.body_pt,
                    missing_strings=sorted(catalog.missing))


def fit(renderer: Renderer, leaflet: Leaflet, layout: Layout, catalog: i18n.Catalog,
        options: RenderOptions) -> Fitted:
    """Lay the leaflet out until it obeys the layout's page rules, or say why it cannot.

    The body starts at ``layout.body_pt``; while the content runs over the page limit (or
    a one-page part spills), type shrinks by ``shrink_step`` down to ``min_body_pt``.
    Content that fits is padded with filler pages to ``exact_pages`` or a multiple of
    ``pad_to``.
    """
    body_pt = layout.body_pt
    padding = 0
    tried: set[tuple[float, int]] = set()
    limit = layout.page_limit
    while True:
        tried.add((body_pt, padding))
        document, warnings = renderer.render_document(leaflet, layout, catalog, options,
                                                      body_pt, {"padding": padding})
        pages = len(document.pages)
        spilled = spilled_parts(document, layout)
        if pages <= limit and not spilled:
            content = pages - padding
            want = layout.wanted_pages(content)
            if pages == want:
                return Fitted(document, warnings, body_pt, padding)
            if (body_pt, want - content) in tried:
                raise LeafletError(f"the {layout.name} layout's filler pages do not come out "
                                   f"at {want} {layout.unit}s (got {pages}); check the "
                                   "template", leaflet.path)
            padding = want - content
            continue
        smaller = round(body_pt - layout.shrink_step, 3)
        if layout.shrinks and smaller >= layout.min_body_pt:
            body_pt, padding = smaller, 0
            continue
        raise LeafletError(_overflow_message(layout, document, limit, body_pt, spilled),
                           leaflet.path)


def pdf_options(leaflet: Leaflet, layout: Layout | None = None,
                options: RenderOptions = RenderOptions()) -> dict:
    """WeasyPrint ``write_pdf`` options: variant, output intent and stable identifiers."""
    result = {"pdf_identifier": f"leaflet:{leaflet.slug}:{leaflet.lang}".encode()}
    variant = pdf_variant(options, layout) if layout is not None else options.pdf_variant
    if variant:
        result.update(pdf_variant=variant, output_intent=output_intent(options, layout),
                      finisher=_stable_document_id(leaflet))
    return result


def _stable_document_id(leaflet: Leaflet):
    """WeasyPrint stamps PDF/X-4 XMP with a random document UUID: derive it instead."""
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
    unit = layout.unit
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
    # Lazy: WeasyPrint costs 0.35 s to import, and only a failing output needs this.
    from weasyprint.formatting_structure.boxes import LineBox, MarginBox

    def walk(box):
        if isinstance(box, MarginBox):
            return 0
        if isinstance(box, LineBox):
            return 1
        return sum(walk(child) for child in getattr(box, "children", ()))

    return sum(walk(page._page_box) for page in pages)

