"""Previews: one PNG per page with the page's aspect ratio, and a contact sheet."""

from __future__ import annotations

from PIL import Image

import pdfutil


def test_preview_makes_one_png_per_page_and_a_contact_sheet(project, run):
    result = run(["--project", project, "preview", "--layout", "standard", "-j", "1"])
    assert result.exit_code == 0, result.output
    pdf = project / "dist" / "sample" / "sample.en.standard.pdf"
    sizes = pdfutil.page_sizes_mm(pdf)
    pngs = sorted((project / "preview" / "sample").glob("sample.en.standard.p*.png"))
    assert len(pngs) == len(sizes)
    for png, (width, height) in zip(pngs, sizes):
        image = Image.open(png)
        assert abs(image.width / image.height - width / height) < 0.01
    sheet = project / "preview" / "sample" / "contact-sheet.png"
    assert sheet.is_file()
    assert Image.open(sheet).width > Image.open(pngs[0]).width
