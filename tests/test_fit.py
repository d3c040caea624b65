"""The fit policy: the largest type that fits, in few renders; hints from the last build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leaflet import i18n
from leaflet.config import load_config
from leaflet.content import load_leaflet
from leaflet.layouts import LAYOUTS
from leaflet.options import RenderOptions
from leaflet.produce import (FitHint, _largest_fitting, _size_grid, fit, spilled_parts,
                              unbreakable_texts)
from leaflet.proof import proof
from leaflet.render import Renderer

REPO = Path(__file__).resolve().parent.parent
POSTER_GRID = _size_grid(LAYOUTS["poster"])


def top_down(grid, fits):
    """What the search must agree with: the first size that fits, from the largest down."""
    return next((size for size in grid if fits(size)), None)


def synthetic(threshold: float, jump: float = 0.0, jump_at: float = 99.0):
    """A leaflet whose content grows with the type size (a heading that rewraps into one
    more line at ``jump_at`` adds ``jump``), on a page that holds it up to ``threshold``."""

    def height(size: float) -> float:
        return 500 + 44 * size + (jump if size >= jump_at else 0.0)

    page = height(threshold) + 10
    calls: list[float] = []

    def measure(size: float):
        calls.append(size)
        return height(size) <= page, height(size), page

    return measure, calls


@pytest.mark.parametrize("threshold", [*POSTER_GRID, 15.5])
@pytest.mark.parametrize("jump_below", [None, 0.5, 2.0])
def test_the_search_agrees_with_trying_every_size_from_the_top(threshold, jump_below):
    jump_at = threshold + jump_below if jump_below is not None else 99.0
    measure, calls = synthetic(threshold, 120.0 if jump_below else 0.0, jump_at)
    found = _largest_fitting(POSTER_GRID, measure)
    searched = list(calls)
    assert found == top_down(POSTER_GRID, lambda s: measure(s)[0])
    assert len(searched) == len(set(searched))  # never the same size twice
    assert len(searched) <= 5  # the top-down search takes up to 13


def test_the_search_terminates_on_content_that_does_not_fit_monotonically():
    fits = {22.0: False, 21.5: True, 21.0: False, 20.5: True}  # a pathological layout

    def measure(size):
        return fits.get(size, True), 1474.0 if fits.get(size, True) else 1600.0, 1474.0

    found = _largest_fitting(POSTER_GRID, measure)
    assert found is not None and fits.get(found, True)


@pytest.fixture(scope="module")
def renderer():
    return Renderer(load_config(REPO))


def fits_at(renderer, leaflet, layout, size) -> bool:
    catalog = i18n.load_catalog(leaflet.lang, REPO)
    document, _ = renderer.render_document(leaflet, layout, catalog, RenderOptions(), size,
                                           {"padding": 0})
    return not spilled_parts(document, layout) and layout.holds(len(document.pages))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_sample_poster_takes_the_largest_size_that_fits(renderer, lang):
    leaflet = load_leaflet(REPO / "content" / "als-twitching" / f"{lang}.md")
    layout = renderer.config.layout("poster")
    fitted = fit(renderer, leaflet, layout, i18n.load_catalog(lang, REPO), RenderOptions())
    assert len(fitted.document.pages) == 1
    assert proof(fitted.document, unit=layout.unit, fetched=renderer.fetched,
                 keep_whole=unbreakable_texts(renderer, leaflet)) == []  # test_engine: others
    assert fitted.body_pt < layout.body_pt  # the sample is too long for 22 pt
    assert not fits_at(renderer, leaflet, layout, fitted.body_pt + layout.shrink_step)
    assert fitted.renders <= 5


def test_an_exact_hint_is_rendered_once_and_gives_the_same_result(renderer):
    leaflet = load_leaflet(REPO / "content" / "als-twitching" / "en.md")
    layout = renderer.config.layout("poster")
    catalog = i18n.load_catalog("en", REPO)
    searched = fit(renderer, leaflet, layout, catalog, RenderOptions())
    again = fit(renderer, leaflet, layout, catalog, RenderOptions(),
                FitHint(searched.body_pt, searched.padding, exact=True))
    assert again.renders == 1 and again.body_pt == searched.body_pt
    # A hint from other inputs is no more than a guess at the padding: the size is searched
    # again, so the result does not depend on what was built before.
    stale = fit(renderer, leaflet, layout, catalog, RenderOptions(),
                FitHint(16.0, 0, exact=False))
    assert stale.body_pt == searched.body_pt


def test_a_booklet_with_the_right_padding_hint_is_rendered_once(renderer):
    leaflet = load_leaflet(REPO / "content" / "als-twitching" / "en.md")
    layout = renderer.config.layout("booklet")
    catalog = i18n.load_catalog("en", REPO)
    cold = fit(renderer, leaflet, layout, catalog, RenderOptions())
    assert len(cold.document.pages) % 4 == 0
    right = fit(renderer, leaflet, layout, catalog, RenderOptions(),
                FitHint(layout.body_pt, cold.padding))
    wrong = fit(renderer, leaflet, layout, catalog, RenderOptions(),
                FitHint(layout.body_pt, (cold.padding + 1) % 4))
    assert right.renders == 1 and wrong.renders == 2
    assert len(right.document.pages) == len(wrong.document.pages) == len(cold.document.pages)


def test_a_forced_rebuild_renders_every_output_once(fixture_project, run):
    project = fixture_project("layouts-sample")
    args = ["--project", project, "build", "-j", "1", "--lang", "en"]
    assert run(args).exit_code == 0
    assert run([*args, "--force"]).exit_code == 0
    manifest = json.loads((project / "dist" / "manifest.json").read_text())
    assert {e["layout"]: e["renders"] for e in manifest["outputs"]} == {
        "booklet": 1, "trifold": 1, "large-print": 1, "poster": 1}
