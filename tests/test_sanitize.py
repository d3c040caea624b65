"""Raw HTML in Markdown: an allow-list keeps what leaflets need, and nothing else reaches
the PDF; `leaflet check` names each thing removed, with its line."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

import pdfutil
from conftest import FIXTURES, REPO
from leaflet.content import load_leaflet, markdown_to_html, sanitize_html

PASTED = "content/pasted/en.md"
# Every payload of tests/fixtures/raw-html/content/pasted/en.md: (line, message start).
REMOVED = [
    (17, "removed <style>: a leaflet's look comes from the layout's stylesheets"),
    (19, "removed the style attribute of <p>: text keeps the layout's size, colour and "
         "position"),
    (21, "removed the style attribute of <div>"),
    (23, "removed the link 'javascript:alert(1)': only https, http, mailto and tel links "
         "and files in the project are kept"),
    (23, "removed the link 'javascript:alert(2)'"),
    (23, "removed the onclick attribute of <a>: a PDF runs no scripts"),
    (25, "removed <object>: a leaflet embeds no frames, objects or other documents"),
    (27, "removed <iframe>"),
    (29, "removed <form>: a printed leaflet has no forms"),
    (29, "removed <input>"),
    (33, "removed the class 'cover' from <div>: only the call-out classes are kept"),
    (36, "removed <script>: a PDF runs no scripts"),
]


def test_check_lists_each_removal_with_its_line(run, fixture_project):
    project = fixture_project("raw-html")
    result = run(["--project", project, "check", "--format", "json", "--today", "2026-06-01"])
    assert result.exit_code == 0, result.output  # warnings: the leaflet still builds
    found = [(f["line"], f["message"]) for f in json.loads(result.output)["findings"]
             if f["rule"] == "html-removed"]
    assert all(f["path"] == PASTED and f["severity"] == "warning"
               for f in json.loads(result.output)["findings"] if f["rule"] == "html-removed")
    assert len(found) == len(REMOVED)
    for (line, message), (want_line, want) in zip(found, REMOVED):
        assert line == want_line and message.startswith(want), (line, message)
    # --strict: a removal fails the gate.
    result = run(["--project", project, "check", "pasted", "--strict", "--today", "2026-06-01"])
    assert result.exit_code == 1
    assert (f"{PASTED}:17: warning html-removed: removed <style>" in result.output)


def test_the_pdf_shows_none_of_the_payloads_effects(run, fixture_project):
    import pypdfium2 as pdfium

    project = fixture_project("raw-html")
    result = run(["--project", project, "build", "pasted", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output  # no "Failed to load image" for the <object>
    pdf = project / "dist" / "pasted" / "pasted.en.standard.pdf"
    data = pdf.read_bytes()
    assert b"javascript" not in data.lower() and b"[clinic]" not in data
    text = pdfutil.words(pdfutil.text(pdf))
    # Hidden text is shown, tiny text is body size, and nothing of the script or style.
    assert "Hidden from readers but kept in the text layer." in text
    assert "Form text." in text and "The box still shows, without the class." in text
    assert "background" not in text and "document.title" not in text
    sizes = {size for size, run_ in pdfutil.font_sizes(pdf) if "Tiny text" in run_}
    assert sizes and min(sizes) >= 11, sizes
    # No yellow page, no lime headings: the page is white where nothing is printed.
    document = pdfium.PdfDocument(str(pdf))
    try:
        image = document[0].render(scale=0.5).to_pil().convert("RGB")
    finally:
        document.close()
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20)}
    assert image.getpixel((5, image.height // 2)) == (255, 255, 255)
    assert not any(r > 200 and g > 200 and b < 80 for r, g, b in colours)  # yellow
    assert not any(g > 200 and r < 80 and b < 80 for r, g, b in colours)  # lime
    # Links: tel and mailto kept, javascript dropped.
    uris = [str(a.get_object()["/A"].get("/URI")) for page in pdfutil.reader(pdf).pages
            for a in page.get("/Annots") or [] if "/A" in a.get_object()]
    assert "tel:+441234567890" in uris and "mailto:clinic@test.example" in uris
    assert not any("javascript" in uri.lower() for uri in uris)


class _Events(HTMLParser):
    """An HTML fragment as comparable events: tags with their attributes, and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "").replace(" ", "").rstrip(";") if k == "style" else v or ""
                 for k, v in attrs}
        self.events.append(("start", tag, tuple(sorted(attrs.items()))))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.events.append(("text", " ".join(data.split())))


def events(html: str) -> list[tuple]:
    parser = _Events()
    parser.feed(html)
    parser.close()
    return parser.events


NORMAL_FILES = sorted(
    [*(REPO / "content").glob("*/*.md"), *FIXTURES.glob("*/content/*/*.md")],
    key=str)


@pytest.mark.parametrize("path", [p for p in NORMAL_FILES if "pasted" not in p.parts],
                         ids=lambda p: "/".join(p.parts[-4:]))
def test_the_allow_list_loses_nothing_from_a_normal_leaflet(path):
    """Tables, lists, images, call-outs, definition lists and attribute lists pass as
    Markdown wrote them: the HTML before and after sanitizing is the same."""
    try:
        leaflet = load_leaflet(path)
    except Exception:  # noqa: BLE001 - fixtures that are broken on purpose
        pytest.skip("does not load (a fixture broken on purpose)")
    before = markdown_to_html(leaflet.body_markdown)
    assert events(leaflet.body_html) == events(before)
    assert leaflet.removed_html == ()


def test_the_normal_fixture_uses_every_kind_of_markdown():
    html = load_leaflet(FIXTURES / "raw-html" / "content" / "normal" / "en.md").body_html
    for part in ('<th style="text-align:center">', "<ol>", "<ul>", "<dl>", "<dd>",
                 '<img alt="The clinic logo" src="../../assets/logo.svg"',
                 '<div class="admonition warning">', '<p class="admonition-title">',
                 '<h2 id="lists">', '<p id="para" lang="en">', "<sup>1</sup>",
                 '<abbr title="National Health Service">', '<span lang="fr">',
                 '<a href="mailto:clinic@test.example">', '<a href="#lists">', "<blockquote>",
                 "&lt;style&gt;code is shown"):
        assert part in html, part


@pytest.mark.parametrize("html, kept, message", [
    ('<img src="data:image/png;base64,iVBO" alt="x">', 'src="data:image/png;base64,iVBO"',
     None),
    ('<a href="data:text/html,hi">x</a>', "<a>x</a>", "removed the link 'data:text/html,hi'"),
    ('<img src="file:///etc/passwd" alt="x">', '<img alt="x">',
     "removed the image source 'file:///etc/passwd': an image must be a file in the project"),
    ('<p dir="rtl">x</p><p dir="sideways">y</p>', '<p dir="rtl">x</p><p>y</p>',
     "removed the dir attribute of <p>"),
    ('<svg><text>drawn</text></svg>', "", "removed <svg>: inline drawings are not kept"),
    ('<p onclick="x()">a</p>', "<p>a</p>", "removed the onclick attribute of <p>"),
    ('<table><tr><td style="color: red; text-align: right">a</td></tr></table>',
     '<td style="text-align:right">',
     "removed the style of <td> except its text-align"),
    ('<marquee>moving</marquee>', "moving", "removed <marquee>: leaflets do not use this "
                                          "element: its text is kept"),
])
def test_sanitizer_cases(html, kept, message):
    clean, removed = sanitize_html(html)
    assert kept in clean
    if message is None:
        assert removed == []
    else:
        assert removed and removed[0].message.startswith(message), removed


def test_removals_in_code_blocks_are_not_reported(tmp_path):
    path = tmp_path / "content" / "leaf" / "en.md"
    path.parent.mkdir(parents=True)
    text = (FIXTURES / "basic" / "content" / "sample" / "en.md").read_text()
    path.write_text(text + "\n    <style>in code</style>\n\nReal <b style='x'>bold</b>.\n")
    leaflet = load_leaflet(path)
    lines = text.count("\n") + 1
    assert leaflet.removed_html == ((lines + 3, "removed the style attribute of <b>: text "
                                                "keeps the layout's size, colour and "
                                                "position"),)


def test_body_html_is_the_sanitized_html(project):
    path = project / "content" / "sample" / "en.md"
    path.write_text(path.read_text() + '\n<p style="color:red" onclick="x()">Red</p>\n')
    leaflet = load_leaflet(path)
    assert "<p>Red</p>" in leaflet.body_html
    assert "style" not in leaflet.body_html.split("<table>")[0]

