"""Helpers to read PDFs back in tests: text, page boxes, fonts, metadata."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from pypdf import PdfReader

PT_PER_MM = 72 / 25.4


def reader(path: Path | str) -> PdfReader:
    return PdfReader(str(path))


def page_sizes_mm(path) -> list[tuple[float, float]]:
    """(width, height) of every page's MediaBox in millimetres, rounded to 0.1 mm."""
    return [(round(float(p.mediabox.width) / PT_PER_MM, 1),
             round(float(p.mediabox.height) / PT_PER_MM, 1)) for p in reader(path).pages]


def text(path) -> str:
    return "\n".join(p.extract_text() or "" for p in reader(path).pages)


def page_texts(path) -> list[str]:
    return [p.extract_text() or "" for p in reader(path).pages]


def words(s: str) -> str:
    """Collapse whitespace so wrapped lines compare equal to source paragraphs."""
    return " ".join(s.split())


def base_letters(s: str) -> str:
    """Compare scripts whose extraction drops marks: NFKC, marks and spaces removed."""
    s = unicodedata.normalize("NFKC", s)
    return "".join(c for c in s if not unicodedata.category(c).startswith("M") and not c.isspace())


def fonts(path) -> dict[str, bool]:
    """{base font name: embedded?} over every page (subset prefix removed)."""
    found: dict[str, bool] = {}
    for page in reader(path).pages:
        resources = page.get("/Resources") or {}
        font_dict = resources.get("/Font") or {}
        for ref in font_dict.values():
            font = ref.get_object()
            name = re.sub(r"^[A-Z]{6}\+", "", str(font.get("/BaseFont", "")).lstrip("/"))
            embedded = False
            for desc in _descriptors(font):
                if any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded = True
            found[name] = found.get(name, False) or embedded
    return found


def _descriptors(font):
    if "/FontDescriptor" in font:
        yield font["/FontDescriptor"].get_object()
    for child in font.get("/DescendantFonts", []) or []:
        child = child.get_object()
        if "/FontDescriptor" in child:
            yield child["/FontDescriptor"].get_object()


def font_sizes(path, page_index: int = 0) -> list[tuple[float, str]]:
    """(effective font size in pt, text) of each text run on a page."""
    runs: list[tuple[float, str]] = []

    def visit(text_, cm, tm, font_dict, font_size):
        if text_.strip():
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            runs.append((round(font_size * scale, 2), text_))

    reader(path).pages[page_index].extract_text(visitor_text=visit)
    return runs


def metadata(path) -> dict:
    meta = reader(path).metadata or {}
    return {k: str(v) for k, v in meta.items()}
