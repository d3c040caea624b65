"""Previews: every page of built PDFs as PNG thumbnails, and a contact sheet per leaflet."""

from __future__ import annotations

from pathlib import Path

from .fonts import package_faces
from .manifest import Result

THUMB_HEIGHT = 360  # pixels: enough to read headings, small enough to scan a set at once
LABEL_HEIGHT = 34
GAP = 16


def render_pages(pdf: Path, out_dir: Path, height: int = THUMB_HEIGHT) -> list[Path]:
    """One PNG per page (pypdfium2, Apache-2.0/BSD), keeping the page's aspect ratio."""
    import pypdfium2 as pdfium  # lazy: pdfium is only needed when previews are made

    out_dir.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(str(pdf))
    paths = []
    try:
        for index in range(len(document)):
            page = document[index]
            _, page_height = page.get_size()
            image = page.render(scale=height / page_height).to_pil()
            path = out_dir / f"{pdf.stem}.p{index + 1}.png"
            image.save(path, optimize=True)
            paths.append(path)
            page.close()
    finally:
        document.close()
    return paths


def _label_font():
    from PIL import ImageFont  # lazy: Pillow is only needed when previews are made

    try:
        face = next(f for f in package_faces("fontpkg_atkinson_hyperlegible")
                    if f.weight == "700" and f.style == "normal")
        return ImageFont.truetype(str(face.path), 20)
    except Exception:  # noqa: BLE001 - a label font is a nicety, never a failure
        return ImageFont.load_default()


def contact_sheet(rows: list[tuple[str, list[Path]]], path: Path) -> Path:
    """One row per output (label + its pages side by side), all on one PNG."""
    from PIL import Image, ImageDraw  # lazy: only needed when previews are made

    images = [(label, [Image.open(p).convert("RGB") for p in pages]) for label, pages in rows]
    width = max((sum(i.width for i in imgs) + GAP * (len(imgs) + 1) for _, imgs in images),
                default=400)
    height = sum(LABEL_HEIGHT + max((i.height for i in imgs), default=0) + GAP
                 for _, imgs in images) + GAP
    sheet = Image.new("RGB", (width, height), "#d9dde3")
    draw = ImageDraw.Draw(sheet)
    font = _label_font()
    y = GAP
    for label, imgs in images:
        draw.text((GAP, y + 4), label, fill="#111111", font=font)
        y += LABEL_HEIGHT
        x = GAP
        for image in imgs:
            sheet.paste(image, (x, y))
            draw.rectangle([x - 1, y - 1, x + image.width, y + image.height], outline="#777777")
            x += image.width + GAP
        y += max((i.height for i in imgs), default=0) + GAP
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)
    return path


def make_previews(results: list[Result], dist: Path, out: Path) -> dict[str, Path]:
    """Thumbnails for every built or cached output, and ``<slug>/contact-sheet.png``."""
    by_slug: dict[str, list[tuple[str, list[Path]]]] = {}
    for r in sorted(results, key=lambda r: (r.job.slug, r.job.layout, r.job.lang)):
        if r.status not in ("built", "cached"):
            continue
        pages = render_pages(dist / r.job.output, out / r.job.slug)
        label = f"{r.job.layout} · {r.job.lang} · {len(pages)} page{'s' if len(pages) != 1 else ''}"
        by_slug.setdefault(r.job.slug, []).append((label, pages))
    return {slug: contact_sheet(rows, out / slug / "contact-sheet.png")
            for slug, rows in by_slug.items()}
