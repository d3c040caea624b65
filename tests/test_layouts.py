"""Layouts end to end: booklet, tri-fold, large print and poster, left-to-right and right-to-left.

Every PDF is built once per module through the CLI and read back: page boxes, page counts,
where text sits on the printed sheet, font sizes, and that no paragraph went missing.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pdfutil
import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from test_impose import text_runs

from leaflet import qr
from leaflet.content import load_leaflet
from leaflet.impose import trifold_plan
from leaflet.render import first_callout

FIXTURES = Path(__file__).parent / "fixtures"
LAYOUTS = ("booklet", "trifold", "large-print", "poster")
PT = 72 / 25.4
URL = "https://test.example/sample/en/"


def cli(args) -> object:
    from leaflet.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def copy_fixture(tmp_path_factory, name: str) -> Path:
    dest = tmp_path_factory.mktemp(name) / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


@pytest.fixture(scope="module")
def sample(built_once):
    """layouts-sample built in every layout (en, ar), imposed and in reading order."""

    def make(folder: Path) -> None:
        root = folder / "layouts-sample"
        shutil.copytree(FIXTURES / "layouts-sample", root)
        layouts = [a for name in LAYOUTS for a in ("--layout", name)]
        result = cli(["--project", root, "build", "--no-site", "-j", "1", *layouts])
        assert result.exit_code == 0, result.output
        result = cli(["--project", root, "build", "--no-site", "-j", "1", "--no-impose",
                      "--out", root / "flat", "--layout", "booklet", "--layout", "trifold"])
        assert result.exit_code == 0, result.output

    root = built_once("layouts-sample", make) / "layouts-sample"

    def pdf(lang: str, layout: str, flat: bool = False) -> Path:
        return root / ("flat" if flat else "dist") / "sample" / f"sample.{lang}.{layout}.pdf"

    return SimpleNamespace(root=root, pdf=pdf)


@pytest.fixture(scope="module")
def long_project(tmp_path_factory):
    """layouts-long: fits the booklet and large print; too long for tri-fold and poster."""
    root = copy_fixture(tmp_path_factory, "layouts-long")
    result = cli(["--project", root, "build", "--no-site", "long", "-j", "1"])
    assert result.exit_code == 0, result.output
    result = cli(["--project", root, "build", "--no-site", "long", "-j", "1", "--no-impose",
                  "--out", root / "flat", "--layout", "booklet"])
    assert result.exit_code == 0, result.output
    return root


# ------------------------------------------------------------------ helpers


class _Blocks(HTMLParser):
    """Text of every paragraph, list item, table cell and heading, in source order."""

    BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.current: list[str] | None = None

    def _flush(self):
        if self.current is not None and "".join(self.current).strip():
            self.found.append(" ".join("".join(self.current).split()))
        self.current = None

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._flush()
            self.current = []

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)


def source_blocks(html: str) -> list[str]:
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.found


def every_part(md: Path) -> list[str]:
    """Everything of a leaflet that each full layout must print."""
    leaflet = load_leaflet(md)
    return [leaflet.title, leaflet.summary, *leaflet.key_points, *leaflet.sources,
            *source_blocks(leaflet.body_html)]


def missing(parts: list[str], pdf: Path) -> list[str]:
    # Prose is hyphenated where the language allows: compare without hyphens on both sides.
    def flat(text: str) -> str:
        return pdfutil.base_letters(text).replace("-", "")

    printed = flat(pdfutil.text(pdf))
    return [p for p in parts if flat(p) not in printed]


def region_text(reader: PdfReader, index: int, lo_mm: float, hi_mm: float) -> str:
    """Text of the runs that start between two x positions on a page (base letters)."""
    runs = text_runs(reader, index)
    return pdfutil.base_letters("".join(t for x, _, t in runs if lo_mm * PT <= x < hi_mm * PT))


def page_text(path: Path, index: int) -> str:
    reader = PdfReader(str(path))
    return pdfutil.base_letters("".join(t for _, _, t in text_runs(reader, index)))


def sizes(path: Path) -> set[tuple[float, float]]:
    return set(pdfutil.page_sizes_mm(path))


# ------------------------------------------------------------------ every layout

EXPECTED_SIZES = {
    ("booklet", False): (297.0, 210.0), ("booklet", True): (148.0, 210.0),
    ("trifold", False): (297.0, 210.0), ("trifold", True): (97.0, 210.0),
    ("large-print", False): (210.0, 297.0), ("poster", False): (297.0, 420.0),
}


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("layout, flat", list(EXPECTED_SIZES))
def test_page_size_from_the_pdf_boxes(sample, lang, layout, flat):
    assert sizes(sample.pdf(lang, layout, flat)) == {EXPECTED_SIZES[layout, flat]}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_page_count_rules(sample, lang):
    booklet = len(pdfutil.reader(sample.pdf(lang, "booklet", flat=True)).pages)
    assert booklet % 4 == 0
    assert len(pdfutil.reader(sample.pdf(lang, "booklet")).pages) == booklet // 2
    assert len(pdfutil.reader(sample.pdf(lang, "trifold", flat=True)).pages) == 6
    assert len(pdfutil.reader(sample.pdf(lang, "trifold")).pages) == 2
    assert len(pdfutil.reader(sample.pdf(lang, "poster")).pages) == 1
    assert len(pdfutil.reader(sample.pdf(lang, "large-print")).pages) >= 2


@pytest.mark.parametrize("layout, flat", [("booklet", False), ("booklet", True),
                                          ("trifold", False), ("trifold", True),
                                          ("large-print", False)])
def test_every_paragraph_list_item_and_cell_is_printed(sample, layout, flat):
    parts = every_part(sample.root / "content" / "sample" / "en.md")
    assert len(parts) > 15
    assert missing(parts, sample.pdf("en", layout, flat)) == []


def test_right_to_left_pdfs_keep_their_latin_parts(sample):
    # Arabic text read back from a PDF comes out with wrong letters (the font's shared
    # glyph shapes), so here only the Latin parts are compared; the Arabic ones are
    # compared PDF to PDF (imposed against reading order) in the order tests below.
    for layout in LAYOUTS:
        text = pdfutil.text(sample.pdf("ar", layout))
        assert "0100 000 000" in text, layout
        assert "test.example" in text, layout
    assert "First source reference." in pdfutil.text(sample.pdf("ar", "large-print"))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_blank_pages_in_folded_layouts(sample, lang):
    for layout in ("booklet", "trifold"):
        flat = pdfutil.page_texts(sample.pdf(lang, layout, flat=True))
        assert all(pdfutil.base_letters(t) for t in flat), f"{layout} has a blank page"


# ------------------------------------------------------------------ booklet


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_booklet_sheets_are_in_saddle_stitch_order(sample, lang):
    flat = sample.pdf(lang, "booklet", flat=True)
    pages = [page_text(flat, i) for i in range(len(pdfutil.reader(flat).pages))]
    assert len(set(pages)) == len(pages)  # every page tells itself apart
    imposed = PdfReader(str(sample.pdf(lang, "booklet")))
    found = []
    for side in range(len(imposed.pages)):
        left = region_text(imposed, side, 0, 148.5)
        right = region_text(imposed, side, 148.5, 297)
        found.append((pages.index(left) + 1, pages.index(right) + 1))
    n = len(pages)
    expected = []
    for sheet in range(n // 4):
        expected += [(n - 2 * sheet, 1 + 2 * sheet), (2 + 2 * sheet, n - 1 - 2 * sheet)]
    if lang == "ar":  # binds on the right
        expected = [(right, left) for left, right in expected]
    assert found == expected


def test_twelve_page_booklet_is_imposed_on_three_sheets(long_project):
    flat = long_project / "flat" / "long" / "long.en.booklet.pdf"
    count = len(pdfutil.reader(flat).pages)
    assert count == 12
    pages = [page_text(flat, i) for i in range(count)]
    imposed = PdfReader(str(long_project / "dist" / "long" / "long.en.booklet.pdf"))
    found = [(pages.index(region_text(imposed, s, 0, 148.5)) + 1,
              pages.index(region_text(imposed, s, 148.5, 297)) + 1)
             for s in range(len(imposed.pages))]
    assert found == [(12, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_booklet_starts_with_the_cover_and_ends_with_the_contact(sample, lang):
    texts = pdfutil.page_texts(sample.pdf(lang, "booklet", flat=True))
    assert len(texts) == 4
    assert "0100 000 000" in texts[-1] and "clinic@test.example" in texts[-1]
    if lang == "en":
        assert "Sample leaflet title" in texts[0]
        assert "Contact us" in texts[-1]


def test_booklet_pads_with_a_questions_page_not_a_blank(long_project):
    texts = pdfutil.page_texts(long_project / "flat" / "long" / "long.en.booklet.pdf")
    assert len(texts) == 12
    assert "Paragraph 12b" in texts[9]  # the body ends on page 10 …
    assert texts[10].startswith("Questions to ask")  # … page 11 is for the reader …
    assert "Contact us" in texts[11]  # … and the back cover is last


def test_long_booklet_and_large_print_keep_every_paragraph(long_project):
    parts = every_part(long_project / "content" / "long" / "en.md")
    assert len(parts) > 100
    for pdf in (long_project / "flat" / "long" / "long.en.booklet.pdf",
                long_project / "dist" / "long" / "long.en.booklet.pdf",
                long_project / "dist" / "long" / "long.en.large-print.pdf"):
        assert missing(parts, pdf) == [], pdf.name


# ------------------------------------------------------------------ tri-fold


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_trifold_panels_sit_in_their_slots(sample, lang):
    flat = sample.pdf(lang, "trifold", flat=True)
    panels = [page_text(flat, i) for i in range(6)]
    imposed = PdfReader(str(sample.pdf(lang, "trifold")))
    for side_index, side in enumerate(trifold_plan("a4", rtl=lang == "ar")):
        for page, slot_x, slot_w in side:
            assert region_text(imposed, side_index, slot_x, slot_x + slot_w) == panels[page]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_trifold_cover_on_the_outer_third_and_contact_in_the_middle(sample, lang):
    flat = sample.pdf(lang, "trifold", flat=True)
    imposed = PdfReader(str(sample.pdf(lang, "trifold")))
    cover, back = page_text(flat, 0), page_text(flat, 5)
    first, middle, last = (region_text(imposed, 0, lo, lo + 99) for lo in (0, 99, 198))
    title = pdfutil.base_letters(load_leaflet(
        sample.root / "content" / "sample" / f"{lang}.md").title)
    if lang == "en":
        assert title in last and cover == last  # the front cover is on the right
    else:
        assert cover == first  # mirrored: the front cover is on the left
    assert back == middle and pdfutil.base_letters("0100 000 000") in middle


def test_trifold_fills_empty_panels_with_notes_not_blanks(sample):
    texts = pdfutil.page_texts(sample.pdf("en", "trifold", flat=True))
    assert "Sample leaflet title" in texts[0]
    assert "Contact us" in texts[5]
    assert "Questions to ask" in texts[3] and "Notes" in texts[4]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_trifold_keeps_5mm_clear_of_folds_and_edges(sample, lang):
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(sample.pdf(lang, "trifold")))
    scale = 2  # pixels per point
    for side_index, side in enumerate(trifold_plan("a4", rtl=lang == "ar")):
        image = document[side_index].render(scale=scale, grayscale=True).to_pil()
        lines = sorted({x for _, x, _ in side} | {297.0})  # folds and both edges
        inked = []
        for line in lines:
            lo = max(0, int((line - 5) * PT * scale))
            hi = min(image.width, int((line + 5) * PT * scale))
            band = image.crop((lo, 0, hi, image.height))
            if band.getextrema()[0] < 200:
                inked.append(line)
        assert inked == [], f"ink within 5 mm of {inked} mm on side {side_index + 1}"


# ------------------------------------------------------------------ large print


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_large_print_type_is_18pt_or_more_and_never_italic(sample, lang):
    pdf = sample.pdf(lang, "large-print")
    pages = len(pdfutil.reader(pdf).pages)
    all_sizes = [s for i in range(pages) for s, _ in pdfutil.font_sizes(pdf, i)]
    assert min(all_sizes) >= 17.95
    assert max(all_sizes) >= 18 * 1.5  # headings larger
    assert not [name for name in pdfutil.fonts(pdf) if "Italic" in name or "Oblique" in name]
    footer = [s for s, t in pdfutil.font_sizes(pdf, 0) if "1 of" in t or "Page" in t]
    if lang == "en":
        assert footer and all(s == pytest.approx(18, abs=0.05) for s in footer)


def test_large_print_emphasis_is_bold_and_lines_are_spaced(sample):
    reader = PdfReader(str(sample.pdf("en", "large-print")))
    fonts_of = {}

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip() and font_dict:
            fonts_of[text.strip()] = str(font_dict.get("/BaseFont"))

    reader.pages[0].extract_text(visitor_text=visit)
    assert "Bold" in fonts_of["emphasised"]
    # Baselines of body lines (18 pt) are at least 1.5 × 18 pt apart.
    body = sorted({round(y, 1) for x, y, t in text_runs(reader, 0)}, reverse=True)
    gaps = [a - b for a, b in zip(body, body[1:])]
    assert min(gaps) >= 1.5 * 18 - 0.5


def test_large_print_never_shrinks(long_project):
    pdf = long_project / "dist" / "long" / "long.en.large-print.pdf"
    count = len(pdfutil.reader(pdf).pages)
    assert count > 10
    assert min(s for i in range(count) for s, _ in pdfutil.font_sizes(pdf, i)) >= 17.95


# ------------------------------------------------------------------ poster


def test_poster_shows_title_summary_key_points_callout_contact(sample):
    leaflet = load_leaflet(sample.root / "content" / "sample" / "en.md")
    pdf = sample.pdf("en", "poster")
    callout = source_blocks(first_callout(leaflet.body_html))
    assert callout == ["Get help now", "Call your doctor if you feel unwell.",
                       "call 111 at night", "call 999 in an emergency"]
    shown = [leaflet.title, leaflet.summary, *leaflet.key_points, *callout, "0100 000 000",
             "Scan for the full leaflet", URL]
    assert missing(shown, pdf) == []
    text = pdfutil.text(pdf)
    # Only its selected parts: not the body, not the note box before the warning.
    assert "Final paragraph of the sample." not in text
    assert "A gentle note" not in text
    assert min(s for s, t in pdfutil.font_sizes(pdf) if "key point" in t) >= 16


def test_poster_qr_code_encodes_the_link(sample):
    pdfium = pytest.importorskip("pypdfium2")
    pdf = sample.pdf("en", "poster")
    page = pdfutil.reader(pdf).pages[0]
    links = [a.get_object() for a in page.get("/Annots", [])]
    uris = [a["/A"]["/URI"] for a in links if "/A" in a and "/URI" in a["/A"]]
    assert set(uris) == {URL}  # (WeasyPrint writes the QR code's link twice)
    x0, y0, x1, y1 = (float(v) for v in links[0]["/Rect"])
    left, right, bottom, top = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    assert right - left == pytest.approx(62 * PT, abs=1)  # the link is the QR code's box
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    # Render only the QR code's box, then read its modules back at their centres.
    image = pdfium.PdfDocument(str(pdf))[0].render(
        scale=4, grayscale=True, crop=(left, bottom, width - right, height - top)).to_pil()
    expected = qr.matrix(URL)
    n = len(expected)
    step_x, step_y = image.width / n, image.height / n
    read = [[image.getpixel((int((i + 0.5) * step_x), int((j + 0.5) * step_y))) < 128
             for i in range(n)] for j in range(n)]
    assert read == expected


@pytest.fixture(scope="module")
def letter_no_link(built_once):
    """layouts-sample on US Letter paper, with no link configured."""

    def make(folder: Path) -> None:
        root = folder / "layouts-sample"
        shutil.copytree(FIXTURES / "layouts-sample", root)
        toml = root / "leaflet.toml"
        lines = [line for line in toml.read_text().splitlines() if not line.startswith("link")]
        toml.write_text("\n".join(lines).replace('paper = "a4"', 'paper = "letter"') + "\n")
        layouts = [a for name in LAYOUTS for a in ("--layout", name)]
        result = cli(["--project", root, "build", "-j", "1", "--lang", "en", *layouts])
        assert result.exit_code == 0, result.output

    root = built_once("letter-no-link", make) / "layouts-sample"
    return lambda layout: root / "dist" / "sample" / f"sample.en.{layout}.pdf"


@pytest.mark.parametrize("layout, size", [("booklet", (279.4, 215.9)),
                                          ("trifold", (279.4, 215.9)),
                                          ("large-print", (215.9, 279.4)),
                                          ("poster", (279.4, 431.8))])
def test_letter_paper_sizes(letter_no_link, layout, size):
    assert sizes(letter_no_link(layout)) == {size}


def test_no_link_means_no_qr_code(letter_no_link):
    for layout in ("poster", "booklet", "trifold"):
        pdf = letter_no_link(layout)
        assert "Scan for the full leaflet" not in pdfutil.text(pdf)
        assert not pdfutil.reader(pdf).pages[0].get("/Annots")
    assert "0100 000 000" in pdfutil.text(letter_no_link("poster"))


# ------------------------------------------------------------------ overflow


@pytest.mark.parametrize("layout, detail", [
    ("trifold", r"even at the smallest allowed body size \(10 pt\): needs \d+ panels, the "
                r"limit is 6 \(\d+ panels? over\): shorten the text, or use the booklet or "
                r"standard layout"),
    ("poster", r"even at the smallest allowed body size \(16 pt\): needs 2 pages, the limit "
               r"is 1 \(about \d+ lines over\): shorten the summary, key points or call-out"),
])
def test_too_long_fails_naming_leaflet_layout_amount_and_remedy(long_project, layout, detail):
    result = cli(["--project", long_project, "build", "long", "-j", "1", "--layout", layout])
    assert result.exit_code == 1
    assert f"long.en.{layout}.pdf" not in {p.name for p in (long_project / "dist").rglob("*")}
    pattern = rf"Error: \S*long[/\\]en\.md: does not fit the {layout} layout {detail}"
    assert re.search(pattern, result.output), result.output


def test_cover_that_needs_two_panels_fails(long_project):
    result = cli(["--project", long_project, "build", "big-cover", "-j", "1",
                  "--layout", "trifold"])
    assert result.exit_code == 1
    assert ("big-cover/en.md: the cover panel does not fit on one panel of the trifold "
            "layout (it needs 2, even at the smallest allowed body size, 10 pt): shorten "
            "the title or the summary") in result.output.replace("\\", "/")


# ------------------------------------------------------------------ helpers' own rules


def test_first_callout_takes_the_first_warning_or_danger_box_whole():
    html = ('<p>x</p><div class="admonition note"><div>n</div></div>\n'
            '<div class="admonition danger"><p>A</p>\n<div class="admonition warning">'
            '<p>in</p></div><p>B</p></div><div class="admonition warning"><p>C</p></div>')
    assert first_callout(html) == ('<div class="admonition danger"><p>A</p>\n'
                                   '<div class="admonition warning"><p>in</p></div>'
                                   '<p>B</p></div>')
    assert first_callout("<p>no call-out</p>") == ""


def test_qr_svg_is_empty_without_a_link_and_sized_by_css_with_one():
    assert qr.svg("") == ""
    svg = qr.svg(URL)
    assert svg.startswith("<svg") and 'viewBox="0 0 37 37"' in svg and "width=" not in svg
    assert len(qr.matrix(URL)) == 37
