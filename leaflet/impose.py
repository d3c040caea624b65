"""Stage 4 post-process: place the rendered pages on printer sheets (pikepdf, qpdf).

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

from .layouts import LAYOUTS, TRIFOLD_PANELS, Layout, slot_widths_mm

PT_PER_MM = 72 / 25.4
# Where each panel of the built-in tri-fold is in the rendered document (0-based page
# index): the layout record's render order (layouts.TRIFOLD_PANELS), the body flowing
# through the inside spread first, then the flap.
COVER, INSIDE1, INSIDE2, INSIDE3, FLAP, BACK = (
    TRIFOLD_PANELS.index(role) for role in ("cover", "inside-1", "inside-2", "inside-3",
                                            "flap", "back"))


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
    Inside: the three inside panels in reading order. Right-to-left mirrors both. Which
    rendered page is which panel is the layout's ``panels`` (its render order).
    """
    narrow, middle, wide = slot_widths_mm(layout, paper)
    outside_widths = (narrow, middle, wide)
    inside_widths = (wide, middle, narrow)
    page = (layout.panels or TRIFOLD_PANELS).index
    outside = [page("flap"), page("back"), page("cover")]
    inside = [page("inside-1"), page("inside-2"), page("inside-3")]
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
    """Rendered pages (render order) → imposed sheets, as PDF bytes.

    Each page is placed on its sheet as a Form XObject that reuses the page's content
    stream as it is (qpdf copies it, compressed, without parsing it), clipped to its
    slot. With ``bleed_mm`` (print-ready), the finished sheet is the trim box; the media
    and bleed boxes extend it by the bleed, which carries the pages' bleed on the outer
    edges only (clipped at the spine and the folds), crop marks at the corners and fold
    marks. Language, PDF/X output intent, XMP and document info are carried over.
    """
    # Lazy: pikepdf (qpdf) costs ~40 ms to import, and only imposed outputs need it.
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    source = pikepdf.Pdf.open(io.BytesIO(pdf))
    sheet_w, sheet_h = (v * PT_PER_MM for v in layout.sheet[paper])
    bleed = bleed_mm * PT_PER_MM
    rtl = direction == "rtl"
    # Pages are placed by their trim box (the finished page; the media box when there
    # is no bleed), so a page with bleed around it still lands on the fold lines.
    trims = [[float(v) for v in page.trimbox] for page in source.pages]
    medias = [[float(v) for v in page.mediabox] for page in source.pages]
    widths = [trim[2] - trim[0] for trim in trims]
    # Each side: (page index, x of its trim box's left edge, its slot's left and right
    # edges), all in points on the sheet. Slots end at folds or at the sheet's edges.
    sides = _PLACEMENTS[layout.impose](widths, layout, paper, rtl, sheet_w)

    out = pikepdf.Pdf.new()
    forms: dict[int, object] = {}
    edge = 0.01  # points: a slot edge this close to the sheet's edge is an outer edge
    for placed in sides:
        ops, xobjects = ["q"], {}
        for index, x, lo, hi in placed:
            if index not in forms:
                form = source.pages[index].as_form_xobject()
                # The whole page, bleed included; the clip below keeps what shows.
                form.BBox = Array(medias[index])
                forms[index] = out.copy_foreign(form)
            trim, media = trims[index], medias[index]
            dx = x - trim[0]
            dy = (sheet_h - (trim[3] - trim[1])) / 2 - trim[1]
            # What of the page shows: its slot, grown by the sheet's bleed at the sheet's
            # outer edges only (never across the spine or a fold into the next panel),
            # and never more than the page has. In sheet coordinates.
            left = max(lo - (bleed if lo <= edge else 0.0), media[0] + dx)
            bottom = max(-bleed, media[1] + dy)
            right = min(hi + (bleed if hi >= sheet_w - edge else 0.0), media[2] + dx)
            top = min(sheet_h + bleed, media[3] + dy)
            name = f"/P{index + 1}"
            xobjects[name] = forms[index]
            ops.append(f"q {_n(left)} {_n(bottom)} {_n(right - left)} {_n(top - bottom)} re W n "
                       f"1 0 0 1 {_n(dx)} {_n(dy)} cm {name} Do Q")
        ops.append("Q")
        resources = Dictionary(XObject=Dictionary({k: v for k, v in xobjects.items()}))
        if bleed > 0:
            folds = sorted({v for _, _, lo, hi in placed for v in (lo, hi)
                            if edge < v < sheet_w - edge})
            ops += _marks(sheet_w, sheet_h, bleed, folds)
            resources.ColorSpace = Dictionary(Reg=out.make_indirect(_registration()))
        sheet = pikepdf.Page(Dictionary(
            Type=Name.Page,
            MediaBox=Array([-bleed, -bleed, sheet_w + bleed, sheet_h + bleed]),
            Resources=resources,
            Contents=out.make_stream("\n".join(ops).encode()),
        ))
        sheet.obj.BleedBox = Array([-bleed, -bleed, sheet_w + bleed, sheet_h + bleed])
        sheet.obj.TrimBox = Array([0, 0, sheet_w, sheet_h])
        out.pages.append(sheet)

    # Keep what makes the file what it is: language; PDF/X-4: output intent, XMP metadata.
    def copied(obj):
        # copy_foreign takes indirect objects only (with everything they reference).
        return out.copy_foreign(obj if obj.is_indirect else source.make_indirect(obj))

    for key in ("/Lang", "/OutputIntents", "/Metadata"):
        if key in source.Root:
            out.Root[key] = copied(source.Root[key])
    if "/Info" in source.trailer:
        out.trailer.Info = copied(source.trailer.Info)
    if "/ID" in source.trailer:  # qpdf keeps its first part: the renderer's stable ID
        out.trailer.ID = copied(source.trailer.ID)
    result = io.BytesIO()
    # The document ID is derived from the content (never random): same input, same bytes.
    out.save(result, min_version=source.pdf_version, deterministic_id=True,
             compress_streams=True)
    return result.getvalue()


def sheet_sides(layout: Layout, pages: int) -> int:
    """How many sheet sides (pages of the imposed PDF) ``pages`` rendered pages make."""
    return len(_PLACEMENTS[layout.impose]([0.0] * pages, layout, "a4", False, 1.0))


def _n(value: float) -> str:
    """A number for a content stream: short, and the same text for the same value."""
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _saddle_stitch_sides(widths, layout, paper, rtl, sheet_w):
    # Pages meet at the spine (the fold in the middle of the sheet).
    spine = sheet_w / 2
    sides = []
    for left, right in saddle_stitch_order(len(widths), rtl):
        sides.append([(left - 1, spine - widths[left - 1], 0.0, spine),
                      (right - 1, spine, spine, sheet_w)])
    return sides


def _trifold_sides(widths, layout, paper, rtl, sheet_w):
    if len(widths) != 6:
        raise ValueError(f"a tri-fold needs exactly 6 panels, not {len(widths)}")
    sides = []
    for side in trifold_plan(paper, rtl, layout):
        placed = []
        for index, slot_x, slot_w in side:
            lo, hi = slot_x * PT_PER_MM, (slot_x + slot_w) * PT_PER_MM
            # Centred in its slot: the spare width goes equally to both folds.
            placed.append((index, lo + (hi - lo - widths[index]) / 2, lo, hi))
        sides.append(placed)
    return sides


# The imposition policies a layout can name (layouts.IMPOSITIONS): where each page goes.
_PLACEMENTS = {"saddle-stitch": _saddle_stitch_sides, "trifold": _trifold_sides}


# Marks, in points: hairlines in registration colour ("All" colorants: every plate).
MARK_WIDTH = 0.25
FOLD_DASH = "[1.5 1] 0 d"


def _marks(sheet_w: float, sheet_h: float, bleed: float, folds: list[float]) -> list[str]:
    """Content-stream operators for the marks of a sheet whose trim box is (0, 0, w, h).

    Crop marks continue the sheet's edges out from each corner, dashed fold marks
    continue the spine or folds; all of them in the bleed, starting a little away from
    the trim so a slightly-off cut does not show them.
    """
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
    return ops


def _registration():
    """The registration colour: a Separation on every plate ("All"), for marks only."""
    from pikepdf import Array, Dictionary, Name  # lazy: see impose()

    return Array([Name.Separation, Name.All, Name.DeviceGray,
                  Dictionary(FunctionType=2, Domain=Array([0, 1]), C0=Array([1]),
                             C1=Array([0]), N=1)])
