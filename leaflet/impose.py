"""Stage 4 post-process: place the rendered pages on printer sheets with pypdf.

Two impositions, both for a duplex print flipped on the short edge:

* ``saddle-stitch`` (booklet): 2-up on a landscape sheet, ordered so that the printed
  sheets, stacked, folded and stapled, read in order. Right-to-left languages bind on
  the right, so every sheet side is mirrored.
* ``trifold`` (DL roll fold): six panels on the two sides of one landscape sheet. The
  narrower panel folds in; the panel pages are rendered at that narrower width and
  centred in the wider slots, so text keeps its distance from every fold.

Print-ready sheets (``bleed_mm``) are trimmed to the sheet: the bleed goes round the
sheet, pages keep their own bleed only on the sheet's outer edges, and registration-black
crop and fold marks are drawn in the bleed.

The plans (which page goes where) are plain functions so they can be tested without PDFs.
"""

from __future__ import annotations

import io

from .layouts import LAYOUTS, Layout, slot_widths_mm

PT_PER_MM = 72 / 25.4
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


def trifold_plan(paper: str, rtl: bool = False,
                 layout: Layout = LAYOUTS["trifold"]) -> list[list[tuple[int, float, float]]]:
    """For each sheet side (outside, inside): ``(page index, slot x, slot width)`` in mm.

    Outside, left to right: flap (fold-in width), back panel (contact), front cover.
    Inside: the three inside panels in reading order. Right-to-left mirrors both.
    """
    narrow, middle, wide = slot_widths_mm(layout, paper)
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


def impose(pdf: bytes, layout: Layout, paper: str, direction: str = "ltr",
           bleed_mm: float = 0.0) -> bytes:
    """Rendered pages (reading order) → imposed sheets, as PDF bytes.

    With ``bleed_mm`` (print-ready), the finished sheet is the trim box; the media and
    bleed boxes extend it by the bleed, which carries the pages' bleed on the outer edges
    only (clipped at the spine and the folds), crop marks at the corners and fold marks.
    PDF/X output intent and XMP metadata are carried over from the rendered pages.
    """
    # Lazy: pypdf costs ~100 ms to import, and only imposed outputs need it.
    from pypdf import PdfReader, PdfWriter, Transformation
    from pypdf.generic import NameObject, RectangleObject

    reader = PdfReader(io.BytesIO(pdf))
    pages = reader.pages
    sheet_w, sheet_h = (v * PT_PER_MM for v in layout.sheet[paper])
    bleed = bleed_mm * PT_PER_MM
    rtl = direction == "rtl"

    # Pages are placed by their trim box (the finished page; the media box when there
    # is no bleed), so a page with bleed around it still lands on the fold lines.
    def width(page) -> float:
        return float(page.trimbox.width)

    # Each side: (page, x of its trim box's left edge, its slot's left and right edges),
    # all in points on the sheet. Slots end at folds or at the sheet's edges.
    sides = _PLACEMENTS[layout.impose](pages, layout, paper, rtl, sheet_w, width)

    writer = PdfWriter()
    edge = 0.01  # points: a slot edge this close to the sheet's edge is an outer edge
    for placed in sides:
        sheet = writer.add_blank_page(width=sheet_w, height=sheet_h)
        for page, x, lo, hi in placed:
            trim, media = page.trimbox, page.mediabox
            dx = x - float(trim.left)
            dy = (sheet_h - float(trim.height)) / 2 - float(trim.bottom)
            # What of the page shows: its slot, grown by the sheet's bleed at the sheet's
            # outer edges only (never across the spine or a fold into the next panel),
            # and never more than the page has. pypdf clips a merged page to its crop box
            # (or trim box, by configuration): the clip goes in both, in page coordinates.
            clip = [max(lo - (bleed if lo <= edge else 0.0), float(media.left) + dx) - dx,
                    max(-bleed, float(media.bottom) + dy) - dy,
                    min(hi + (bleed if hi >= sheet_w - edge else 0.0),
                        float(media.right) + dx) - dx,
                    min(sheet_h + bleed, float(media.top) + dy) - dy]
            page.cropbox, page.trimbox = RectangleObject(clip), RectangleObject(clip)
            sheet.merge_transformed_page(page, Transformation().translate(dx, dy))
        folds = sorted({v for _, _, lo, hi in placed for v in (lo, hi)
                        if edge < v < sheet_w - edge})
        if bleed > 0:
            sheet.merge_page(_marks_page(sheet_w, sheet_h, bleed, folds))
        sheet.mediabox = RectangleObject([-bleed, -bleed, sheet_w + bleed, sheet_h + bleed])
        sheet.bleedbox = RectangleObject([-bleed, -bleed, sheet_w + bleed, sheet_h + bleed])
        sheet.trimbox = RectangleObject([0, 0, sheet_w, sheet_h])
        sheet.compress_content_streams()

    # pypdf writes a PDF 1.3 header and a bare catalog: keep the version and what makes
    # the file what it is (language; PDF/X-4: output intent, XMP metadata).
    writer.pdf_header = reader.pdf_header
    if reader.metadata:
        writer.add_metadata(dict(reader.metadata))
    root = reader.trailer["/Root"]
    for key in ("/Lang", "/OutputIntents", "/Metadata"):
        if key in root:
            writer._root_object[NameObject(key)] = root.raw_get(key).clone(writer)
    # Keep the renderer's deterministic document ID (pypdf would otherwise leave it out).
    if "/ID" in reader.trailer:
        writer._ID = reader.trailer["/ID"].clone(writer)
    # Pages of one document share resources (the sRGB profile, fonts) that pypdf copies
    # once per page it merges: keep one of each.
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _saddle_stitch_sides(pages, layout, paper, rtl, sheet_w, width):
    # Pages meet at the spine (the fold in the middle of the sheet).
    spine = sheet_w / 2
    sides = []
    for left, right in saddle_stitch_order(len(pages), rtl):
        left_page, right_page = pages[left - 1], pages[right - 1]
        sides.append([(left_page, spine - width(left_page), 0.0, spine),
                      (right_page, spine, spine, sheet_w)])
    return sides


def _trifold_sides(pages, layout, paper, rtl, sheet_w, width):
    if len(pages) != 6:
        raise ValueError(f"a tri-fold needs exactly 6 panels, not {len(pages)}")
    sides = []
    for side in trifold_plan(paper, rtl, layout):
        placed = []
        for index, slot_x, slot_w in side:
            page = pages[index]
            lo, hi = slot_x * PT_PER_MM, (slot_x + slot_w) * PT_PER_MM
            # Centred in its slot: the spare width goes equally to both folds.
            placed.append((page, lo + (hi - lo - width(page)) / 2, lo, hi))
        sides.append(placed)
    return sides


# The imposition policies a layout can name (layouts.IMPOSITIONS): where each page goes.
_PLACEMENTS = {"saddle-stitch": _saddle_stitch_sides, "trifold": _trifold_sides}


# Marks, in points: hairlines in registration colour ("All" colorants: every plate).
MARK_WIDTH = 0.25
FOLD_DASH = "[1.5 1] 0 d"


def _marks_page(sheet_w: float, sheet_h: float, bleed: float, folds: list[float]):
    """A page of marks to lay over a sheet whose trim box is (0, 0, sheet_w, sheet_h).

    Crop marks continue the sheet's edges out from each corner, dashed fold marks
    continue the spine or folds; all of them in the bleed, starting a little away from
    the trim so a slightly-off cut does not show them.
    """
    from pypdf import PageObject  # lazy: see impose()
    from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject,
                               FloatObject, NameObject, NumberObject, RectangleObject)

    gap = min(1.0 * PT_PER_MM, bleed / 2)  # between the trim and where a mark starts
    ops = ["q", "/Reg CS 1 SCN", f"{MARK_WIDTH} w 0 J"]

    def line(x0: float, y0: float, x1: float, y1: float) -> None:
        ops.append(f"{x0:.3f} {y0:.3f} m {x1:.3f} {y1:.3f} l")

    for cx, out_x in ((0.0, -1), (sheet_w, 1)):
        for cy, out_y in ((0.0, -1), (sheet_h, 1)):
            line(cx + out_x * gap, cy, cx + out_x * bleed, cy)  # along the top/bottom edge
            line(cx, cy + out_y * gap, cx, cy + out_y * bleed)  # along the left/right edge
    ops.append("S")
    if folds:
        ops.append(FOLD_DASH)
        for x in folds:
            line(x, -gap, x, -bleed)
            line(x, sheet_h + gap, x, sheet_h + bleed)
        ops.append("S")
    ops.append("Q")

    page = PageObject.create_blank_page(width=sheet_w + 2 * bleed,
                                        height=sheet_h + 2 * bleed)
    page.mediabox = RectangleObject([-bleed, -bleed, sheet_w + bleed, sheet_h + bleed])
    registration = ArrayObject([
        NameObject("/Separation"), NameObject("/All"), NameObject("/DeviceGray"),
        DictionaryObject({NameObject("/FunctionType"): NumberObject(2),
                          NameObject("/Domain"): ArrayObject([NumberObject(0), NumberObject(1)]),
                          NameObject("/C0"): ArrayObject([FloatObject(1)]),
                          NameObject("/C1"): ArrayObject([FloatObject(0)]),
                          NameObject("/N"): NumberObject(1)}),
    ])
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/ColorSpace"): DictionaryObject({NameObject("/Reg"): registration})})
    stream = DecodedStreamObject()
    stream.set_data("\n".join(ops).encode())
    page[NameObject("/Contents")] = stream
    return page
