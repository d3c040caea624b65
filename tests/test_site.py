"""The web version's stage (site.write_site) without a browser: structure, languages,
sitemap, body, images, fonts, confinement, incremental and reproducible writes, failures.

The tests hand write_site the results of a build whose PDFs are stand-ins (fast: no
WeasyPrint); tests/test_site_build.py goes through `leaflet build` and leaflet.toml.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from leaflet import fonts, site
from leaflet.build import Job, Result, output_path
from leaflet.config import load_config
from leaflet.content import discover

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "TOP-SECRET-OUTSIDE-THE-PROJECT"


# ------------------------------------------------------------------ helpers

def make_web(tmp_path: Path) -> Path:
    """tests/fixtures/site with its picture (wider than a screen needs) and a linked file."""
    project = tmp_path / "site"
    shutil.copytree(FIXTURES / "site", project)
    Image.new("RGB", (2400, 1200), (200, 30, 30)).save(project / "content/sample/diagram.png")
    (project / "content/sample/sheet.pdf").write_bytes(b"%PDF-1.4 exercise sheet")
    return project


@pytest.fixture
def web(tmp_path) -> Path:
    return make_web(tmp_path)


def fake_build(project: Path, out: Path, layouts=("standard", "poster"),
               note: str = "") -> list[Result]:
    """Results as `leaflet build` returns them, with small stand-in PDFs in ``out``."""
    results = []
    for slug, langs in discover(project).items():
        for lang, source in langs.items():
            for layout in layouts:
                job = Job(slug, lang, layout, source, output_path(slug, lang, layout))
                data = f"%PDF-1.7 {slug} {lang} {layout} {note}".encode() * 60
                target = out / job.output
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.is_file() or target.read_bytes() != data:
                    # As the build does: a new file renamed over the old one.
                    target.with_suffix(".tmp").write_bytes(data)
                    target.with_suffix(".tmp").replace(target)
                results.append(Result(job, "built", hashlib.sha256(data).hexdigest(), 2,
                                      len(data)))
    return results


BASE_URL = "https://clinic.example/leaflets/"


def write(project: Path, out: Path | None = None, base_url: str = BASE_URL, **kwargs):
    out = out or project / "dist"
    results = fake_build(project, out, **kwargs)
    return site.write_site(load_config(project), results, out, base_url=base_url)


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(path.read_text(encoding="utf-8"))

    BLOCKS = {"p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "div", "section", "nav"}

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in self.BLOCKS:
            self.text.append(" ")

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag
                and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    @property
    def words(self) -> str:
        return " ".join("".join(self.text).split())


def site_files(out: Path) -> dict[str, tuple[int, int]]:
    """Every file of the site with its inode and modification time: what was rewritten."""
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted((out / "site").rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ structure

def test_site_has_a_page_per_leaflet_and_language_indexes_and_a_root(web):
    summary = write(web)
    assert not summary.failed, summary.pages
    out = web / "dist"
    pages = {p.path: p.kind for p in summary.pages}
    assert pages == {
        "site/sample/en/index.html": "leaflet", "site/sample/es/index.html": "leaflet",
        "site/other/en/index.html": "leaflet", "site/en/index.html": "index",
        "site/es/index.html": "index", "site/index.html": "root",
        "site/sitemap.xml": "sitemap"}
    for path in pages:
        assert (out / path).is_file()
    # The QR link pattern ({slug}/{lang}/ under the base URL) names the folder of each page.
    assert (out / "site" / site.page_path("sample", "es")).is_file()
    assert site.page_path("sample", "es") == "sample/es/index.html"
    assert (out / "site/_static/site.css").is_file()
    assert not (out / "site" / site.STATE_NAME).exists()  # the state is not published


def test_page_links_every_pdf_with_its_size_and_page_count(web):
    write(web)
    out = web / "dist"
    page = Page(out / "site/sample/en/index.html")
    links = page.all("a", type="application/pdf")
    assert [a["href"] for a in links] == ["sample.en.standard.pdf", "sample.en.poster.pdf"]
    sizes = {a["href"]: round((out / "sample" / a["href"]).stat().st_size / 1000) for a in links}
    assert f"Standard leaflet (PDF, 2 pages, {sizes['sample.en.standard.pdf']} kB)" in page.words
    assert f"Poster (PDF, 2 pages, {sizes['sample.en.poster.pdf']} kB)" in page.words
    for link in links:
        copy = out / "site/sample/en" / link["href"]
        assert copy.read_bytes() == (out / "sample" / link["href"]).read_bytes()
    spanish = Page(out / "site/sample/es/index.html")
    assert re.search(r"Folleto estándar \(PDF, 2 páginas, \d+ kB\)", spanish.words)


def test_html_lang_dir_one_h1_landmarks_and_hreflang(web):
    write(web)
    out = web / "dist"
    for path in (out / "site").rglob("*.html"):
        page = Page(path)
        (html,) = page.all("html")
        lang = path.parent.name if path.parent.name in ("en", "es") else "en"
        assert html == {"lang": lang, "dir": "ltr"}, path
        assert len(page.all("h1")) == 1, path
        assert len(page.all("header")) == len(page.all("main")) == len(page.all("footer")) == 1
        assert page.all("a")[0] == {"class": "skip-link", "href": "#main-content"}
        assert page.all("main")[0]["id"] == "main-content"
        (csp,) = page.all("meta", **{"http-equiv": "Content-Security-Policy"})
        assert csp["content"] == site.CSP
        assert not page.all("script") and not page.all("style")
    page = Page(out / "site/sample/en/index.html")
    alternates = {a["hreflang"]: a["href"] for a in page.all("link", rel="alternate")}
    assert alternates == {"x-default": "https://clinic.example/leaflets/sample/en/",
                          "en": "https://clinic.example/leaflets/sample/en/",
                          "es": "https://clinic.example/leaflets/sample/es/"}
    (canonical,) = page.all("link", rel="canonical")
    assert canonical["href"] == "https://clinic.example/leaflets/sample/en/"
    # The other language, named in itself, marked as that language.
    (spanish,) = page.all("a", hreflang="es")
    assert spanish == {"href": "../es/index.html", "hreflang": "es", "lang": "es", "dir": "ltr"}
    assert "Español" in page.words
    root = Page(out / "site/index.html")
    assert {a["hreflang"]: a["href"] for a in root.all("a") if "hreflang" in a} == {
        "en": "en/index.html", "es": "es/index.html"}
    assert "Folletos de información para pacientes" in root.words  # in its own language


def test_right_to_left_pages(web):
    ar = (web / "content/sample/en.md").read_text().replace(
        "title: Sample leaflet title", "title: عنوان النشرة").replace(
        'version: "1.0"', 'version: "1.0"\ntranslation_of: en\nsource_version: "1.0"\n'
                          "translation_status: draft")
    (web / "content/sample/ar.md").write_text(ar)
    write(web, layouts=("standard",))
    page = Page(web / "dist/site/sample/ar/index.html")
    assert page.all("html") == [{"lang": "ar", "dir": "rtl"}]
    assert "النقاط الرئيسية" in page.words  # the catalog's text, as in the PDF
    css = (web / "dist/site/_static/site.css").read_text()
    assert re.search(r':lang\(ar\) \{ font-family: "Noto Sans Arabic", ', css)
    style = (Path(site.__file__).parent.parent / "styles" / "site.css").read_text()
    # Mirrored by logical properties, not by a second stylesheet.
    assert "margin-left" not in style and "padding-right" not in style


def test_content_and_notices_match_the_pdf_templates(web):
    write(web)
    out = web / "dist"
    english = Page(out / "site/sample/en/index.html").words
    for text in ("Sample leaflet title", "A short summary of the sample leaflet.",
                 "Key points The first key point. The second key point.",
                 "When to get help Call your GP if it gets worse.",
                 "Sources NHS. Example source. nhs.uk/example", "Written by Test Team",
                 "Contact us Test Clinic 1 Test Street Phone 0100 000 000",
                 "Version 1.0", "Published January 15, 2026", "Next review due January 15, 2027",
                 "This leaflet does not replace advice from your doctor or nurse."):
        assert text in english
    assert "Draft translation" not in english
    spanish = Page(out / "site/sample/es/index.html")
    (notice,) = [a for t, a in spanish.tags if a.get("class") == "draft-notice"]
    assert notice["role"] == "note"
    assert ("Traducción provisional, aún sin revisar · Draft translation, not yet checked"
            in spanish.words)
    index = Page(out / "site/es/index.html").words
    assert "Título del folleto de ejemplo" in index and "Traducción provisional" in index


def test_sitemap_lists_every_page_with_alternates_only_with_a_base_url(web):
    write(web)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9",
          "x": "http://www.w3.org/1999/xhtml"}
    tree = ET.parse(web / "dist/site/sitemap.xml")
    urls = {u.findtext("s:loc", namespaces=ns): u for u in tree.getroot()}
    base = "https://clinic.example/leaflets/"
    assert set(urls) == {base, base + "en/", base + "es/", base + "sample/en/",
                         base + "sample/es/", base + "other/en/"}
    sample = urls[base + "sample/es/"]
    assert sample.findtext("s:lastmod", namespaces=ns) == "2026-01-15"
    assert {link.get("hreflang"): link.get("href") for link in sample.findall("x:link", ns)} \
        == {"en": base + "sample/en/", "es": base + "sample/es/"}

    summary = write(web, out=web / "plain", base_url="")
    assert "site/sitemap.xml" not in {p.path for p in summary.pages}
    assert not (web / "plain/site/sitemap.xml").exists()
    page = Page(web / "plain/site/sample/en/index.html")
    assert not page.all("link", rel="canonical")
    assert {a["hreflang"]: a["href"] for a in page.all("link", rel="alternate")} == {
        "en": "index.html", "es": "../es/index.html"}


# ------------------------------------------------------------------ body, images, files

def test_body_images_tables_and_links_for_the_web(web):
    summary = write(web)
    out = web / "dist"
    page = Page(out / "site/sample/en/index.html")
    (image,) = page.all("img", alt="A diagram of the calf muscle")
    copy = out / "site/sample/en" / image["src"]
    assert copy.resolve().parent == (out / "site/_static/img").resolve()
    with Image.open(copy) as picture:
        assert picture.size == (1600, 800)  # sized for screens
    assert (image["width"], image["height"]) == ("1600", "800")
    assert page.all("th", scope="col")
    body = (out / "site/sample/en/index.html").read_text()
    assert '<table><caption class="visually-hidden">What is this?</caption>' in body
    links = {a["href"] for a in page.all("a")}
    assert "../../other/en/index.html" in links  # another leaflet's text → its page
    (sheet,) = [h for h in links if h.endswith(".pdf") and "_static/files/" in h]
    assert (out / "site/sample/en" / sheet).read_bytes() == b"%PDF-1.4 exercise sheet"
    (logo,) = page.all("img", **{"class": "logo"})
    assert logo["src"].startswith("data:image/svg+xml;base64,") and logo["alt"] == ""
    assert not [p for p in summary.pages if p.warnings]


@pytest.mark.parametrize("markdown, shown, warning", [
    ("![Remote](https://example.org/x.png)", "Remote", "makes no external requests"),
    ("![Outside](outside.png)", "Outside", "outside the project"),
    ("![Hidden](../../.git/secret.png)", "Hidden", "a hidden or settings file"),
    ("![Missing](nothere.png)", "Missing", "image not found"),
    ("[settings](../../leaflet.toml)", "settings", "a hidden or settings file"),
    ("[page](notes.html)", "page", "a browser could run it"),
    # The content's HTML is sanitized first (content.py): the link is gone, its text stays.
    ("[run](javascript:alert(1))", "run", ""),
])
def test_files_outside_the_project_or_the_web_are_not_copied(web, tmp_path, markdown, shown,
                                                               warning):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    Image.new("RGB", (40, 20)).save(outside / "secret.png")
    (outside / "secret.png").write_bytes((outside / "secret.png").read_bytes() + SECRET.encode())
    (web / "content/sample/outside.png").symlink_to(outside / "secret.png")
    (web / ".git").mkdir()
    shutil.copy(outside / "secret.png", web / ".git/secret.png")
    (web / "content/sample/notes.html").write_text("<script>alert(1)</script>")
    source = web / "content/sample/en.md"
    source.write_text(source.read_text() + f"\n{markdown}\n")
    summary = write(web, layouts=("standard",))
    (entry,) = [p for p in summary.pages if p.path == "site/sample/en/index.html"]
    assert entry.status == "built"
    assert not warning or any(warning in w and "sample/en.md" in w for w in entry.warnings), \
        entry.warnings
    page = Page(web / "dist/site/sample/en/index.html")
    assert not [a for a in page.all("a") if "javascript" in a.get("href", "").lower()]
    assert shown in page.words  # the alt text (or link text) stays, as in the PDF
    for path in (web / "dist/site").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data and b"alert(1)" not in data, path
    assert not list((web / "dist/site").rglob("notes*"))
    for value in [a["src"] for a in page.all("img")] + [a.get("href", "") for a in page.all("a")]:
        assert not value.startswith(("http:", "https:", "javascript:", "file:")), value


def test_rewrite_drops_what_could_load_or_leave_the_site():
    html = ('<p style="color:red" onclick="x()">Hi<img src="a.png" srcset="b.png 2x" alt="A">'
            '</p><meta http-equiv="refresh" content="0;url=https://evil.example">'
            '<iframe src="https://evil.example"></iframe><a href="https://nhs.uk" ping="/p">'
            "NHS</a><video poster=\"p.png\" src=\"v.mp4\"></video><link rel=prefetch "
            'href="https://evil.example"><h3>Table</h3><table><caption>Own</caption></table>')
    out = site.rewrite_body(html, lambda src: ("IMG/" + src, (4, 2)), lambda href: href)
    assert out == ('<p>Hi<img src="IMG/a.png" alt="A" width="4" height="2"></p><iframe>'
                   '</iframe><a href="https://nhs.uk">NHS</a><video></video><h3>Table</h3>'
                   "<table><caption>Own</caption></table>")


def test_jpeg_for_screens_is_upright_and_keeps_no_metadata():
    image = Image.new("RGB", (3200, 100), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    data, suffix, size = site.screen_image(buffer.getvalue())
    assert suffix == ".jpg" and size == (100, 3200)  # turned upright; 100 wide needs no cut
    with Image.open(io.BytesIO(data)) as web:
        assert not web.getexif() and web.size == (100, 3200)


# ------------------------------------------------------------------ fonts and colours

def test_web_fonts_are_woff2_subsets_of_the_pdf_fonts(web):
    from fontTools.ttLib import TTFont


    write(web)
    static = web / "dist/site/_static"
    css = (static / "site.css").read_text()
    files = re.findall(r'url\("(fonts/[^"]+\.woff2)"\)', css)
    assert files and all((static / f).is_file() for f in files)
    assert "http" not in css.replace("http://www.w3.org", "")
    families = set(re.findall(r"font-family: (\"[^\"]+\")", css))
    assert '"Atkinson Hyperlegible"' in families
    text = "".join(Page(p).words for p in (web / "dist/site").rglob("*.html"))
    atkinson = fonts.package_faces("fontpkg_atkinson_hyperlegible")
    for name in files:
        font = TTFont(static / name)
        assert font.flavor == "woff2"
        cmap = set(font.getBestCmap())
        if name.startswith("fonts/atkinson-hyperlegible-400-normal"):
            with TTFont(next(f.path for f in atkinson if f.weight == "400"
                             and f.style == "normal")) as full:
                assert cmap < set(full.getBestCmap())  # a subset…
            assert {ord(c) for c in text if not c.isspace()} <= cmap  # …with every letter


def test_brand_colour_too_light_for_text_is_darkened_for_the_site():
    from leaflet.check import contrast_ratio

    assert site.readable_colour("#005eb8") == "#005eb8"
    light = site.readable_colour("#66ccff")
    assert contrast_ratio(light, "#ffffff") >= 4.5 and light != "#66ccff"


# ------------------------------------------------------------------ incremental, reproducible

def test_unchanged_inputs_rewrite_nothing_and_one_change_only_its_pages(web):
    out = web / "dist"
    write(web)
    before = site_files(out)
    summary = write(web)
    assert {p.status for p in summary.pages} == {"cached"}
    assert site_files(out) == before

    source = web / "content/other/en.md"
    source.write_text(source.read_text().replace("Another leaflet", "Another leaflet too"))
    summary = write(web)
    after = site_files(out)
    rewritten = {path for path in after if after[path] != before.get(path)}
    assert rewritten == {"site/other/en/index.html", "site/en/index.html"}
    assert {p.path for p in summary.pages if p.status == "built"} == rewritten


def test_site_bytes_are_reproducible(web, tmp_path):
    write(web, out=tmp_path / "one")
    copy = tmp_path / "copy"
    shutil.copytree(web, copy, symlinks=True)
    write(copy, out=tmp_path / "two")
    one, two = tmp_path / "one/site", tmp_path / "two/site"
    names = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_pages_of_deleted_leaflets_and_their_files_are_removed(web):
    out = web / "dist"
    write(web)
    shutil.rmtree(web / "content/other")
    write(web)
    assert not (out / "site/other").exists()
    assert "other/en" not in (out / "site/en/index.html").read_text()
    assert "other/en" not in (out / "site/sitemap.xml").read_text()
    assert (out / "site/sample/en/index.html").is_file()


# ------------------------------------------------------------------ failures

def test_a_broken_site_template_fails_that_page_and_keeps_the_previous_one(web):
    out = web / "dist"
    write(web)
    good = (out / "site/sample/en/index.html").read_bytes()
    (web / "templates/site").mkdir(parents=True)
    (web / "templates/site/leaflet.html").write_text("{% extends 'site/_page.html' %}\n{% if %}")
    source = web / "content/sample/en.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    summary = write(web)
    failed = {p.path: p.error for p in summary.failed}
    assert set(failed) == {"site/sample/en/index.html", "site/sample/es/index.html",
                           "site/other/en/index.html"}
    assert re.match(r"\S*templates/site/leaflet\.html:2: template error: ",
                    failed["site/sample/en/index.html"])
    assert (out / "site/sample/en/index.html").read_bytes() == good
    assert not list((out / "site").rglob("*.tmp-*"))


def test_a_layout_no_longer_built_is_no_longer_linked(web):
    """The page keeps the links of layouts built before only while they are still built by
    default: a PDF of older content is never linked beside the new text."""
    toml = web / "leaflet.toml"
    write(web, layouts=("standard", "poster"))
    page = web / "dist/site/sample/en/index.html"
    assert "sample.en.poster.pdf" in page.read_text()
    toml.write_text(re.sub(r"layouts = \[[^\]]*\]", 'layouts = ["standard"]', toml.read_text()))
    source = web / "content/sample/en.md"
    source.write_text(source.read_text().replace("title: ", "title: New ", 1))
    write(web, layouts=("standard",))
    assert "sample.en.poster.pdf" not in page.read_text()


def test_a_renamed_image_is_published_under_its_new_name(web):
    """As a clean build would name it: the site never depends on what was built before."""
    write(web)
    (web / "content/sample/diagram.png").rename(web / "content/sample/figure.png")
    source = web / "content/sample/en.md"
    source.write_text(source.read_text().replace("diagram.png", "figure.png"))
    write(web)
    images = [p.name for p in (web / "dist/site/_static/img").iterdir()]
    assert any(name.startswith("figure-") for name in images), images
    page = (web / "dist/site/sample/en/index.html").read_text()
    assert "/figure-" in page and "/diagram-" not in page
