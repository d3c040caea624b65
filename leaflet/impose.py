"""Stage 4 post-process: place the rendered pages on printer sheets with pypdf.

Two impositions, both for a duplex print flipped on the short edge:

* ``saddle-stitch`` (booklet): 2-up on a landscape sheet, ordered so that the printed
  sheets, stacked, folded and stapled, read in order. Right-to-left languages bind on
  the right, so every sheet side is mirrored.
* ``trifold`` (DL roll fold): six panels on the two sides of one landscape sheet. The
  narrower panel folds in; the panel pages are rendered at that narrower width and
  centred in the wider slots, so text keeps its distance from every fold.

The plans (which page goes where) are plain functions so they can be tested without PDFs.
"""

from __future__ import annotations

import io

from .layouts import INCH, Layout

PT_PER_MM = 72 / 25.4

# Panel widths on each side of a tri-fold sheet, left to right, outside side first
# (the inside side is its mirror image: what is behind the left panel on the outside
# is the right panel on the inside after a short-edge flip).
TRIFOLD_PANELS_MM: dict[str, tuple[float, float, float]] = {
    "a4": (97.0, 100.0, 100.0),
    "letter": (3.625 * INCH, 3.6875 * INCH, 3.6875 * INCH),
}
# Reading order of the panels (0-based page index of the rendered document).
COVER, FLAP, INSIDE1, INSIDE2, INSIDE3, BACK = range(6)


def saddle_stitch_order(pages: int, rtl: bool = False) -> list[tuple[int, int]]:
    """(left, right) page numbers (1-based) of every sheet side, in print order.

    For 8 pages: ``[(8, 1), (2, 7), (6, 3), (4, 5)]`` — sheet 1 front, sheet 1 back,
    sheet 2 front, sheet 2 back. Right-to-left languages get each pair mirrored.
    """
    if pages <= 0 or pages % 4:
        raise ValueError(f"a saddle-stitched booklet needs a multiple of 4 pages, not {pages}")
    sides = []
    for sheet in range(pages // 4):
        front = (pages - 2 * sheet, 1 + 2 * sheet)
        back = (2 + 2 * sheet, pages - 1 - 2 * sheet)
        sides += [front, back]
    if rtl:
        sides = [(right, left) for left, right in sides]
    return sides


def trifold_plan(paper: str, rtl: bool = False) -> list[list[tuple[int, float, float]]]:
    """For each sheet side (outside, inside): ``(page index, slot x, slot width)`` in mm.

    Outside, left to right: flap (fold-in width), back panel (contact), front cover.
    Inside: the three inside panels in reading order. Right-to-left mirrors both.
    """
    narrow, middle, wide = TRIFOLD_PANELS_MM[paper]
    outside_widths = (narrow, middle, wide)
    inside_widths = (wide, middle, narrow)
    outside = [FLAP, BACK, COVER]
    inside = [INSIDE1, INSIDE2, INSIDE3]
    if rtl:
        outside_widths, inside_widths = inside_widths, outside_widths
        outside.reverse()
        inside.reverse()
    plan = []
    for order, widths in ((outside, outside_widths), (inside, inside_widths)):
        x, side = 0.0, []
        for page, width in zip(order, widths):
            side.append((page, x, width))
            x += width
        plan.append(side)
    return plan


def impose(pdf: bytes, layout: Layout, paper: str, direction: str = "ltr") -> bytes:
    """Rendered pages (reading order) → imposed sheets, as PDF bytes."""
    from pypdf import PdfReader, PdfWriter, Transformation
    from pypdf.generic import NameObject

    reader = PdfReader(io.BytesIO(pdf))
    pages = reader.pages
    sheet_w, sheet_h = (v * PT_PER_MM for v in layout.sheet[paper])
    rtl = direction == "rtl"

    # Pages are placed by their trim box (the finished page; the media box when there
    # is no bleed), so a page with bleed around it still lands on the fold lines.
    def width(page) -> float:
        return float(page.trimbox.width)

    if layout.impose == "saddle-stitch":
        # Pages meet at the spine (the fold in the middle of the sheet).
        spine = sheet_w / 2
        sides = []
        for left, right in saddle_stitch_order(len(pages), rtl):
            left_page, right_page = pages[left - 1], pages[right - 1]
            sides.append([(left_page, spine - width(left_page)), (right_page, spine)])
    elif layout.impose == "trifold":
        if len(pages) != 6:
            raise ValueError(f"a tri-fold needs exactly 6 panels, not {len(pages)}")
        sides = []
        for side in trifold_plan(paper, rtl):
            placed = []
            for index, slot_x, slot_w in side:
                page = pages[index]
                # Centred in its slot: the spare width goes equally to both folds.
                x = slot_x * PT_PER_MM + (slot_w * PT_PER_MM - width(page)) / 2
                placed.append((page, x))
            sides.append(placed)
    else:
        raise ValueError(f"unknown imposition {layout.impose!r}")

    writer = PdfWriter()
    for placed in sides:
        sheet = writer.add_blank_page(width=sheet_w, height=sheet_h)
        for page, x in placed:
            trim = page.trimbox
            y = (sheet_h - float(trim.height)) / 2
            move = Transformation().translate(x - float(trim.left), y - float(trim.bottom))
            sheet.merge_transformed_page(page, move)
        sheet.compress_content_streams()

    if reader.metadata:
        writer.add_metadata(dict(reader.metadata))
    root = reader.trailer["/Root"]
    if "/Lang" in root:
        writer._root_object[NameObject("/Lang")] = root["/Lang"].clone(writer)
    # Keep the renderer's deterministic document ID (pypdf would otherwise leave it out).
    if "/ID" in reader.trailer:
        writer._ID = reader.trailer["/ID"].clone(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
