"""Images at print size: a big photo is embedded at 300 dpi, not whole; a small one is
reported as blurred; `check` names an image that is too large, with its line."""

from __future__ import annotations

import json

import pytest

import pdfutil


def _photo(path, size):
    """A smooth JPEG (fast to write, compresses like a photo)."""
    from PIL import Image

    width, height = size
    red = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (red, red.transpose(Image.Transpose.ROTATE_180),
                                Image.radial_gradient("L").resize(size)))
    image.save(path, quality=95)
    return path


def _raster_images(pdf):
    found = []
    for page in pdfutil.reader(pdf).pages:
        for ref in (page["/Resources"].get("/XObject") or {}).values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                found.append((int(obj["/Width"]), int(obj["/Height"])))
    return found


def _add(project, markdown):
    path = project / "content" / "sample" / "en.md"
    path.write_text(path.read_text() + "\n" + markdown + "\n")
    return path


@pytest.fixture
def photo_project(project):
    _photo(project / "content" / "sample" / "photo.jpg", (5000, 3000))
    _add(project, "![The waiting room](photo.jpg)")
    return project


def test_a_big_photo_is_embedded_at_300_dpi_of_its_printed_size(photo_project, run, tmp_path):
    source = photo_project / "content" / "sample" / "photo.jpg"
    result = run(["--project", photo_project, "build", "-j", "1", "--out", tmp_path / "a"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    pdf = tmp_path / "a" / "sample" / "sample.en.standard.pdf"
    # The logo stays vector (SVG): the photo is the only raster image.
    ((width, height),) = set(_raster_images(pdf))
    # Placed across the text column of an A4 page (about 170 mm): 300 dpi is ~2000 px.
    assert 1800 <= width <= 2200 and height == pytest.approx(width * 3 / 5, abs=2)
    assert pdf.stat().st_size < source.stat().st_size / 2
    # Reproducible: the same bytes from a second build, in another process layout (-j 2).
    run(["--project", photo_project, "build", "-j", "2", "--out", tmp_path / "b"])
    assert (tmp_path / "b" / "sample" / "sample.en.standard.pdf").read_bytes() == \
        pdf.read_bytes()


def test_the_fetcher_caps_raster_images_at_the_page_width(tmp_path):
    from leaflet.fetch import Fetched, make_fetcher

    photo = _photo(tmp_path / "photo.jpg", (5000, 3000))
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    fetched = Fetched([], {})
    fetcher = make_fetcher([tmp_path], image_width_mm=97, fetched=fetched)  # a DL panel
    from PIL import Image
    import io

    body = fetcher.fetch(photo.as_uri()).read()
    assert Image.open(io.BytesIO(body)).size == (1146, 688)  # 97 mm at 300 dpi
    assert fetcher.fetch(svg.as_uri()).read() == svg.read_bytes()  # vector: untouched
    assert fetched.images[photo.as_uri()] == ((5000, 3000), (1146, 688))
    assert fetched.urls == [photo.as_uri(), svg.as_uri()]


def test_a_small_image_is_reported_as_blurred(project, run):
    from PIL import Image

    Image.new("RGB", (300, 200), "teal").save(project / "content" / "sample" / "small.png")
    _add(project, "![A small picture](small.png)")
    result = run(["--project", project, "build", "-j", "1"])
    assert result.exit_code == 0, result.output
    # WeasyPrint places an image at 96 pixels an inch unless it is wider than the column.
    # The proof's finding (proof.py), with the page it is printed on.
    assert ("proof: standard page 2: image content/sample/small.png (300×200 pixels) is "
            "printed 79 mm wide at about "
            "96 dpi and will look blurred: a copy at least 1028 pixels wide fills the 174 mm "
            "column at 150 dpi (2056 for 300 dpi)") in result.output.replace(str(project) + "/",
                                                                            "")


def test_check_names_images_too_large_with_file_and_line(project, run):
    from PIL import Image

    folder = project / "content" / "sample"
    _photo(folder / "photo.jpg", (4000, 2400))
    Image.new("1", (9000, 6000)).save(folder / "huge.png")  # 54 megapixels, small on disk
    path = _add(project, "![A photo](photo.jpg)\n\n![Too big](huge.png)")
    lines = path.read_text().split("\n")
    result = run(["--project", project, "check", "--format", "json", "--today", "2026-06-01"])
    assert result.exit_code == 1
    found = [(f["rule"], f["line"], f["message"]) for f in json.loads(result.output)["findings"]]
    photo_line = lines.index("![A photo](photo.jpg)") + 1
    huge_line = lines.index("![Too big](huge.png)") + 1
    assert found[0][:2] == ("img-large", photo_line)
    assert found[0][2].startswith("image photo.jpg is 4000×2400 pixels (")
    assert "more than print needs: the widest page of your layouts is 2481 pixels at 300 dpi" \
        in found[0][2]
    assert found[1] == ("img-too-large", huge_line,
                        "image huge.png is 9000×6000 pixels (54 megapixels), more than the 50 "
                        "a build decodes: scale it down (a full A4 page at 300 dpi needs "
                        "about 9)")


def test_resampling_turns_the_photo_upright_and_is_reproducible(tmp_path):
    import io

    from PIL import Image

    from leaflet.images import fit_for_print

    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": a phone held upright
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 2000), "navy").save(buffer, "JPEG", exif=exif)
    smaller = fit_for_print(buffer.getvalue(), 1000)
    image = Image.open(io.BytesIO(smaller))
    assert (image.format, image.size) == ("JPEG", (1000, 2000))
    assert image.getexif().get(0x0112) is None  # the pixels are upright: no tag to obey
    assert fit_for_print(buffer.getvalue(), 1000) == smaller
    assert fit_for_print(buffer.getvalue(), 5000) is None  # never enlarged


def test_a_cameras_multi_picture_jpeg_is_a_jpeg_of_its_first_picture():
    """Phones save photos as MPO (a JPEG with an HDR or depth picture inside): print and
    screen copies are plain JPEGs of the photo, never a PNG 4x the size or both pictures."""
    import io

    from PIL import Image

    from leaflet.images import fit_for_print
    from leaflet.site import screen_image

    photo = io.BytesIO()
    Image.new("RGB", (3000, 2000), "blue").save(
        photo, "MPO", save_all=True, append_images=[Image.new("RGB", (3000, 2000), "red")])
    data = photo.getvalue()
    assert Image.open(io.BytesIO(data)).format == "MPO"
    printed = Image.open(io.BytesIO(fit_for_print(data, 1000)))
    assert printed.format == "JPEG" and printed.size == (1000, 667)
    shown, suffix, size = screen_image(data)
    screen = Image.open(io.BytesIO(shown))
    assert suffix == ".jpg" and screen.format == "JPEG" and size == (1600, 1067)
    assert getattr(screen, "n_frames", 1) == 1 and screen.getpixel((5, 5))[2] > 200  # blue
