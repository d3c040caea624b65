"""Print shops and screen readers: bleed, crop marks, PDF/X-4, PDF/UA-1."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from types import SimpleNamespace

import pdfutil
import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from test_impose import labels_by_slot, numbered_pdf, text_runs

from leaflet.impose import impose, saddle_stitch_order, trifold_plan
from leaflet.layouts import get_layout, page_bleed_mm
from leaflet.resources import builtin_dir

PT = 72 / 25.4


def box_mm(box):
    return [round(float(v) / PT, 1) for v in box]


def standard_pdf(project):
    return project / "dist" / "sample" / "sample.en.standard.pdf"


def test_print_ready_has_bleed_trim_and_pdfx4(project, run):
    result = run(["--project", project, "build", "-j", "1", "--print-ready"])
    assert result.exit_code == 0, result.output
    reader = pdfutil.reader(standard_pdf(project))
    page = reader.pages[0]
    assert box_mm(page.trimbox) == [0.0, 0.0, 210.0, 297.0]
    assert box_mm(page.bleedbox) == [-3.0, -3.0, 213.0, 300.0]
    assert box_mm(page.mediabox) == [-3.0, -3.0, 213.0, 300.0]
    root = reader.trailer["/Root"]
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFX"
    assert "/DestOutputProfile" in intent
    xmp = root["/Metadata"].get_object().get_data()
    assert b"PDF/X-4" in xmp
    # Crop marks are drawn outside the trim box: there is ink in the bleed area.
    content = page.get_contents().get_data()
    assert content.count(b" l") >= 8  # at least two lines per corner


def test_bleed_is_configurable_and_letter_uses_an_eighth_inch(project, run):
    run(["--project", project, "build", "-j", "1", "--print-ready", "--bleed", "5"])
    page = pdfutil.reader(standard_pdf(project)).pages[0]
    assert box_mm(page.mediabox)[0] == -5.0
    # WeasyPrint caps the BleedBox at 10 CSS px (3.53 mm) outside the trim.
    assert -5.0 <= box_mm(page.bleedbox)[0] <= -3.0
    config = project / "leaflet.toml"
    config.write_text(config.read_text().replace('paper = "a4"', 'paper = "letter"'))
    run(["--project", project, "build", "-j", "1", "--print-ready"])
    page = pdfutil.reader(standard_pdf(project)).pages[0]
    assert box_mm(page.trimbox) == [0.0, 0.0, 215.9, 279.4]
    assert box_mm(page.bleedbox)[0] == -3.2


def test_print_ready_pdf_x4_is_reproducible(project, run, tmp_path):
    for name in ("a", "b"):
        run(["--project", project, "build", "-j", "1", "--print-ready", "--out", tmp_path / name])
    a = (tmp_path / "a" / "sample" / "sample.en.standard.pdf").read_bytes()
    b = (tmp_path / "b" / "sample" / "sample.en.standard.pdf").read_bytes()
    assert a == b


def test_print_ready_by_default_from_config(project, run):
    config = project / "leaflet.toml"
    config.write_text(config.read_text().replace(
        'layouts = ["standard"]', 'layouts = ["standard"]\nprint_ready = ["standard"]'))
    run(["--project", project, "build", "-j", "1"])
    assert box_mm(pdfutil.reader(standard_pdf(project)).pages[0].bleedbox)[0] == -3.0


def test_standard_layout_is_tagged_pdf_ua(project, run):
    run(["--project", project, "build", "-j", "1"])
    reader = pdfutil.reader(standard_pdf(project))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert str(root["/Lang"]) == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
    tree = root["/StructTreeRoot"].get_object()

    roles = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, dict) or hasattr(node, "get"):
            if "/S" in node:
                roles.append(str(node["/S"]))
            kids = node.get("/K")
            if kids is None:
                return
            for kid in kids if isinstance(kids, list) else [kids]:
                if hasattr(kid, "get_object") and hasattr(kid.get_object(), "get"):
                    walk(kid)

    walk(tree)
    assert "/H1" in roles and "/H2" in roles
    assert "/Table" in roles and "/TH" in roles
    assert roles.index("/H1") < roles.index("/H2")


def test_unsupported_variant_combinations_are_usage_errors(project, run):
    result = run(["--project", project, "build", "--pdf-variant", "pdf/x-1a"])
    assert result.exit_code == 2
    assert "needs a CMYK output profile" in result.output
    result = run(["--project", project, "build", "--print-ready", "--pdf-variant", "pdf/ua-1"])
    assert result.exit_code == 2
    assert "cannot be combined" in result.output
    result = run(["--project", project, "build", "--bleed", "3"])
    assert result.exit_code == 2
    assert "--bleed only applies with --print-ready" in result.output


def test_pdf_a_variant_passes_through(project, run):
    result = run(["--project", project, "build", "-j", "1", "--pdf-variant", "pdf/a-3u"])
    assert result.exit_code == 0, result.output
    root = pdfutil.reader(standard_pdf(project)).trailer["/Root"]
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"


# ------------------------------------------------------------------ imposed sheets
#
# Booklets and tri-folds are imposed on A4 (Letter) landscape sheets: with --print-ready
# the sheet is the trim, the bleed goes round the sheet, and the marks sit in the bleed.

FIXTURES = Path(__file__).parent / "fixtures"
BRAND = (0x00, 0x5E, 0xB8)  # the fixture's brand colour, painted behind the cover


def _cli(args):
    from leaflet.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def imposed(built_once):
    """layouts-sample, booklet and tri-fold, en and ar, --print-ready: imposed (twice, for
    reproducibility) and in reading order. The cover is painted in the brand colour, as a
    clinic's stylesheet override might, so there is a background that must bleed."""

    def make(folder: Path) -> None:
        root = folder / "project"
        shutil.copytree(FIXTURES / "layouts-sample", root)
        (root / "styles").mkdir()
        for name in ("booklet.css", "trifold.css"):
            css = (builtin_dir("styles") / name).read_text(encoding="utf-8")
            (root / "styles" / name).write_text(
                css + "\n@page cover { background: #005eb8; }\n", encoding="utf-8")
        both = ["--layout", "booklet", "--layout", "trifold"]
        build = ["--project", root, "build", "--no-site", "-j", "1", "--print-ready"]
        _cli([*build, *both])
        _cli([*build, "--lang", "en", *both, "--out", root / "again"])
        _cli([*build, "--no-impose", *both, "--out", root / "flat"])

    root = built_once("imposed", make) / "project"

    def pdf(lang: str, layout: str, out: str = "dist") -> Path:
        return root / out / "sample" / f"sample.{lang}.{layout}.pdf"

    return SimpleNamespace(root=root, pdf=pdf)


def render_mm(path: Path, index: int, x0: float, y0: float, x1: float, y1: float,
              scale: float = 8):
    """The part of a sheet between two corners (mm, PDF user space: y up) as an RGB image."""
    pdfium = pytest.importorskip("pypdfium2")
    page = pdfium.PdfDocument(str(path))[index]
    left, bottom, right, top = page.get_mediabox()
    crop = (x0 * PT - left, y0 * PT - bottom, right - x1 * PT, top - y1 * PT)
    assert min(crop) > -0.01 and x0 < x1 and y0 < y1, "outside the media box"
    return page.render(scale=scale, crop=crop).to_pil().convert("RGB")


def has_mark(image) -> bool:
    """Registration black somewhere (dark and neutral: not the blue background)."""
    from PIL import ImageChops

    red, green, blue = image.split()
    return ImageChops.lighter(ImageChops.lighter(red, green), blue).getextrema()[0] < 90


def colour_at(path: Path, index: int, x: float, y: float) -> tuple[int, int, int]:
    return render_mm(path, index, x - 0.2, y - 0.2, x + 0.2, y + 0.2, scale=4).getpixel((1, 1))


def near(colour, expected, tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


WHITE = (255, 255, 255)


@pytest.mark.parametrize("layout", ["booklet", "trifold"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_imposed_sheet_is_the_trim_with_bleed_around_and_stays_pdf_x4(imposed, layout, lang):
    reader = pdfutil.reader(imposed.pdf(lang, layout))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert box_mm(page.trimbox) == [0.0, 0.0, 297.0, 210.0]
        assert box_mm(page.bleedbox) == [-3.0, -3.0, 300.0, 213.0]
        assert box_mm(page.mediabox) == [-3.0, -3.0, 300.0, 213.0]
    # pypdf rebuilds the catalog: the output intent, XMP and PDF version came across.
    assert reader.pdf_header >= "%PDF-1.6"
    root = reader.trailer["/Root"]
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFX" and "/DestOutputProfile" in intent
    assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4<" in root["/Metadata"].get_object().get_data()
    assert reader.metadata["/Trapped"] == "/False"
    assert str(root["/Lang"]) == lang


@pytest.mark.parametrize("layout", ["booklet", "trifold"])
def test_imposed_print_ready_pdfs_are_reproducible(imposed, layout):
    assert imposed.pdf("en", layout).read_bytes() == imposed.pdf("en", layout, "again").read_bytes()


@pytest.mark.parametrize("layout, folds", [("booklet", [148.5]), ("trifold", [97.0, 197.0])])
def test_crop_marks_at_the_sheet_corners_and_fold_marks_in_the_bleed(imposed, layout, folds):
    pdf = imposed.pdf("en", layout)
    for x0, x1 in ((-3, 0), (297, 300)):  # the bleed squares outside each trim corner
        for y0, y1 in ((-3, 0), (210, 213)):
            assert has_mark(render_mm(pdf, 0, x0, y0, x1, y1)), (x0, y0)
    # Nothing in the bleed beside the middle of an edge, or inside the trim's corners.
    assert not has_mark(render_mm(pdf, 0, -3, 80, 0, 130))
    assert not has_mark(render_mm(pdf, 0, 297, 80, 300, 130))
    assert not has_mark(render_mm(pdf, 0, 0, 0, 3, 3))
    for fold in folds:  # a tick above and below each fold
        assert has_mark(render_mm(pdf, 0, fold - 0.5, 210, fold + 0.5, 213))
        assert has_mark(render_mm(pdf, 0, fold - 0.5, -3, fold + 0.5, 0))
    # Registration colour: a separation for "All" colorants, so the marks print on every plate.
    spaces = pdfutil.reader(pdf).pages[0]["/Resources"]["/ColorSpace"].values()
    assert ["/Separation", "/All"] in [list(s.get_object()[:2]) for s in spaces]


@pytest.mark.parametrize("layout", ["booklet", "trifold"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_cover_background_bleeds_off_the_outer_edge_and_stops_at_the_fold(imposed, layout, lang):
    pdf = imposed.pdf(lang, layout)
    # Outside of the sheet (sheet 1 front): the cover is on the right, or the left when
    # the piece reads right to left; its inner edge is the spine or the fold at 197 mm.
    rtl = lang == "ar"
    inner = {"booklet": 148.5, "trifold": 100.0 if rtl else 197.0}[layout]
    outer_bleed = -2.7 if rtl else 299.7
    assert near(colour_at(pdf, 0, outer_bleed, 105), BRAND)  # into the bleed, to its edge
    assert near(colour_at(pdf, 0, 297 - outer_bleed, 105), WHITE)  # other edge: no cover
    assert near(colour_at(pdf, 0, 297 - outer_bleed, 212.7), WHITE)
    step = 1.0 if rtl else -1.0  # from the cover across its inner fold
    assert near(colour_at(pdf, 0, inner - 3 * step, 105), BRAND)
    assert near(colour_at(pdf, 0, inner + step, 105), WHITE)
    assert near(colour_at(pdf, 0, inner + step, 212.7), WHITE)  # clipped in the bleed too
    assert near(colour_at(pdf, 0, inner - 3 * step, 212.7), BRAND)


@pytest.mark.parametrize("layout", ["booklet", "trifold"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_imposed_print_ready_text_keeps_3mm_inside_the_trim_and_off_the_folds(
        imposed, layout, lang):
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(imposed.pdf(lang, layout)))
    rtl = lang == "ar"
    for index in range(2):
        if layout == "booklet":
            lines = [0.0, 148.5, 297.0]
        else:
            lines = sorted({x for _, x, _ in trifold_plan("a4", rtl)[index]} | {297.0})
        text = document[index].get_textpage()
        boxes = [text.get_charbox(i) for i in range(text.count_chars())
                 if text.get_text_range(i, 1).strip()]
        assert boxes
        for left, bottom, right, top in boxes:
            assert bottom >= 3 * PT and top <= 207 * PT
            for line in lines:
                assert right <= (line - 3) * PT or left >= (line + 3) * PT, (left / PT, line)


@pytest.mark.parametrize("layout", ["booklet", "trifold"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_print_ready_sheets_keep_the_page_order(imposed, layout, lang):
    flat = pdfutil.reader(imposed.pdf(lang, layout, "flat"))
    sheets = pdfutil.reader(imposed.pdf(lang, layout))

    def letters(reader, index, lo=-10.0, hi=310.0):
        return pdfutil.base_letters("".join(t for x, _, t in text_runs(reader, index)
                                            if lo * PT <= x < hi * PT))

    pages = [letters(flat, i) for i in range(len(flat.pages))]
    rtl = lang == "ar"
    if layout == "booklet":
        expected = saddle_stitch_order(len(pages), rtl)
        found = [(pages.index(letters(sheets, s, 0, 148.5)) + 1,
                  pages.index(letters(sheets, s, 148.5, 297)) + 1)
                 for s in range(len(sheets.pages))]
        assert found == expected
    else:
        for side, plan in enumerate(trifold_plan("a4", rtl)):
            for page, x, width in plan:
                assert letters(sheets, side, x, x + width) == pages[page]


@pytest.mark.parametrize("layout, pages, size", [("booklet", 4, [148.0, 210.0]),
                                                 ("trifold", 6, [97.0, 210.0])])
def test_no_impose_print_ready_pages_have_their_own_bleed_and_marks(imposed, layout, pages,
                                                                    size):
    reader = pdfutil.reader(imposed.pdf("en", layout, "flat"))
    assert len(reader.pages) == pages
    for page in reader.pages:
        assert box_mm(page.trimbox) == [0.0, 0.0, *size]
        assert box_mm(page.mediabox) == [-3.0, -3.0, size[0] + 3, size[1] + 3]
    assert reader.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFX"
    # WeasyPrint's crop marks: a stroke outside each corner of the trim.
    assert has_mark(render_mm(imposed.pdf("en", layout, "flat"), 1, -3, -3, 0, 0))


def test_letter_booklet_is_print_ready_from_the_config_and_bleeds_an_eighth_inch(
        fixture_project):
    root = fixture_project("layouts-sample")
    config = root / "leaflet.toml"
    config.write_text(config.read_text().replace(  # the file ends in its [build] table
        'paper = "a4"', 'paper = "letter"') + 'print_ready = ["booklet"]\n')
    _cli(["--project", root, "build", "-j", "1", "--lang", "en",
          "--layout", "booklet", "--layout", "trifold"])
    booklet = pdfutil.reader(root / "dist" / "sample" / "sample.en.booklet.pdf")
    for page in booklet.pages:
        assert box_mm(page.trimbox) == [0.0, 0.0, 279.4, 215.9]
        assert box_mm(page.mediabox) == [-3.2, -3.2, 282.6, 219.1]
        assert box_mm(page.bleedbox) == box_mm(page.mediabox)
    assert booklet.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFX"
    trifold = pdfutil.reader(root / "dist" / "sample" / "sample.en.trifold.pdf")
    assert box_mm(trifold.pages[0].mediabox) == [0.0, 0.0, 279.4, 215.9]  # not listed
    assert "/OutputIntents" not in trifold.trailer["/Root"]


def test_pages_bleed_far_enough_to_fill_their_slots():
    # A5 is 0.5 mm narrower than half an A4 sheet; a 97 mm panel sits in a 100 mm slot.
    assert page_bleed_mm(get_layout("booklet"), "a4", 3.0) == 3.5
    assert page_bleed_mm(get_layout("trifold"), "a4", 3.0) == 4.5
    assert page_bleed_mm(get_layout("booklet"), "letter", 3.175) == 3.175
    assert page_bleed_mm(get_layout("trifold"), "letter", 3.175) == pytest.approx(3.969, abs=0.001)


def test_bleed_does_not_move_pages_on_the_sheet():
    layout = get_layout("booklet")
    source = numbered_pdf(8, 148, 210)
    plain = PdfReader(io.BytesIO(impose(source, layout, "a4")))
    bleed = PdfReader(io.BytesIO(impose(source, layout, "a4", bleed_mm=3.0)))
    assert [box_mm(p.trimbox) for p in bleed.pages] == [[0.0, 0.0, 297.0, 210.0]] * 4
    for index in range(4):
        assert text_runs(bleed, index) == text_runs(plain, index)
        assert labels_by_slot(bleed, index, [0, 148.5, 297]) == \
            labels_by_slot(plain, index, [0, 148.5, 297])
