"""Model: the layout registry — name → template, stylesheet, paper, page rules, fit policy.

A layout is data. The produce stage reads every decision from the record (how far type
may shrink and in which steps, how pages are padded, page limits, which parts must fit
one page, which imposition) and has no per-layout branches. The built-in layouts are
below; a clinic declares its own under ``[layouts.NAME]`` in ``leaflet.toml``
(``config.py`` reads them with ``custom_layout``), using the same policies.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

# Finished sizes in millimetres (width, height), portrait.
A3, A4, A5, A6 = (297.0, 420.0), (210.0, 297.0), (148.0, 210.0), (105.0, 148.0)
TABLOID, LETTER, HALF_LETTER = (279.4, 431.8), (215.9, 279.4), (139.7, 215.9)
DL = (99.0, 210.0)
INCH = 25.4
PAPERS = ("a4", "letter")
# Names a clinic may use for a page or sheet size in leaflet.toml ("a5 landscape" too).
SIZES: dict[str, tuple[float, float]] = {
    "a3": A3, "a4": A4, "a5": A5, "a6": A6, "dl": DL, "letter": LETTER,
    "half-letter": HALF_LETTER, "tabloid": TABLOID,
}
# The imposition policies impose.py implements; a layout names one of them (or none).
IMPOSITIONS = ("saddle-stitch", "trifold")
# A tri-fold's panels in the order they are rendered: the body flows through the inside
# spread first, then onto the flap (the fold-in panel on the outside), and filler pages
# (questions, notes) take what it leaves; the cover comes first and the back panel last.
# impose.py places each panel by its role, so the order is this data alone.
TRIFOLD_PANELS = ("cover", "inside-1", "inside-2", "inside-3", "flap", "back")
# What each role is called in messages (the proof's findings).
PANEL_NAMES = {"cover": "front cover", "inside-1": "inside panel 1",
               "inside-2": "inside panel 2", "inside-3": "inside panel 3",
               "flap": "flap", "back": "back panel"}
# What a policy implies for the pages: saddle stitching needs a multiple of 4 pages; a
# tri-fold is exactly six panels, rendered in TRIFOLD_PANELS order.
_IMPOSITION_PAGES = {"saddle-stitch": {"pad_to": 4},
                     "trifold": {"exact_pages": 6, "panels": TRIFOLD_PANELS}}
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    template: str
    stylesheet: str
    # Size of each rendered page, per paper ("a4" or "letter"): (width, height) in mm.
    page: dict[str, tuple[float, float]]
    # The sheet the pages are imposed on, if any (landscape sizes), per paper.
    sheet: dict[str, tuple[float, float]] | None = None
    impose: str | None = None  # one of IMPOSITIONS, or None
    unit: str = "page"  # what one rendered page is called in messages ("panel")
    max_pages: int = 40  # more than this fails the output (bounded resources)
    exact_pages: int | None = None  # the finished piece has exactly this many pages
    pad_to: int = 1  # page count padded to a multiple of this with deliberate pages
    # Named pages (CSS `page: cover`) that must fit on one page each: the cover and the
    # back of a folded piece sit at fixed places on the sheet.
    one_page_parts: tuple[str, ...] = ()
    # What each rendered page is on a folded piece, in render order (TRIFOLD_PANELS);
    # empty when the pages are read in the order they are rendered.
    panels: tuple[str, ...] = ()
    body_pt: float = 12.0
    min_body_pt: float | None = None  # may shrink type down to this before failing
    shrink_step: float = 0.5  # the sizes tried between body_pt and min_body_pt
    hyphenate: bool = True
    pdf_variant: str | None = None  # default variant: "pdf/ua-1" = tagged, accessible
    fits_hint: str = ""  # what to do when the content does not fit
    origin: str = "built-in"  # or "leaflet.toml" for a clinic's own layout

    def page_size(self, paper: str) -> tuple[float, float]:
        return self.page[paper]

    def page_name(self, index: int) -> str:
        """A rendered page (0-based) as messages name it: "page 3", "panel 2 (flap)"."""
        if index < len(self.panels):
            return f"{self.unit} {index + 1} ({PANEL_NAMES.get(self.panels[index], '?')})"
        return f"{self.unit} {index + 1}"

    @property
    def shrinks(self) -> bool:
        return self.min_body_pt is not None and self.min_body_pt < self.body_pt

    @property
    def page_limit(self) -> int:
        return self.exact_pages or self.max_pages

    def holds(self, content_pages: int) -> bool:
        """Whether this many pages of content fit the page rules (filler pages added)."""
        return content_pages <= self.page_limit and \
            self.wanted_pages(content_pages) <= self.page_limit

    def wanted_pages(self, content_pages: int) -> int:
        """The finished page count for this many pages of content (before filler pages)."""
        if self.exact_pages:
            return self.exact_pages
        return content_pages + (-content_pages) % self.pad_to


def slot_widths_mm(layout: Layout, paper: str) -> tuple[float, ...]:
    """Widths of the slots on one side of an imposed layout's sheet, left to right (mm).

    Saddle stitch: two halves meeting at the spine. Roll fold: the fold-in panel is as
    wide as a rendered page and the other two share the rest of the sheet (A4: 97, 100,
    100); the inside side is the mirror image of the outside.
    """
    sheet_w = layout.sheet[paper][0]
    if layout.impose == "saddle-stitch":
        return (sheet_w / 2, sheet_w / 2)
    narrow = layout.page_size(paper)[0]
    return (narrow, (sheet_w - narrow) / 2, (sheet_w - narrow) / 2)


def page_bleed_mm(layout: Layout, paper: str, bleed: float) -> float:
    """The bleed to render each page of an imposed layout with (mm).

    A page is narrower than its slot on the sheet (A5 is 148 mm, half of A4 landscape
    148.5 mm; a 97 mm tri-fold panel sits centred in a 100 mm slot), so it bleeds by the
    sheet's bleed plus that gap: placed on the sheet, its bleed fills the slot up to the
    folds and the sheet's bleed at the outer edges. impose() clips away the rest.
    """
    page_w, page_h = layout.page_size(paper)
    sheet_h = layout.sheet[paper][1]
    spare = max(slot_widths_mm(layout, paper)) - page_w
    # Saddle-stitched pages sit against the spine (all the spare width is at the outer
    # edge); roll-fold panels are centred in their slots.
    gap = spare if layout.impose == "saddle-stitch" else spare / 2
    return round(bleed + max(gap, (sheet_h - page_h) / 2, 0.0), 3)


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            name="standard",
            description="A4 or US Letter portrait leaflet: the everyday handout.",
            template="standard.html",
            stylesheet="standard.css",
            page={"a4": A4, "letter": LETTER},
            body_pt=12.0,
            # Tagged for screen readers: costs ~6 ms and ~7 KB per PDF (README).
            pdf_variant="pdf/ua-1",
        ),
        Layout(
            name="booklet",
            description="A5 booklet (half-letter), imposed 2-up for saddle-stitch printing.",
            template="booklet.html",
            stylesheet="booklet.css",
            page={"a4": A5, "letter": HALF_LETTER},
            sheet={"a4": (A4[1], A4[0]), "letter": (LETTER[1], LETTER[0])},
            impose="saddle-stitch",
            pad_to=4,
            one_page_parts=("cover", "back"),
            body_pt=11.0,
        ),
        Layout(
            name="trifold",
            description="DL roll-fold leaflet: A4 or Letter landscape, two sides of three panels.",
            template="trifold.html",
            stylesheet="trifold.css",
            # Each panel is rendered as a page and placed on the sheet; all panels share
            # the narrowest (fold-in) panel's width so any panel fits any slot.
            page={"a4": (97.0, A4[0]), "letter": (3.625 * INCH, LETTER[0])},
            sheet={"a4": (A4[1], A4[0]), "letter": (LETTER[1], LETTER[0])},
            impose="trifold",
            unit="panel",
            max_pages=6,
            exact_pages=6,
            panels=TRIFOLD_PANELS,
            one_page_parts=("cover", "back"),
            body_pt=11.0,
            min_body_pt=10.0,
            # Narrow columns: plain-language guidance advises against hyphenation.
            hyphenate=False,
            fits_hint="shorten the text, or use the booklet or standard layout",
        ),
        Layout(
            name="large-print",
            description="Large print (body 18 pt, A4 or Letter portrait) for readers with "
                        "low vision.",
            template="large-print.html",
            stylesheet="large-print.css",
            page={"a4": A4, "letter": LETTER},
            max_pages=80,
            body_pt=18.0,
            hyphenate=False,
            pdf_variant="pdf/ua-1",
        ),
        Layout(
            name="poster",
            description="One A3 (Tabloid) page for the waiting-room wall, with a QR code.",
            template="poster.html",
            stylesheet="poster.css",
            page={"a4": A3, "letter": TABLOID},
            max_pages=1,
            exact_pages=1,
            body_pt=22.0,
            min_body_pt=16.0,
            # Read from a distance, in a few large lines: no word is broken.
            hyphenate=False,
            fits_hint="shorten the summary, key points or call-out",
        ),
    )
}


def get_layout(name: str) -> Layout:
    """A built-in layout; a project's layouts (built-in and its own) are ``Config.layout``."""
    return LAYOUTS[name]


# ---------------------------------------------------------------- a clinic's own layouts

# leaflet.toml keys of a [layouts.NAME] table and the Python type each must have.
_NUMBERS = ("body_pt", "min_body_pt", "shrink_step")
_COUNTS = ("max_pages", "exact_pages", "pad_to")
_TEXTS = ("description", "template", "stylesheet", "impose", "unit", "pdf_variant",
          "fits_hint", "extends")
CUSTOM_KEYS = (*_TEXTS, *_NUMBERS, *_COUNTS, "page", "sheet", "hyphenate", "one_page_parts")


def parse_size(value: object) -> tuple[float, float] | None:
    """``"a5"``, ``"a4 landscape"`` or ``[width, height]`` in mm → (width, height)."""
    if isinstance(value, str):
        words = value.strip().lower().split()
        if not words or words[0] not in SIZES or words[1:] not in ([], ["portrait"],
                                                                   ["landscape"]):
            return None
        width, height = SIZES[words[0]]
        return (height, width) if words[1:] == ["landscape"] else (width, height)
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            and all(20 <= v <= 2000 for v in value)):
        return (float(value[0]), float(value[1]))
    return None


def _per_paper(value: object) -> dict[str, tuple[float, float]] | None:
    """One size for both papers, or a table ``{a4 = …, letter = …}``."""
    if isinstance(value, dict):
        if set(value) != set(PAPERS):
            return None
        sizes = {paper: parse_size(value[paper]) for paper in PAPERS}
        return None if None in sizes.values() else sizes
    size = parse_size(value)
    return None if size is None else {paper: size for paper in PAPERS}


def custom_layout(name: str, table: object, variants: tuple[str, ...],
                  tagged: tuple[str, ...]) -> tuple[Layout | None, list[str]]:
    """A clinic's layout from its ``[layouts.NAME]`` table: ``(layout, problems)``.

    Every problem is listed (``layouts.NAME.key …``); the layout is None if there is any.
    ``variants`` and ``tagged`` are the PDF variants known and those that carry tags.
    Whether the template and stylesheet files exist is the config's to check.
    """
    where = f"layouts.{name}"
    if not _NAME.match(name):
        return None, [f"{where}: a layout name is lower-case letters, digits and hyphens, "
                      "such as 'appointment-card'"]
    if name in LAYOUTS:
        return None, [f"{where}: '{name}' is a built-in layout; give yours another name "
                      f"(or restyle the built-in one with templates/{LAYOUTS[name].template} "
                      f"and styles/{LAYOUTS[name].stylesheet})"]
    if not isinstance(table, dict):
        return None, [f"{where} must be a table of settings"]
    problems: list[str] = []
    for key in sorted(set(table) - set(CUSTOM_KEYS)):
        problems.append(f"unknown setting {where}.{key} (known: {', '.join(sorted(CUSTOM_KEYS))})")
    base: Layout | None = None
    values: dict = {}
    for key in _TEXTS:
        if key in table:
            if isinstance(table[key], str) and table[key].strip():
                values[key] = table[key].strip()
            else:
                problems.append(f"{where}.{key} must be text")
    for key in ("template", "stylesheet"):
        # A file of the project's templates/ or styles/ folder: a name, never a path.
        if key in values and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", values[key]):
            problems.append(f"{where}.{key} must be a file name in "
                            f"{'templates' if key == 'template' else 'styles'}/ (no folders), "
                            f"such as \"card.{'html' if key == 'template' else 'css'}\", not "
                            f"{values.pop(key)!r}")
    extends = values.pop("extends", None)
    if extends is not None:
        base = LAYOUTS.get(extends)
        if base is None:
            problems.append(f"{where}.extends: unknown built-in layout {extends!r} "
                            f"(built-in layouts: {', '.join(LAYOUTS)})")
    for key in _NUMBERS:
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 4 <= value <= 200 and key != "shrink_step" \
                    or key == "shrink_step" and not 0.05 <= value <= 10:
                problems.append(f"{where}.{key} must be a size in points, such as 11")
            else:
                values[key] = float(value)
    for key in _COUNTS:
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 200:
                problems.append(f"{where}.{key} must be a whole number from 1 to 200")
            else:
                values[key] = value
    if "hyphenate" in table:
        if isinstance(table["hyphenate"], bool):
            values["hyphenate"] = table["hyphenate"]
        else:
            problems.append(f"{where}.hyphenate must be true or false")
    if "one_page_parts" in table:
        parts = table["one_page_parts"]
        if isinstance(parts, list) and all(isinstance(p, str) and _NAME.match(p) for p in parts):
            values["one_page_parts"] = tuple(parts)
        else:
            problems.append(f"{where}.one_page_parts must be a list of CSS page names, "
                            "such as [\"cover\"]")
    for key in ("page", "sheet"):
        if key in table:
            sizes = _per_paper(table[key])
            if sizes is None:
                problems.append(f"{where}.{key} must be a size such as \"a5\", \"a4 landscape\" "
                                "or [148, 210] (millimetres), or a table {a4 = …, letter = …}")
            else:
                values[key] = sizes
    impose = values.get("impose", base.impose if base else None)
    if impose == "none":
        values["impose"] = impose = None
    if impose is not None and impose not in IMPOSITIONS:
        problems.append(f"{where}.impose must be one of {', '.join(IMPOSITIONS)} or \"none\", "
                        f"not {impose!r}")
        impose = None
    if values.get("unit", "page") not in ("page", "panel"):
        problems.append(f"{where}.unit must be \"page\" or \"panel\"")
    variant = values.get("pdf_variant")
    if variant == "none":
        values["pdf_variant"] = variant = None
    if variant is not None and variant not in variants:
        problems.append(f"{where}.pdf_variant must be one of {', '.join(variants)}")
    for key in ("template", "stylesheet", "page"):
        if key not in values and base is None:
            problems.append(f"{where}.{key} is missing (or set extends = \"standard\" to start "
                            "from a built-in layout)")
    if problems:
        return None, problems

    if impose is not None:
        values.update({k: v for k, v in _IMPOSITION_PAGES[impose].items()})
    fields = dataclasses.asdict(base) if base is not None else {}
    fields.update(values, name=name, origin="leaflet.toml")
    fields.setdefault("description", f"{name} (a layout of this clinic's own)")
    if base is not None and "description" not in values:
        fields["description"] = f"The {base.name} layout's template and rules, as {name}"
    fields["impose"] = impose
    if impose is None:
        fields["sheet"] = None
    if impose != "trifold":  # panel roles belong to the tri-fold's imposition only
        fields["panels"] = ()
    layout = Layout(**fields)
    problems += _consistency(layout, where, tagged)
    return (None, problems) if problems else (layout, [])


def _consistency(layout: Layout, where: str, tagged: tuple[str, ...]) -> list[str]:
    """Rules between the settings of a layout (the built-in ones keep them too)."""
    problems = []
    if layout.min_body_pt is not None and layout.min_body_pt > layout.body_pt:
        problems.append(f"{where}.min_body_pt ({layout.min_body_pt:g}) is larger than body_pt "
                        f"({layout.body_pt:g})")
    if layout.impose == "saddle-stitch" and layout.exact_pages and layout.exact_pages % 4:
        problems.append(f"{where}: a saddle-stitched booklet has a multiple of 4 pages, not "
                        f"exact_pages = {layout.exact_pages}")
    if layout.exact_pages and layout.exact_pages > layout.max_pages:
        problems.append(f"{where}.exact_pages ({layout.exact_pages}) is more than max_pages "
                        f"({layout.max_pages})")
    if layout.impose is not None:
        if layout.sheet is None:
            problems.append(f"{where}.sheet is missing: impose = \"{layout.impose}\" places "
                            "the pages on a sheet, such as \"a4 landscape\"")
        else:
            per_sheet = 2 if layout.impose == "saddle-stitch" else 3
            for paper in PAPERS:
                (page_w, page_h), (sheet_w, sheet_h) = layout.page[paper], layout.sheet[paper]
                if page_w * per_sheet > sheet_w + 0.5 or page_h > sheet_h + 0.5:
                    problems.append(f"{where}: {per_sheet} pages of {page_w:g}×{page_h:g} mm do "
                                    f"not fit side by side on a {sheet_w:g}×{sheet_h:g} mm "
                                    f"sheet ({paper})")
                    break
        if layout.pdf_variant in tagged:
            problems.append(f"{where}: a tagged PDF ({layout.pdf_variant}) cannot be imposed "
                            "on sheets (the tags would be lost): set impose = \"none\" or "
                            "another pdf_variant")
    return problems
