"""The web version in a real browser: Debian's Chromium driven by Playwright.

The sample leaflet (six languages) is built once, with its standard PDFs, and one browser
per test worker serves every test: axe-core finds no WCAG 2.x A/AA violation on any page,
pages reflow at 320 CSS px and at 200 % text, every link leads to a file of the site and no
request leaves it, the page says what the PDF says, and screenshots are written for review.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from leaflet.content import discover, load_leaflet

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("LEAFLET_CHROMIUM", "/usr/bin/chromium")
INSTALL = "sudo apt-get install -y chromium  (or run 'make setup' as root)"
# What works on these machines (see the machine notes): no GPU, no background traffic.
FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("LEAFLET_SCREENSHOTS", REPO / "dist" / "site-screenshots"))
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MM = 72 / 25.4

SAMPLE = discover(REPO)
LANGS = sorted({lang for langs in SAMPLE.values() for lang in langs})
PAGES = (["index.html"] + [f"{lang}/index.html" for lang in LANGS]
         + [f"{slug}/{lang}/index.html" for slug, langs in SAMPLE.items() for lang in langs])
(SLUG,) = SAMPLE  # the sample is one leaflet


class PdfTextDiffers(AssertionError):
    """The PDF's extracted text differs from the page's (see the xfail marks below)."""


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def sample(built_once):
    """The repository's sample leaflet and settings, built once per test run (standard
    PDFs and the site): under pytest-xdist the workers share it, the first one builds it
    while the others wait, so the browser tests can run on every worker at no extra cost.
    """
    from leaflet.cli import main
    from leaflet.config import load_config

    def make(root: Path) -> None:
        for name in ("content", "assets"):
            shutil.copytree(REPO / name, root / name)
        shutil.copy(REPO / "leaflet.toml", root / "leaflet.toml")
        # Two processes: a worker that needs the sample waits for it, idle, meanwhile.
        result = CliRunner().invoke(main, ["--project", str(root), "build", "-j", "2",
                                           "--layout", "standard"], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    root = built_once("web-sample", make)
    return SimpleNamespace(root=root, out=root / "dist", site=root / "dist" / "site",
                           config=load_config(root))


def launch(playwright, path: str = CHROMIUM):
    """Chromium, or a failure that says how to install it (never a skip)."""
    if not Path(path).is_file():
        pytest.fail(f"Chromium is not installed at {path}; the web version's tests need it: "
                    f"run {INSTALL}", pytrace=False)
    return playwright.chromium.launch(executable_path=path, args=FLAGS)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: run .venv/bin/pip install -e '.[test]'",
                    pytrace=False)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def tab(browser, sample):
    """One page whose every request is checked: a file of the site, or it is refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    seen = SimpleNamespace(outside=[], missing=[], failed=[])

    def route(request_route):
        url = request_route.request.url
        path = site_file(url, sample)
        if path is None:
            seen.outside.append(url)
            request_route.abort()
        elif not path.is_file():
            seen.missing.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    # What never reaches the route (refused by the page's Content-Security-Policy first).
    page.on("requestfailed", lambda r: seen.failed.append(f"{r.url} ({r.failure})"))
    yield SimpleNamespace(page=page, seen=seen)
    context.close()


def site_file(url: str, sample) -> Path | None:
    """The file of the site a URL names (a folder means its index.html), else None."""
    parts = urlsplit(url)
    base = sample.config.site_url
    if base and url.startswith(base):
        path = sample.site / unquote(url[len(base):].split("#")[0].split("?")[0])
    elif parts.scheme == "file" and not parts.netloc:
        path = Path(unquote(parts.path))
    else:
        return None
    if url.split("#")[0].endswith("/") or path.is_dir():
        path = path / "index.html"
    resolved = path.resolve()
    return resolved if resolved.is_relative_to(sample.site.resolve()) else None


def open_page(tab, sample, name: str, width: int = 1280, text_zoom: int = 100):
    page = tab.page
    page.set_viewport_size({"width": width, "height": 900})
    for found in vars(tab.seen).values():
        found.clear()
    page.goto((sample.site / name).as_uri())
    page.evaluate("document.fonts.ready.then(() => true)")
    if text_zoom != 100:
        set_text_zoom(page, text_zoom)
    return page


def set_text_zoom(page, percent: int) -> None:
    """The reader's text size: every size on the site is in rem/em, so a root font size of
    200 % is what a browser's text zoom does. (Through the CSSOM, not a <style>: the
    page's Content-Security-Policy refuses inline styles.)"""
    page.evaluate(f"document.documentElement.style.fontSize = '{percent}%'")


# ------------------------------------------------------------------ accessibility

def axe_finds_no_wcag_a_or_aa_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG},
                                       "resultTypes": ["violations"]})
    violations = results.response["violations"]
    assert results.response["testEngine"]["version"].startswith("4.")
    assert not violations, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations)


# Everything on the page must stay on screen, and nothing may be cut off: checked for the
# elements themselves and their text, not only the page's scroll width.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const name = el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
    + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  if (document.documentElement.scrollWidth > width)
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.visually-hidden') || el.classList.contains('skip-link')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none') continue;
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1))
      problems.push(`off the screen (${box.left | 0}..${box.right | 0}): ${name(el)}`);
    if (/hidden|clip|scroll|auto/.test(style.overflowX + style.overflowY)
        && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
      problems.push(`cut off: ${name(el)}`);
  }
  return problems;
}"""


def reflows_at_320_px_and_at_200_percent_text(page):
    for width, zoom in ((320, 100), (640, 200), (1280, 200)):
        page.set_viewport_size({"width": width, "height": 900})
        set_text_zoom(page, zoom)
        problems = page.evaluate(OVERFLOW)
        assert not problems, f"{width} px at {zoom} % text: " + "\n".join(problems[:10])
    # Text really did grow (the check above is not of an unchanged page).
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == 36


# ------------------------------------------------------------------ links and requests

LINKS = """() => [
  ...[...document.querySelectorAll('a[href]')].map(e => ['a', e.getAttribute('href'), e.href]),
  ...[...document.querySelectorAll('link[href]')].map(
    e => ['link ' + e.rel, e.getAttribute('href'), e.href]),
  ...[...document.querySelectorAll('img[src]')].map(
    e => ['img', e.getAttribute('src').slice(0, 30), e.src]),
]"""


def every_link_is_a_file_of_the_site_and_no_request_leaves_it(tab, sample, page):
    page.wait_for_load_state("load")
    assert not tab.seen.outside, f"requests that leave the site: {tab.seen.outside}"
    assert not tab.seen.missing, f"requests for files not in the site: {tab.seen.missing}"
    assert not tab.seen.failed, f"requests that failed: {tab.seen.failed}"
    links = page.evaluate(LINKS)
    assert len([kind for kind, _, _ in links if kind == "a"]) >= 3
    for kind, written, url in links:
        if url.startswith("data:image/"):
            continue
        if written.startswith("#"):
            assert page.locator(written).count() == 1, f"{kind} {written}: no such target"
            continue
        path = site_file(url, sample)
        assert path is not None, f"{kind} {written} leads out of the site"
        assert path.is_file(), f"{kind} {written}: not found ({path})"


@pytest.mark.parametrize("name", PAGES)
def test_page_is_accessible_self_contained_and_reflows(tab, sample, name):
    """Every page of the site, loaded once: no request leaves the site and every link is a
    file of it; axe-core finds no WCAG 2.x A or AA violation; the text reflows at 320 px and
    at 200 % text size (last: it changes the page)."""
    page = open_page(tab, sample, name)
    every_link_is_a_file_of_the_site_and_no_request_leaves_it(tab, sample, page)
    axe_finds_no_wcag_a_or_aa_violations(page)
    reflows_at_320_px_and_at_200_percent_text(page)


# ------------------------------------------------------------------ the same words as the PDF

PAGE_TEXT = """() => {
  // The leaflet's text as the reader sees it: rendered text only, blocks apart. List
  // markers are left out on both sides (the PDF draws them apart from the text).
  const out = [];
  const walk = node => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.data); return; }
    if (node.nodeType !== Node.ELEMENT_NODE || node.classList.contains('visually-hidden')) return;
    const style = getComputedStyle(node);
    if (style.display === 'none') return;
    const block = style.display !== 'inline';
    if (block) out.push('\\n');
    node.childNodes.forEach(walk);
    if (block) out.push('\\n');
  };
  walk(document.querySelector('article.leaflet'));
  return {text: out.join(''),
          heads: [...document.querySelectorAll('article thead')].map(t => t.innerText)};
}"""


def flat(text: str) -> str:
    """Text compared for the same words in the same order: no whitespace or line-end
    hyphens (pdfium marks a hyphenation break with U+0002), no bidi marks."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if not c.isspace() and c not in "\x02-\u00ad\ufffe"
                   and unicodedata.category(c) != "Cf")


def pdf_body_text(pdf: Path, table_heads: list[str]) -> list[str]:
    """Each page's text inside the standard layout's margins, without the page furniture:
    the running footer and draft mark (outside the margins), list markers, and table
    headers repeated at the top of a page."""
    import pypdfium2 as pdfium

    pages = []
    document = pdfium.PdfDocument(str(pdf))
    try:
        for index, page in enumerate(document):
            width, height = page.get_size()
            text = page.get_textpage().get_text_bounded(
                left=0, bottom=28 * MM, right=width, top=height - 18 * MM)
            text = re.sub(r"(?m)^[ \t]*(•|\d+\.)[ \t]*\r?$", "", text)
            text = flat(text)
            for head in table_heads:
                # Repeated: a table that starts at the top of a page is there once.
                if index and head and text.startswith(head) and head in "".join(pages):
                    text = text[len(head):]
            pages.append(text)
    finally:
        document.close()
    return pages


def layout_text(sample, lang: str) -> str:
    """The text of the HTML WeasyPrint laid out for the standard PDF (its <main>)."""
    from html.parser import HTMLParser

    from leaflet import i18n
    from leaflet.content import load_leaflet
    from leaflet.layouts import get_layout
    from leaflet.render import Renderer

    leaflet = load_leaflet(sample.root / "content" / SLUG / f"{lang}.md")
    html = Renderer(sample.config).render_html(leaflet, get_layout("standard"),
                                               i18n.load_catalog(lang, sample.root))

    class Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.text: list[str] = []

        def handle_data(self, data):
            self.text.append(data)

    parser = Text()
    parser.feed(html[html.index("<main"):html.index("</main>")])  # standard.html has one
    return "".join(parser.text)


RTL_EXTRACTION = ("pdfium (Chrome's PDF reader, used here for its bounded extraction) shows "
                  "a code for each Arabic dot glyph, which carries no text of its own, and "
                  "does not put mixed-direction lines in reading order")


@pytest.mark.parametrize("lang", [
    pytest.param(lang, marks=pytest.mark.xfail(strict=True, raises=PdfTextDiffers,
                                               reason=RTL_EXTRACTION))
    if lang == "ar" else lang for lang in LANGS])
def test_page_says_what_the_pdf_says(tab, sample, lang):
    page = open_page(tab, sample, f"{SLUG}/{lang}/index.html")
    found = page.evaluate(PAGE_TEXT)
    web = flat(found["text"])
    # First against the HTML the PDF was made from: this holds in every language, so an
    # expected failure below can only come from the text extracted from the PDF.
    source = flat(layout_text(sample, lang))
    assert web == source, first_difference(web, source)

    pdf = sample.out / SLUG / f"{SLUG}.{lang}.standard.pdf"
    pages = pdf_body_text(pdf, [flat(head) for head in found["heads"]])
    masthead = flat(sample.config.clinic.name)
    assert pages[0].startswith(masthead)  # the masthead is the PDF's own furniture
    printed = "".join(pages)[len(masthead):]
    # A draft's PDF says so once more in its body, hidden from sight, for screen readers
    # (engine fixes, tags): furniture too; the web page shows its notice outside <main>.
    from leaflet import i18n

    notice = i18n.load_catalog(lang, sample.root).gettext("Draft translation, not yet checked")
    english = "Draft translation, not yet checked"
    printed = printed.replace(flat(f"{notice} · {english}" if lang != "en" else notice), "", 1)
    if web != printed:
        raise PdfTextDiffers(first_difference(web, printed))


def test_arabic_page_has_the_words_of_the_pdf(tab, sample):
    """Right to left, with a bidi-aware extractor (pypdf): every word of the page is in the
    PDF as often, and the PDF has no word the page lacks, page furniture aside. (Word
    order is not compared: extractors do not agree on mixed-direction lines.)"""
    from collections import Counter

    from pypdf import PdfReader

    from leaflet import i18n

    def words(text: str) -> Counter:
        # Runs of Arabic letters, or of other letters and digits: extractors may join an
        # Arabic label to the Latin value beside it ("الهاتف01234").
        # Arabic punctuation (، ؛ ؟) is no part of a word: beside a Latin word at the end
        # of a heading, extractors put it on either side.
        arabic = "\u0600-\u06ff\u0750-\u077f"
        text = re.sub("[\u060c\u061b\u061f]", " ", unicodedata.normalize("NFKC", text))
        return Counter(re.findall(rf"[{arabic}]+|[^\W{arabic}]+", text))

    page = open_page(tab, sample, f"{SLUG}/ar/index.html")
    web = words(page.evaluate(PAGE_TEXT)["text"])
    pdf = sample.out / SLUG / f"{SLUG}.ar.standard.pdf"
    pages = PdfReader(pdf).pages
    printed = sum((words(p.extract_text()) for p in pages), Counter())
    catalog = i18n.load_catalog("ar", sample.root)
    draft = catalog.gettext("Draft translation, not yet checked")
    clinic = sample.config.clinic
    leaflet = load_leaflet(sample.root / "content" / SLUG / "ar.md")
    dates = " ".join([catalog.gettext("Version %(version)s") % {"version": leaflet.version},
                      catalog.gettext("Published %(date)s") % {
                          "date": i18n.format_date(leaflet.published, "ar")},
                      catalog.gettext("Next review due %(date)s") % {
                          "date": i18n.format_date(leaflet.next_review, "ar")}])
    # Every page: the banner, the footer (page X of Y, dates, contact); the first page also
    # the masthead and the hidden notice for screen readers.
    each = words(f"{draft} Draft translation, not yet checked {dates} {clinic.name} "
                 f"{clinic.phone} {clinic.website}")
    counter = words(catalog.gettext("Page %(page)s of %(pages)s") % {"page": "", "pages": ""})
    furniture = Counter({w: n * len(pages) for w, n in (each + counter).items()})
    furniture += words(f"{clinic.name} {draft} Draft translation, not yet checked")
    furniture += Counter(str(n) for n in range(1, len(pages) + 1)) + Counter(
        {str(len(pages)): len(pages)})
    # The numbers of ordered lists, drawn by the PDF, are no text on the page.
    lists = page.evaluate("() => [...document.querySelectorAll('main ol')]"
                          ".map(ol => ol.children.length)")
    furniture += Counter(str(i) for n in lists for i in range(1, n + 1))
    printed -= furniture
    assert printed == web, (printed - web, web - printed)


def first_difference(web: str, other: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(web, other)) if a != b),
              min(len(web), len(other)))
    return (f"differs at character {at} of {len(web)}/{len(other)}:\n"
            f"  page: …{web[max(0, at - 40):at + 40]}…\n  pdf:  …{other[max(0, at - 40):at + 40]}…")


# ------------------------------------------------------------------ screenshots

MIRRORED = """() => {
  const heading = document.querySelector('h1');
  const range = document.createRange();
  range.selectNodeContents(heading);
  const text = range.getBoundingClientRect(), box = heading.getBoundingClientRect();
  return {left: text.left - box.left, right: box.right - text.right};
}"""


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_screenshots_for_review(tab, sample, lang):
    """Phone and desktop screenshots, written to dist/site-screenshots/ for a reviewer."""
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page = open_page(tab, sample, f"{SLUG}/{lang}/index.html", width)
        target = SCREENSHOTS / f"{SLUG}.{lang}.{width}px.png"
        page.screenshot(path=str(target), full_page=True)
        with Image.open(target) as shot:
            assert shot.width == width and shot.height > 1000
        # The clinic's own fonts, from the site, were used (not the system's).
        family = "Noto Sans Arabic" if lang == "ar" else "Atkinson Hyperlegible"
        assert page.evaluate(f"[...document.fonts].some(f => f.family.includes('{family}') "
                             "&& f.status === 'loaded')")
        edges = page.evaluate(MIRRORED)
        start = edges["right"] if lang == "ar" else edges["left"]
        assert abs(start) < 1, edges  # the title starts on the right in Arabic


FOCUS = """() => {
  const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
  return {cls: el.className, tag: el.tagName, outline: parseFloat(style.outlineWidth),
          outlineStyle: style.outlineStyle, top: box.top, bottom: box.bottom};
}"""


def test_keyboard_skip_link_and_visible_focus(tab, sample):
    page = open_page(tab, sample, f"{SLUG}/en/index.html", 360)
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUS)
    assert focused["cls"] == "skip-link" and focused["top"] >= 0  # shown when focused
    assert focused["outline"] >= 2 and focused["outlineStyle"] == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUS)
    assert focused["tag"] == "A" and focused["outline"] >= 2, focused


def test_print_stylesheet_leaves_out_the_navigation(tab, sample):
    page = open_page(tab, sample, f"{SLUG}/en/index.html")
    page.emulate_media(media="print")
    try:
        shown = page.evaluate("""() => ['.languages', '.downloads', '.skip-link', 'article h1']
            .map(s => getComputedStyle(document.querySelector(s)).display)""")
        assert shown == ["none", "none", "none", "block"]
    finally:
        page.emulate_media(media="screen")


def test_a_missing_browser_fails_with_the_command_that_installs_it():
    with pytest.raises(pytest.fail.Exception, match=re.escape(INSTALL)):
        launch(None, "/nonexistent/chromium")
