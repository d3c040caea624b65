"""Output options: the choices that change a PDF's bytes (part of the cache key),
and the PDF variant rules that follow from them. Cheap to import: no WeasyPrint."""

from __future__ import annotations

from dataclasses import dataclass

from .layouts import Layout

# PDF variants WeasyPrint 70 writes (`--pdf-variant`), and what each needs.
PDF_VARIANTS = ("pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-4u",
                "pdf/a-1a", "pdf/a-2a", "pdf/a-3a", "pdf/a-4e", "pdf/a-4f", "pdf/ua-1",
                "pdf/ua-2", "pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/x-5g")
# PDF/X-1a, X-3 and X-5g need a CMYK output profile, which no package we install ships.
NEEDS_CMYK = ("pdf/x-1a", "pdf/x-3", "pdf/x-5g")
# Tagged variants: imposition onto sheets would throw their structure away.
TAGGED = ("pdf/ua-1", "pdf/ua-2", "pdf/a-1a", "pdf/a-2a", "pdf/a-3a")


@dataclass(frozen=True)
class RenderOptions:
    """Choices that change the bytes of an output (they are part of the cache key)."""

    impose: bool = True
    # A WeasyPrint PDF variant ("pdf/x-4", "pdf/ua-1", …); None: the layout's default.
    pdf_variant: str | None = None
    # Bleed and crop marks for a print shop (implies PDF/X-4); bleed in mm.
    print_ready: bool = False
    bleed_mm: float | None = None
    # Layouts that are print-ready by default (leaflet.toml: build.print_ready).
    print_ready_layouts: tuple[str, ...] = ()

    def is_print_ready(self, layout: Layout) -> bool:
        return self.print_ready or layout.name in self.print_ready_layouts

    def key(self) -> str:
        return repr(sorted(vars(self).items()))


def pdf_variant(options: RenderOptions, layout: Layout) -> str | None:
    """The variant an output is written as: asked for, implied by print-ready, or the
    layout's default (tagged PDF/UA-1 for layouts read on screen)."""
    if options.pdf_variant:
        return options.pdf_variant
    if options.is_print_ready(layout):
        return "pdf/x-4"
    return layout.pdf_variant


def output_intent(options: RenderOptions, layout: Layout) -> str | None:
    variant = pdf_variant(options, layout) or ""
    # WeasyPrint's built-in sRGB profile (ICC, shipped inside the weasyprint package)
    # is a valid output intent for PDF/X-4 and PDF/A.
    return "srgb" if variant.startswith(("pdf/x", "pdf/a")) else None


def bleed_mm(options: RenderOptions, paper: str) -> float:
    """3 mm for A-series paper, 1/8 inch for Letter, unless the options say otherwise."""
    if options.bleed_mm is not None:
        return options.bleed_mm
    return 3.175 if paper == "letter" else 3.0
