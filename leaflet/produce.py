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
from .errors import LeafletError, display_path
from .impose import impose, sheet_sides
from .layouts import Layout
from .options import TAGGED, RenderOptions, bleed_mm, output_intent, pdf_variant
from .proof import proof
from .render import Rendered, Renderer


@dataclass
class Produced(Rendered):
    body_pt: float = 0.0
    padding: int = 0
    renders: int = 0
    missing_strings: list[str] = field(default_factory=list)
    # The proof's findings (proof.Finding.record); each is also one of the warnings.
    proof: list[dict] = field(default_factory=list)


@dataclass
class Fitted:
    """A laid-out document that satisfies its layout's page rules."""

    document: object  # weasyprint.Document
    warnings: list[str]
    body_pt: float
    padding: int  # deliberate filler pages (questions, notes) the template added
    renders: int = 1  # layouts made to get here (a measure of the fit's cost)


def produce(renderer: Renderer, leaflet: Leaflet, layout: Layout,
            options: RenderOptions, hint: FitHint | None = None) -> Produced:
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
    fitted = fit(renderer, leaflet, layout, catalog, options, hint)
    # The proof reads the laid-out pages as they will be printed, before the PDF is made.
    findings = proof(fitted.document, unit=layout.unit, fetched=renderer.fetched,
                     project=config.root,
                     keep_whole=unbreakable_texts(renderer, leaflet))
    source = display_path(leaflet.path)
    warnings = fitted.warnings + [
        f"{source}: {f.line(f'{layout.name} {layout.page_name(f.page)}')}" for f in findings]
    pdf = renderer.write(fitted.document, leaflet, **pdf_options(leaflet, layout, options))
    pages = len(fitted.document.pages)
    if imposed:
        bleed = bleed_mm(options, config.paper) if options.is_print_ready(layout) else 0.0
        pdf = impose(pdf, layout, config.paper, i18n.direction(leaflet.lang), bleed_mm=bleed)
        pages = sheet_sides(layout, pages)
    return Produced(pdf=pdf, pages=pages, warnings=warnings, body_pt=fitted.body_pt,
                    padding=fitted.padding, renders=fitted.renders,
                    missing_strings=sorted(catalog.missing),
                    proof=[f.record(layout.page_name(f.page)) for f in findings])


def unbreakable_texts(renderer: Renderer, leaflet: Leaflet) -> tuple[str, ...]:
    """Texts the templates print that no line may break inside: the leaflet's dates as
    written in its language, and the clinic's phone number."""
    region = renderer.config.region
    dates = (leaflet.published, leaflet.reviewed, leaflet.next_review)
    return (*(i18n.format_date(d, leaflet.lang, region) for d in dates if d),
            renderer.config.clinic.phone or "")


@dataclass(frozen=True)
class FitHint:
    """What the last build of this output chose, to start from (``build`` keeps it).

    ``exact`` is true when every input is the same as then (a forced rebuild): the same
    inputs lead to the same choice, so that choice is rendered once and checked. Otherwise
    only the padding is a first guess (filler pages never move the content), and the type
    size is searched again, so the result never depends on the build's history.
    """

    body_pt: float
    padding: int
    exact: bool = False


@dataclass
class _Trial:
    document: object
    warnings: list[str]
    padding: int
    content: int  # pages (panels) of content: the rendered ones less the filler pages
    spilled: dict[str, int]
    fits: bool


def fit(renderer: Renderer, leaflet: Leaflet, layout: Layout, catalog: i18n.Catalog,
        options: RenderOptions, hint: FitHint | None = None) -> Fitted:
    """Lay the leaflet out so that it obeys the layout's page rules, or say why it cannot.

    The body is set at ``layout.body_pt``; a layout that may shrink takes the largest size
    on its grid (``body_pt`` down to ``min_body_pt`` in ``shrink_step`` steps) at which
    the content fits the page limit and every one-page part fits one page. Content that
    fits is padded with filler pages to ``exact_pages`` or a multiple of ``pad_to``.
    """
    trials: dict[float, _Trial] = {}
    # The remembered padding saves a render, and never changes a result: filler pages come
    # after the content. A layout that searches its type size searches without them, so the
    # measurements (and so the sizes tried) never depend on an earlier build.
    trusted = hint is not None and (hint.exact or not layout.shrinks)
    padding_guess = hint.padding if trusted else 0

    def trial(body_pt: float) -> _Trial:
        if body_pt not in trials:
            padding = padding_guess
            document, warnings = renderer.render_document(
                leaflet, layout, catalog, options, body_pt, {"padding": padding})
            content = len(document.pages) - padding
            spilled = spilled_parts(document, layout)
            fits = not spilled and layout.holds(content)
            trials[body_pt] = _Trial(document, warnings, padding, content, spilled, fits)
        return trials[body_pt]

    def measure(body_pt: float) -> tuple[bool, float, float]:
        result = trial(body_pt)
        return result.fits, content_height(result.document), page_height(result.document)

    grid = _size_grid(layout)
    if hint is not None and hint.exact and hint.body_pt in grid and trial(hint.body_pt).fits:
        chosen = hint.body_pt
    elif trial(grid[0]).fits or len(grid) == 1:  # most outputs: no search, nothing to measure
        chosen = grid[0] if trial(grid[0]).fits else None
    else:
        chosen = _largest_fitting(grid, measure)
    if chosen is None:
        smallest = trials[grid[-1]]
        raise LeafletError(_overflow_message(layout, smallest, layout.page_limit, grid[-1]),
                           leaflet.path)
    result = trial(chosen)
    want = layout.wanted_pages(result.content)
    if result.padding != want - result.content:
        # The filler pages come after the content and never move it: one more render.
        padding = want - result.content
        document, warnings = renderer.render_document(
            leaflet, layout, catalog, options, chosen, {"padding": padding})
        if len(document.pages) != want or spilled_parts(document, layout):
            raise LeafletError(f"the {layout.name} layout's filler pages do not come out "
                               f"at {want} {layout.unit}s (got {len(document.pages)}); "
                               "check the template", leaflet.path)
        result = _Trial(document, warnings, padding, result.content, {}, True)
    return Fitted(result.document, result.warnings, chosen, result.padding,
                  renders=len(trials) + (result.document is not trials[chosen].document))


def _size_grid(layout: Layout) -> list[float]:
    """The body sizes a layout may use, largest first (one size if it never shrinks)."""
    sizes = [layout.body_pt]
    while layout.shrinks and round(sizes[-1] - layout.shrink_step, 3) >= layout.min_body_pt:
        sizes.append(round(sizes[-1] - layout.shrink_step, 3))
    return sizes


def _largest_fitting(grid: list[float], measure) -> float | None:
    """The largest size on the grid that fits, found in few renders (three or four here).

    ``measure(size)`` lays the content out at that size: ``(fits, content height, page
    height)``. Fitting is taken to be monotonic: content that fits at one size fits at every
    smaller one. The first layout is at the largest size. If it overflows, the next guess
    scales the size by how much of the content the page holds, to the nearest step; then a
    straight line through the two measurements nearest the boundary aims at the largest
    size that fits; a guess just outside what is known is moved to the nearest candidate
    once, then the search bisects, until a size that fits and one that does not are one
    step apart. Every probe is a real layout: the result never overflows.
    """
    fitting, failing = None, None  # indexes into grid (0 = largest size)
    heights: dict[int, float] = {}
    available = 0.0

    def probe(index: int) -> None:
        nonlocal fitting, failing, available
        fits, heights[index], available = measure(grid[index])
        if fits:
            fitting = index if fitting is None else min(fitting, index)
        else:
            failing = index if failing is None else max(failing, index)

    probe(0)
    if fitting == 0 or len(grid) == 1:
        return grid[fitting] if fitting is not None else None
    guess = _nearest(grid, grid[0] * available / max(heights[0], 1.0))
    clamped = False
    while True:
        low = failing + 1  # the largest size that might still fit
        high = fitting - 1 if fitting is not None else len(grid) - 1
        if fitting is not None and fitting == low:
            return grid[fitting]
        if low > high:
            return grid[fitting] if fitting is not None else None
        if guess is not None and not low <= guess <= high and not clamped:
            # Just past what is known: try the nearest candidate, once in a row.
            guess, clamped = min(max(guess, low), high), True
        elif guess is None or not low <= guess <= high:
            guess, clamped = (low + high) // 2, False
        else:
            clamped = False
        probe(guess)
        guess = _secant(grid, heights, available, failing, fitting)


def _nearest(grid: list[float], size: float) -> int:
    return min(range(len(grid)), key=lambda i: (abs(grid[i] - size), i))


def _secant(grid, heights, available, failing, fitting) -> int | None:
    """The grid index a straight line through two measurements aims at.

    The two largest sizes that fit give the content's growth where it is still on one page;
    until there are two, the largest that fits and the smallest that does not.
    """
    fit_sizes = sorted((i for i in heights if fitting is not None and i >= fitting))
    if len(fit_sizes) >= 2:
        a, b = fit_sizes[0], fit_sizes[1]
    elif fitting is not None:
        a, b = fitting, failing
    else:
        near = sorted((i for i in heights if i <= failing), reverse=True)[:2]
        if len(near) < 2:
            return None
        a, b = near
    if grid[a] == grid[b] or heights[a] == heights[b]:
        return None
    slope = (heights[a] - heights[b]) / (grid[a] - grid[b])
    if slope <= 0:
        return None
    size = grid[a] + (available - heights[a]) / slope
    # Onto the grid, rounding down (a guess should fit) unless within a tenth of a point.
    below = [i for i, s in enumerate(grid) if s <= size + 0.1]
    return below[0] if below else len(grid) - 1


def page_height(document) -> float:
    """The content height of the first page (CSS px)."""
    return document.pages[0]._page_box.height


def content_height(document) -> float:
    """The height the content takes on all its pages together, without the gaps that page
    breaks leave at the foot of a page (CSS px): a measure of how much there is to fit."""
    # Lazy: WeasyPrint costs 0.35 s to import; the renderer has loaded it by now.
    from weasyprint.formatting_structure.boxes import LineBox, MarginBox

    total = 0.0
    for page in document.pages:
        box = page._page_box
        top = bottom = box.content_box_y()

        def walk(node, depth: int) -> None:
            nonlocal bottom
            children = [c for c in getattr(node, "children", ()) if not isinstance(c, MarginBox)]
            if isinstance(node, LineBox) or not children or depth > 2:
                bottom = max(bottom, node.position_y + node.margin_height())
                return
            for child in children:
                walk(child, depth + 1)

        for child in box.children:
            if not isinstance(child, MarginBox):
                walk(child, 0)
        total += bottom - top
    return total


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


def _overflow_message(layout: Layout, trial: _Trial, limit: int, body_pt: float) -> str:
    unit = layout.unit
    shrink = (f" even at the smallest allowed body size ({body_pt:g} pt)"
              if layout.min_body_pt is not None else "")
    document, spilled = trial.document, trial.spilled
    pages = trial.content  # filler pages left out: they are not what does not fit
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

