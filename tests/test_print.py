"""Print shops and screen readers: bleed, crop marks, PDF/X-4, PDF/UA-1."""

from __future__ import annotations

import pdfutil

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
    config.write_text(config.read_text().replace('layouts = ["standard"]',
                                                 'layouts = ["standard"]\nprint_ready = ["standard"]'))
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
