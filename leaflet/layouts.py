"""The layout registry: name → template, stylesheet, paper, page rules and fit policy."""

from __future__ import annotations

from dataclasses import dataclass

# Finished sizes in millimetres (width, height), portrait.
A3, A4, A5 = (297.0, 420.0), (210.0, 297.0), (148.0, 210.0)
TABLOID, LETTER, HALF_LETTER = (279.4, 431.8), (215.9, 279.4), (139.7, 215.9)
INCH = 25.4



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
    impose: str | None = None  # "saddle-stitch" or "trifold"
    max_pages: int = 40  # more than this fails the output (bounded resources)
    exact_pages: int | None = None  # the finished piece has exactly this many pages
    pad_to: int = 1  # page count padded to a multiple of this with deliberate pages
    # Named pages (CSS `page: cover`) that must fit on one page each: the cover and the
    # back of a folded piece sit at fixed places on the sheet.
    one_page_parts: tuple[str, ...] = ()
    body_pt: float = 12.0
    min_body_pt: float | None = None  # may shrink type down to this before failing
    hyphenate: bool = True
    pdf_variant: str | None = None  # default variant: "pdf/ua-1" = tagged, accessible
    fits_hint: str = ""

    def page_size(self, paper: str) -> tuple[float, float]:
        return self.page[paper]


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
            max_pages=6,
            exact_pages=6,
            one_page_parts=("cover", "back"),
            body_pt=11.0,
            min_body_pt=10.0,
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
            fits_hint="shorten the summary, key points or call-out",
        ),
    )
}


def get_layout(name: str) -> Layout:
    return LAYOUTS[name]
