"""A clinic's own layouts, declared in leaflet.toml, are treated like the built-in ones."""

from __future__ import annotations

import json

import pdfutil
import pytest

from leaflet.config import load_config
from leaflet.errors import LeafletError
from leaflet.layouts import LAYOUTS


@pytest.fixture
def clinic(fixture_project):
    return fixture_project("custom-layout")


def statuses(out):
    data = json.loads((out / "manifest.json").read_text())
    return {e["layout"]: e["status"] for e in data["outputs"]}


def test_layouts_lists_the_clinics_own_layouts(clinic, run):
    result = run(["--project", clinic, "layouts"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [*LAYOUTS, "card", "a5-handout"]
    assert lines[-2].startswith("card") and lines[-2].endswith("[leaflet.toml]")
    assert "A5 card, both sides of one sheet" in lines[-2]
    assert "The standard layout's template and rules, as a5-handout" in lines[-1]


def test_build_makes_the_clinics_layouts_at_their_page_size(clinic, run):
    result = run(["--project", clinic, "build", "--layout", "card", "--layout", "a5-handout"])
    assert result.exit_code == 0, result.output
    card = clinic / "dist" / "sample" / "sample.en.card.pdf"
    handout = clinic / "dist" / "sample" / "sample.en.a5-handout.pdf"
    assert pdfutil.page_sizes_mm(card) == [(148.0, 210.0)] * 2
    assert set(pdfutil.page_sizes_mm(handout)) == {(148.0, 210.0)}
    words = pdfutil.words(pdfutil.text(card))
    assert "Sample leaflet title" in words and "Get help now" in words
    assert "Contact us" in pdfutil.page_texts(card)[1]  # the back, from the card's own CSS
    # Extends the standard layout: its template (page X of Y) and its tags for screen readers.
    assert "Page 1 of" in pdfutil.text(handout)
    assert "/StructTreeRoot" in pdfutil.reader(handout).trailer["/Root"]


def test_the_default_matrix_includes_a_layout_named_in_build_layouts(clinic, run):
    assert run(["--project", clinic, "build"]).exit_code == 0
    assert statuses(clinic / "dist") == {"standard": "built", "card": "built"}


def test_cache_and_rebuild_treat_a_clinic_layout_like_a_built_in_one(clinic, run):
    args = ["--project", clinic, "build", "--layout", "card"]
    assert run(args).exit_code == 0
    assert run(args).exit_code == 0
    assert statuses(clinic / "dist") == {"card": "cached"}
    css = clinic / "styles" / "card.css"
    css.write_text(css.read_text() + "\nh1 { letter-spacing: 0.01em; }\n")
    assert run(args).exit_code == 0
    assert statuses(clinic / "dist") == {"card": "built"}


def test_check_and_preview_accept_a_clinic_layout(clinic, run):
    assert run(["--project", clinic, "check"]).exit_code == 0
    result = run(["--project", clinic, "preview", "--layout", "card"])
    assert result.exit_code == 0, result.output
    pages = (clinic / "preview").rglob("*.p[0-9].png")
    assert sorted(p.name for p in pages) == [
        "sample.en.card.p1.png", "sample.en.card.p2.png"]


def test_the_fit_policy_comes_from_the_layout_record(clinic, run):
    """Too much for two A5 pages: the card shrinks to its floor, then fails with its hint."""
    source = clinic / "content" / "sample" / "en.md"
    points = "".join(f"  - Key point number {i} says something worth a line.\n"
                     for i in range(22))
    source.write_text(source.read_text().replace("key_points:\n", "key_points:\n" + points))
    result = run(["--project", clinic, "build", "--layout", "card"])
    assert result.exit_code == 1
    assert ("does not fit the card layout even at the smallest allowed body size (10 pt): "
            "needs 3 pages, the limit is 2 (1 page over): shorten the summary, key points "
            "or call-out") in result.output


def test_a_clinic_layout_can_use_the_saddle_stitch_imposition(clinic, run):
    toml = clinic / "leaflet.toml"
    toml.write_text(toml.read_text() + '\n[layouts.pocket]\nextends = "booklet"\n'
                    'page = "a6"\nsheet = "a5 landscape"\nbody_pt = 9\n')
    result = run(["--project", clinic, "build", "--layout", "pocket"])
    assert result.exit_code == 0, result.output
    pdf = clinic / "dist" / "sample" / "sample.en.pocket.pdf"
    assert pdfutil.page_sizes_mm(pdf) == [(210.0, 148.0)] * 2  # 4 A6 pages on one A5 sheet


def test_every_problem_with_clinic_layouts_is_reported_at_once(clinic):
    toml = clinic / "leaflet.toml"
    toml.write_text(toml.read_text() + """
[layouts.poster]
page = "a3"

[layouts.slip]
template = "slip.html"
stylesheet = "card.css"
page = "b7"
colour = "red"

[layouts.folded]
extends = "trifold"
pdf_variant = "pdf/ua-1"

[layouts.Bad_Name]
extends = "standard"
""")
    with pytest.raises(LeafletError) as caught:
        load_config(clinic)
    # One line each, on the line of the setting (or of its table).
    problems = caught.value.problems
    assert len(problems) in (5, 6), problems
    assert all(p.line for p in problems), [p.format_message() for p in problems]
    message = "\n".join(p.detail for p in problems)
    assert ("layouts.poster: 'poster' is a built-in layout; give yours another name (or "
            "restyle the built-in one with templates/poster.html and styles/poster.css)"
            ) in message
    assert "unknown setting layouts.slip.colour" in message
    assert ('layouts.slip.page must be a size such as "a5", "a4 landscape" or [148, 210] '
            "(millimetres), or a table {a4 = …, letter = …}") in message
    assert ("layouts.folded: a tagged PDF (pdf/ua-1) cannot be imposed on sheets (the tags "
            'would be lost): set impose = "none" or another pdf_variant') in message
    assert "layouts.Bad_Name: a layout name is lower-case letters" in message


def test_a_missing_template_is_named(clinic):
    toml = clinic / "leaflet.toml"
    toml.write_text(toml.read_text().replace('template = "card.html"', 'template = "crad.html"'))
    with pytest.raises(LeafletError) as caught:
        load_config(clinic)
    assert caught.value.detail == "layouts.card: template file 'crad.html' not found in templates/"


def test_unknown_layout_on_the_command_line_lists_the_clinics_too(clinic, run):
    result = run(["--project", clinic, "build", "--layout", "cards"])
    assert result.exit_code == 2
    assert ("unknown layout 'cards'; known layouts: standard, booklet, trifold, large-print, "
            "poster, card, a5-handout") in result.output
