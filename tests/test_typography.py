"""Typography a print designer would sign off, and the proof that keeps it so (issue 12).

Each test reproduces one fault in a realistic leaflet (tests/fixtures/typography: a
colonoscopy preparation leaflet with a table of times and a definition list, a home
blood-pressure leaflet, a short flu-vaccine leaflet in English and Spanish, a clinic
with long addresses). With the rules it comes out right and the proof finds nothing;
with the one rule that prevents it switched off, the proof reports the fault, with its
page and words: evidence that the proof sees what it is meant to see.

Rendered in this process, without writing PDFs where only the laid-out pages matter.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from leaflet import i18n, render, typeset
from leaflet.config import load_config
from leaflet.content import load_leaflet
from leaflet.options import RenderOptions
from leaflet.produce import FitHint, fit, produce, unbreakable_texts
from leaflet.proof import CHECKS, proof
from leaflet.render import Renderer
from leaflet.resources import builtin_dir

FIXTURE = Path(__file__).parent / "fixtures" / "typography"
REPO = Path(__file__).resolve().parent.parent

# The rules, switched off one at a time (appended to a built-in stylesheet).
KEEP_LIST_ITEMS = "li:first-child { break-after: auto; }"
TABLE_WHOLE = ("table { break-inside: auto !important; } "
               "tbody > tr { break-after: auto !important; }")
TERM_WITH_DEFINITION = "dt { break-after: auto; }"
WORDS_SPLIT_ANYWHERE = "th, td { overflow-wrap: anywhere; }"  # the old tri-fold rule
FOOTER_WRAPS_ANYWHERE = ".running-footer span { white-space: normal !important; }"

# Leaflets that put one thing near the foot of a page: a spacer above the body moves it
# there (measured: with the rule off, the fault shows at exactly this spacer).
FRONT = """---
title: Test leaflet
summary: One sentence.
version: "1.0"
published: 2026-05-04
reviewed: 2026-05-04
next_review: 2028-05-04
owner: Test Team
sources:
  - "A source."
---

The spacer above this paragraph puts what follows near the foot of a page.

"""
STEPS = "## How to measure\n\n" + "\n".join(
    f"{i}. Step {i} of the measuring routine." for i in range(1, 7))
READINGS = """## What your readings mean

| Reading | What it means |
|---|---|
| Below 135/85 | Normal |
| 135/85 to 149/94 | High |
| 150/95 to 179/119 | Very high |
| 180/120 or higher | Very high: get help today |

After the table.
"""
TERMS = """## Words on your letter

Bowel preparation
:   A strong laxative that empties your bowel so the camera can see.

Clear fluids
:   Drinks you can see through: water, squash, black tea.

Sedation
:   A medicine to help you relax.
"""


def make_project(tmp_path: Path, css: dict[str, str] | None = None,
                 leaflets: dict[str, str] | None = None) -> Path:
    """The fixture project, with ``css`` appended to built-in stylesheets (name → text)
    and extra leaflets (slug → Markdown)."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    for name, extra in (css or {}).items():
        (root / "styles").mkdir(exist_ok=True)
        builtin = (builtin_dir("styles") / name).read_text(encoding="utf-8")
        (root / "styles" / name).write_text(f"{builtin}\n{extra}\n", encoding="utf-8")
    for slug, text in (leaflets or {}).items():
        (root / "content" / slug).mkdir()
        (root / "content" / slug / "en.md").write_text(text, encoding="utf-8")
    return root


def spacer(mm: float) -> str:
    return f".body > :first-child {{ margin-block-start: {mm}mm; }}"


_RENDERERS: dict[Path, Renderer] = {}


def renderer_for(root: Path) -> Renderer:
    """One renderer per project, as a build worker keeps one."""
    if root not in _RENDERERS:
        _RENDERERS[root] = Renderer(load_config(root))
    return _RENDERERS[root]


def findings(root: Path, slug: str, layout: str, lang: str = "en", padding: int = 0) -> list:
    """The proof's findings on one output, laid out as a build lays it out. ``padding``
    is a first guess at the filler pages, as a build's cache gives one: right, the
    output is laid out once; wrong, twice; the result is the same."""
    renderer = renderer_for(root)
    config = renderer.config
    leaflet = load_leaflet(root / "content" / slug / f"{lang}.md")
    layout_ = config.layout(layout)
    fitted = fit(renderer, leaflet, layout_, i18n.load_catalog(lang, root), RenderOptions(),
                 FitHint(layout_.body_pt, padding))
    return proof(fitted.document, unit=layout_.unit, fetched=renderer.fetched,
                 keep_whole=unbreakable_texts(renderer, leaflet))


def checks(found: list) -> list[str]:
    return [f.check for f in found]


@pytest.fixture
def no_marks(monkeypatch):
    """typeset.py's rules switched off: addresses without their break marks (the old
    breaks after their own hyphens), and titles without their last words kept together."""
    monkeypatch.setattr(typeset, "address_html",
                        lambda address, marks=True: typeset.escape(address, quote=False))
    monkeypatch.setattr(typeset, "_glue_point", lambda text: None)
    render.print_body.cache_clear()
    yield
    render.print_body.cache_clear()


@pytest.fixture(scope="module", autouse=True)
def renderers():
    """The renderers go with the module: a FontConfiguration left for interpreter
    shutdown complains in __del__."""
    yield
    _RENDERERS.clear()


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """The fixture project as it is: every rule on."""
    return make_project(tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="module")
def flu_trifold(plain):
    """The short flu-vaccine leaflet's tri-fold, panels in the order they are rendered."""
    renderer = renderer_for(plain)
    layout = renderer.config.layout("trifold")
    made = produce(renderer, load_leaflet(plain / "content/flu-vaccine/en.md"), layout,
                   RenderOptions(impose=False), FitHint(layout.body_pt, 3))
    return made, layout, renderer.config


# ------------------------------------------------------------------ addresses


def test_a_long_email_in_a_narrow_column_breaks_only_where_addresses_break(flu_trifold):
    made, _, config = flu_trifold
    assert made.proof == []
    # The back panel's email, feedback and web addresses do break, at their points only.
    lines = _lines(made.pdf, 5)
    email = config.clinic.email
    start = next(i for i, line in enumerate(lines) if line.startswith("Email"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Website"))
    pieces = lines[start:end]
    assert "".join(pieces).replace("Email", "").replace(" ", "").startswith(email)
    assert len(pieces) > 1 and all(p[:1] in "/.@-E" for p in pieces), pieces
    assert not any(p.endswith("-") for p in pieces), pieces


def test_without_the_marks_the_proof_reports_the_broken_addresses(plain, no_marks):
    found = findings(plain, "flu-vaccine", "trifold", padding=3)
    email = "patient.information-leaflets@riverside-community-health.example"
    assert any(f.check == "address-break" and f.text == email
               and "breaks after its own hyphen" in f.message for f in found), found
    assert all(f.page == 5 for f in found if "leaflets@" in f.text)  # the back panel


def test_phone_numbers_and_units_are_kept_whole():
    html = typeset.text_html("Call 0300 123 4567 and take 500 ml at 12 noon")
    assert f"0300 {typeset.JOIN}123 {typeset.JOIN}4567" in html
    assert f"500 {typeset.JOIN}ml" in html and f"12 {typeset.JOIN}noon" in html
    assert typeset.text_html("Call 0300 123 4567", marks=False) == "Call 0300 123 4567"


def test_address_break_points():
    assert typeset.address_parts("https://www.nhs.uk/conditions/motor-neurone-disease/") == [
        "https://", "www", ".nhs", ".uk", "/conditions", "/motor", "-neurone", "-disease/"]
    assert typeset.address_parts("leaf.lets@riverside-health.example") == [
        "leaf", ".lets", "@riverside", "-health", ".example"]
    # Where Unicode would break but an address must not: after its own hyphen, after a
    # dot before digits (doi.org/10. / 1000), after a query's marks.
    marked = typeset.address_html("doi.org/10.1000/a-b?x=1")
    join, mark = typeset.JOIN, typeset.BREAK
    assert f"{mark}.{join}1000" in marked and f"{mark}-{join}b" in marked
    assert f"?{join}x={join}1" in marked


# ------------------------------------------------------------------ tables


def test_table_header_words_fit_the_trifold_and_are_never_split(plain, tmp_path):
    assert findings(plain, "colonoscopy", "trifold") == []
    # The old rule, overflow-wrap: anywhere, split "Appointment" with no hyphen.
    off = make_project(tmp_path / "off", {"trifold.css": WORDS_SPLIT_ANYWHERE})
    found = findings(off, "colonoscopy", "trifold", padding=1)
    split = [f for f in found if f.check == "split-word"]
    assert any(f.text == "Appointment" for f in split), found


def with_and_without(tmp_path, space_mm: float, rule: str, slug: str, body: str,
                     layout: str, padding: int = 0):
    """The proof's findings on a leaflet pushed ``space_mm`` down its first page, with
    the rules as shipped and with ``rule`` (CSS that undoes one of them) added."""
    found = []
    for folder, css in ((tmp_path, spacer(space_mm)), (tmp_path / "off", spacer(space_mm) + rule)):
        project = make_project(folder, {"base.css": css}, {slug: body})
        found.append(findings(project, slug, layout, padding=padding))
    return found


def test_a_four_row_table_at_a_page_break_stays_whole(tmp_path):
    on, found = with_and_without(tmp_path, 118, TABLE_WHOLE, "readings", FRONT + READINGS,
                                 "booklet")
    assert on == []
    assert [(f.check, f.page, f.text) for f in found] == [
        ("table-widow", 2, "180/120 or higher Very high: get help today")]


# ------------------------------------------------------------------ what stays together


def test_a_heading_keeps_with_the_first_two_items_of_a_list(tmp_path):
    on, found = with_and_without(tmp_path, 147, KEEP_LIST_ITEMS, "steps", FRONT + STEPS,
                                 "booklet")
    assert on == []
    assert [(f.check, f.page, f.text) for f in found] == [("stranded", 1, "How to measure")]
    assert "has only one line of what follows" in found[0].message


def test_a_definition_term_keeps_with_its_definition_across_panels(tmp_path):
    on, found = with_and_without(tmp_path, 138, TERM_WITH_DEFINITION, "terms", FRONT + TERMS,
                                 "trifold", padding=2)
    assert on == []
    assert [(f.check, f.page, f.text) for f in found] == [("stranded", 1, "Clear fluids")]
    assert "last thing on its panel" in found[0].message


def test_definition_lists_are_styled():
    css = (builtin_dir("styles") / "base.css").read_text(encoding="utf-8")
    assert re.search(r"\.body dt \{[^}]*font-weight: 700", css)
    assert re.search(r"\.body dd \{[^}]*padding-inline-start: 1\.4em", css)


# ------------------------------------------------------------------ titles and footers


def test_a_two_line_title_never_ends_with_one_short_word(plain, request):
    assert findings(plain, "flu-vaccine", "trifold", "es", padding=3) == []
    request.getfixturevalue("no_marks")
    found = findings(plain, "flu-vaccine", "trifold", "es", padding=3)
    assert [(f.check, f.page) for f in found if f.check == "runt"] == [("runt", 0)]
    assert '"gripe" alone on its last line' in found[0].message


def test_a_spanish_footer_wraps_between_items_never_inside_a_date(plain, tmp_path):
    assert findings(plain, "flu-vaccine", "standard", "es") == []
    off = make_project(tmp_path / "off", {"standard.css": FOOTER_WRAPS_ANYWHERE})
    found = findings(off, "flu-vaccine", "standard", "es")
    assert {(f.check, f.text) for f in found} == {
        ("unbreakable", "30 de noviembre de 2027")}


# ------------------------------------------------------------------ the tri-fold


def test_a_short_trifold_puts_its_text_inside_first_and_notes_last(flu_trifold):
    made, layout, _ = flu_trifold
    assert made.proof == []
    panels = {role: " ".join(_lines(made.pdf, i)) for i, role in enumerate(layout.panels)}
    assert "Why have it?" in panels["inside-1"]  # the reader opens it onto the text
    assert panels["inside-2"].startswith("Questions to ask")
    assert panels["inside-3"].startswith("Notes") and panels["flap"].startswith("Notes")
    assert "Contact us" in panels["back"] and "Your flu vaccine" in panels["cover"]


# ------------------------------------------------------------------ the proof's other checks


def test_the_lone_a_of_the_engine_regression_is_a_short_line():
    from leaflet import engine

    engine.apply()
    with engine.switched_off("line-break"):  # WeasyPrint 70.0 as it is (engine.py)
        found = findings(REPO, "als-twitching", "standard")
    assert [(f.check, f.text) for f in found] == [("short-line", "A")]


def test_content_outside_the_panel_is_reported(tmp_path):
    word = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrente"
    root = make_project(tmp_path, leaflets={"long-word": FRONT + f"A long word: {word}.\n"})
    found = findings(root, "long-word", "trifold", padding=3)
    outside = [f for f in found if f.check == "outside"]
    assert [(f.page, f.text) for f in outside] == [(1, f"{word}.")]
    assert re.search(r"runs \d+\.\d mm off the panel$", outside[0].message)
    # The line before it is left short too: "A long word:" and a gap.
    assert {f.check for f in found} == {"outside", "short-line"}


def test_every_check_is_described():
    assert set(CHECKS) == {"short-line", "address-break", "link-break", "heading-break",
                           "split-word", "unbreakable", "runt", "stranded", "table-widow",
                           "image-dpi", "outside"}


# ------------------------------------------------------------------ build, manifest, JUnit


def test_build_warns_and_strict_fails_with_the_findings(tmp_path, run):
    root = make_project(tmp_path, {"standard.css": FOOTER_WRAPS_ANYWHERE})
    args = ["--project", root, "build", "flu-vaccine", "--lang", "es", "--layout", "standard",
            "-j", "1", "--no-site"]
    result = run(args)
    assert result.exit_code == 0, result.output
    line = ('warning: content/flu-vaccine/es.md: proof: standard page 1: a line breaks '
            'inside the date "30 de noviembre de 2027"')
    assert line in result.output.replace(str(root) + "/", "")
    assert "1 built, 0 cached, 0 failed, 2 proof findings" in result.output
    import json

    manifest = json.loads((root / "dist" / "manifest.json").read_text())
    (entry,) = manifest["outputs"]
    assert [(f["check"], f["page"], f["where"], f["text"]) for f in entry["proof"]] == [
        ("unbreakable", 1, "page 1", "30 de noviembre de 2027"),
        ("unbreakable", 2, "page 2", "30 de noviembre de 2027")]
    # --strict: the same findings fail the build, a kept output's too.
    report = tmp_path / "junit.xml"
    result = run([*args, "--strict", "--report", report])
    assert result.exit_code == 1
    assert "0 built, 1 cached, 0 failed, 2 proof findings" in result.output
    assert ("Error: content/flu-vaccine/es.md: proof: standard page 2: a line breaks inside "
            'the date "30 de noviembre de 2027"') in result.output.replace(str(root) + "/", "")
    junit = report.read_text()
    assert 'failures="1"' in junit and 'type="proof"' in junit


def _lines(pdf: bytes, page: int) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        text = document[page].get_textpage().get_text_range()
    finally:
        document.close()
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]
