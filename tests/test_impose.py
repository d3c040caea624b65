"""Imposition: saddle-stitch and tri-fold plans, and the pages placed on real sheets."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from leaflet.impose import (BACK, COVER, FLAP, INSIDE1, INSIDE2, INSIDE3, impose,
                            saddle_stitch_order, trifold_plan)
from leaflet.layouts import get_layout

PT = 72 / 25.4


def text_runs(reader: PdfReader, index: int) -> list[tuple[float, float, str]]:
    """(x, y, text) in points on the page for every text run (placement included).

    An imposed sheet draws its pages as Form XObjects (``cm`` then ``Do``); pypdf's text
    visitor does not carry the placement into them, so each placed page is read on its
    own and its runs moved by the transformation that placed it.
    """
    from pypdf import PageObject
    from pypdf.generic import ContentStream, NameObject

    page = reader.pages[index]
    runs: list[tuple[float, float, str]] = []

    def read(source, matrix=(1, 0, 0, 1, 0, 0)):
        def visit(text, cm, tm, font_dict, font_size):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                a, b, c, d, e, f = matrix
                runs.append((x * a + y * c + e, x * b + y * d + f, text))

        source.extract_text(visitor_text=visit)

    operations = ContentStream(page.get_contents(), reader).operations
    if any(op == b"BT" for _, op in operations):
        read(page)  # a page with text of its own (not an imposed sheet)
        return runs
    forms = page["/Resources"].get("/XObject", {})
    stack, ctm = [], [1, 0, 0, 1, 0, 0]
    for operands, op in operations:
        if op == b"q":
            stack.append(list(ctm))
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            a, b, c, d, e, f = (float(v) for v in operands)
            p = ctm
            ctm = [a * p[0] + b * p[2], a * p[1] + b * p[3], c * p[0] + d * p[2],
                   c * p[1] + d * p[3], e * p[0] + f * p[2] + p[4], e * p[1] + f * p[3] + p[5]]
        elif op == b"Do" and operands[0] in forms:
            form = forms[operands[0]].get_object()
            placed = PageObject(reader)
            placed[NameObject("/Contents")] = form
            placed[NameObject("/Resources")] = form["/Resources"]
            placed[NameObject("/MediaBox")] = form["/BBox"]
            read(placed, tuple(ctm))
    return runs


def numbered_pdf(count: int, width_mm: float, height_mm: float, lang: str = "en") -> bytes:
    """A PDF whose page N says only "PN", laid out by WeasyPrint like a real leaflet."""
    from weasyprint import HTML

    pages = "".join(f'<p style="break-before: page">P{n}</p>' for n in range(1, count + 1))
    html = (f'<html lang="{lang}"><head><title>Numbered</title><style>@page {{ size: '
            f'{width_mm}mm {height_mm}mm; margin: 10mm }} body, p {{ margin: 0 }}</style></head>'
            f'<body>{pages}</body></html>')
    return HTML(string=html).write_pdf(pdf_identifier=b"numbered")


def labels_by_slot(reader: PdfReader, index: int, edges_mm: list[float]) -> list[list[str]]:
    """Page labels ("P3") found in each slot between consecutive x edges."""
    slots: list[list[str]] = [[] for _ in edges_mm[:-1]]
    for x, _, text in text_runs(reader, index):
        for i, (lo, hi) in enumerate(zip(edges_mm, edges_mm[1:])):
            if lo * PT <= x < hi * PT:
                slots[i].append(text.strip())
    return slots


# ------------------------------------------------------------------ saddle stitch


def test_saddle_stitch_order_for_eight_pages_matches_the_print_shop_rule():
    assert saddle_stitch_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]


def test_right_to_left_booklets_bind_on_the_right():
    assert saddle_stitch_order(8, rtl=True) == [(1, 8), (7, 2), (3, 6), (5, 4)]


@pytest.mark.parametrize("pages", range(4, 44, 4))
@pytest.mark.parametrize("rtl", [False, True])
def test_every_page_once_and_each_leaf_backs_onto_its_neighbour(pages, rtl):
    sides = saddle_stitch_order(pages, rtl)
    assert len(sides) == pages // 2
    assert sorted(p for side in sides for p in side) == list(range(1, pages + 1))
    for front, back in zip(sides[::2], sides[1::2]):
        # A short-edge flip swaps left and right: what is behind the front's left page
        # is the back's right page, and each leaf carries two consecutive pages.
        assert abs(front[1] - back[0]) == 1
        assert abs(front[0] - back[1]) == 1


@pytest.mark.parametrize("pages", [0, 2, 6, 10])
def test_saddle_stitch_needs_a_multiple_of_four(pages):
    with pytest.raises(ValueError, match="multiple of 4"):
        saddle_stitch_order(pages)


def test_booklet_sheets_carry_the_pages_in_saddle_stitch_order():
    layout = get_layout("booklet")
    imposed = impose(numbered_pdf(8, 148, 210), layout, "a4", "ltr")
    reader = PdfReader(io.BytesIO(imposed))
    assert len(reader.pages) == 4
    for page in reader.pages:
        assert (round(float(page.mediabox.width) / PT, 1),
                round(float(page.mediabox.height) / PT, 1)) == (297.0, 210.0)
    found = [labels_by_slot(reader, i, [0, 148.5, 297]) for i in range(4)]
    assert found == [[["P8"], ["P1"]], [["P2"], ["P7"]], [["P6"], ["P3"]], [["P4"], ["P5"]]]


def test_booklet_pages_meet_at_the_spine():
    layout = get_layout("booklet")
    reader = PdfReader(io.BytesIO(impose(numbered_pdf(4, 148, 210), layout, "a4")))
    xs = {text.strip(): x / PT for x, _, text in text_runs(reader, 0)}
    # Each page has a 10 mm margin: the left page starts 148 mm before the middle.
    assert xs["P4"] == pytest.approx(148.5 - 148 + 10, abs=0.2)
    assert xs["P1"] == pytest.approx(148.5 + 10, abs=0.2)


def test_letter_booklet_goes_on_letter_landscape():
    layout = get_layout("booklet")
    imposed = impose(numbered_pdf(4, 139.7, 215.9), layout, "letter", "rtl")
    reader = PdfReader(io.BytesIO(imposed))
    assert [(round(float(p.mediabox.width) / PT, 1), round(float(p.mediabox.height) / PT, 1))
            for p in reader.pages] == [(279.4, 215.9)] * 2
    assert labels_by_slot(reader, 0, [0, 139.7, 279.4]) == [["P1"], ["P4"]]


def test_imposition_keeps_metadata_language_and_is_deterministic():
    layout = get_layout("booklet")
    source = numbered_pdf(4, 148, 210, lang="ar")
    first, second = (impose(source, layout, "a4", "rtl") for _ in range(2))
    assert first == second
    reader = PdfReader(io.BytesIO(first))
    assert reader.metadata.title == "Numbered"
    assert reader.trailer["/Root"]["/Lang"] == "ar"
    assert reader.trailer["/ID"][0] == PdfReader(io.BytesIO(source)).trailer["/ID"][0]


# ------------------------------------------------------------------ tri-fold


def test_trifold_plan_for_a4():
    outside, inside = trifold_plan("a4")
    assert [(p, x, w) for p, x, w in outside] == [(FLAP, 0, 97), (BACK, 97, 100),
                                                  (COVER, 197, 100)]
    assert [(p, x, w) for p, x, w in inside] == [(INSIDE1, 0, 100), (INSIDE2, 100, 100),
                                                 (INSIDE3, 200, 97)]


def test_trifold_text_flows_through_the_inside_spread_before_the_flap():
    # Rendered pages: cover, then the body (and filler panels) inside 1, 2, 3, flap, back.
    outside, inside = trifold_plan("a4")
    assert [page for page, _, _ in inside] == [1, 2, 3]  # the body's first three panels
    assert [page for page, _, _ in outside] == [4, 5, 0]  # its fourth is the flap
    assert get_layout("trifold").page_name(4) == "panel 5 (flap)"


@pytest.mark.parametrize("paper, sheet_width", [("a4", 297.0), ("letter", 279.4)])
@pytest.mark.parametrize("rtl", [False, True])
def test_trifold_panels_fill_the_sheet_and_back_onto_panels_of_the_same_width(
        paper, sheet_width, rtl):
    outside, inside = trifold_plan(paper, rtl)
    for side in (outside, inside):
        assert sum(w for _, _, w in side) == pytest.approx(sheet_width)
        assert sorted(p for p, _, _ in outside + inside) == list(range(6))
    # After a short-edge flip the outside's left slot is the inside's right slot.
    for (page_out, _, w_out), (page_in, _, w_in) in zip(outside, reversed(inside)):
        assert w_out == pytest.approx(w_in)
    behind = {o[0]: i[0] for o, i in zip(outside, reversed(inside))}
    assert behind[COVER] == INSIDE1  # open the cover: the first inside panel
    assert behind[FLAP] == INSIDE3  # the fold-in flap backs the last inside panel
    narrow = min(w for _, _, w in outside)
    assert [w for p, _, w in outside if p == FLAP] == [narrow]


def test_right_to_left_trifold_mirrors_order_and_widths():
    ltr, rtl = trifold_plan("a4"), trifold_plan("a4", rtl=True)
    for side_ltr, side_rtl in zip(ltr, rtl):
        assert [(p, w) for p, _, w in side_rtl] == [(p, w) for p, _, w in reversed(side_ltr)]


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_trifold_panels_are_centred_in_their_slots(direction):
    layout = get_layout("trifold")
    reader = PdfReader(io.BytesIO(impose(numbered_pdf(6, 97, 210), layout, "a4", direction)))
    assert len(reader.pages) == 2
    for side_index, side in enumerate(trifold_plan("a4", direction == "rtl")):
        xs = {text.strip(): x / PT for x, _, text in text_runs(reader, side_index)}
        for page, slot_x, slot_w in side:
            # The panel's 10 mm margin starts where the 97 mm page starts in the slot.
            assert xs[f"P{page + 1}"] == pytest.approx(slot_x + (slot_w - 97) / 2 + 10, abs=0.2)


def test_trifold_needs_six_panels():
    with pytest.raises(ValueError, match="exactly 6 panels"):
        impose(numbered_pdf(4, 97, 210), get_layout("trifold"), "a4")
