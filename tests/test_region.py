"""The clinic's region: dates and numbers in its style; region variants of a language use
that language's template text without a warning."""

from __future__ import annotations

import datetime as dt

import pytest

import pdfutil
from leaflet import i18n
from leaflet.config import load_config
from leaflet.errors import LeafletError


def _region(project, region):
    config = project / "leaflet.toml"
    config.write_text(config.read_text().replace('paper = "a4"',
                                                 f'paper = "a4"\nregion = "{region}"'))


def test_a_uk_clinic_dates_english_leaflets_the_uk_way(project, run):
    _region(project, "GB")
    result = run(["--project", project, "build", "-j", "1"])
    assert result.exit_code == 0, result.output
    text = pdfutil.words(pdfutil.text(project / "dist" / "sample" / "sample.en.standard.pdf"))
    assert "Published 15 January 2026" in text
    assert "Next review due 1 February 2028" in text


@pytest.mark.parametrize("lang, region, expected", [
    ("en", "", "October 15, 2026"),
    ("en", "GB", "15 October 2026"),
    ("en-US", "GB", "October 15, 2026"),  # a tag with its own region keeps it
    ("es", "MX", "15 de octubre de 2026"),
    ("pl", "GB", "15 października 2026"),  # no Polish-in-the-UK data: Polish style
])
def test_dates_follow_the_region_where_cldr_has_it(lang, region, expected):
    assert i18n.format_date(dt.date(2026, 10, 15), lang, region) == expected


def test_region_variants_use_their_language_text_without_warnings(project, run):
    source = project / "content" / "sample" / "en.md"
    for tag in ("en-GB", "es-MX"):
        (source.parent / f"{tag}.md").write_text(source.read_text())
    result = run(["--project", project, "build", "-j", "1", "--lang", "en-GB", "--lang",
                  "es-MX"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and "not translated" not in result.output
    es = pdfutil.words(pdfutil.text(project / "dist" / "sample" / "sample.es-MX.standard.pdf"))
    assert "Página 1 de" in es  # the Spanish catalog's text
    gb = pdfutil.words(pdfutil.text(project / "dist" / "sample" / "sample.en-GB.standard.pdf"))
    assert "Published 15 January 2026" in gb


def test_a_bad_region_is_named_on_its_line(project):
    _region(project, "UK")
    with pytest.raises(LeafletError) as caught:
        load_config(project)
    (problem,) = caught.value.problems
    assert problem.line == 13
    assert problem.detail == ('build.region must be a country or region code such as "GB", '
                              '"US" or "MX" (ISO 3166), not \'UK\'')
    config = project / "leaflet.toml"
    config.write_text(config.read_text().replace('region = "UK"', 'region = "gb"'))
    assert load_config(project).region == "GB"
