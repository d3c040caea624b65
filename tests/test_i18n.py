"""Languages: catalogs, locale dates, right-to-left, fonts per script, drafts, listing.

A note on Arabic and Hindi: WeasyPrint 70 maps each glyph of a font to the text of the
first cluster it was drawn for (no /ActualText), and Noto Sans Arabic / Devanagari share
glyphs between letters (dots, matra parts). Text extracted back from those PDFs therefore
swaps or drops whole letters, not only vowel signs, and which ones depends on the
document. So their translated text is checked in the HTML handed to WeasyPrint, and
their PDFs by what survives extraction reliably: /Lang, digits, the absence of English
template text, positions and fonts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pdfutil
import pytest
from click.testing import CliRunner

from leaflet import catalogs, fonts, i18n
from leaflet.errors import LeafletError

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
LANGS = ("en", "es", "fr", "pl", "ar", "hi")

# What each language's footer says for the fixture (published 2026-11-24, next review
# 2028-11-24, one page). Written out by hand: the test must not share the catalogs' data.
FOOTER = {
    "en": ["Page 1 of 1", "Published November 24, 2026", "Next review due November 24, 2028",
           "Key points", "Contact us"],
    "es": ["Página 1 de 1", "Publicado el 24 de noviembre de 2026",
           "Próxima revisión prevista: 24 de noviembre de 2028", "Puntos clave",
           "Contacte con nosotros"],
    "fr": ["Page 1 sur 1", "Publié le 24 novembre 2026",
           "Prochaine révision prévue le 24 novembre 2028", "Points clés", "Nous contacter"],
    "pl": ["Strona 1 z 1", "Data publikacji: 24 listopada 2026",
           "Termin następnego przeglądu: 24 listopada 2028", "Najważniejsze informacje",
           "Kontakt"],
    "ar": ["تاريخ النشر: 24 نوفمبر 2026", "موعد المراجعة القادمة: 24 نوفمبر 2028",
           "النقاط الرئيسية", "اتصل بنا"],
    "hi": ["प्रकाशित: 24 नवंबर 2026", "अगली समीक्षा की तिथि: 24 नवंबर 2028", "मुख्य बातें",
           "हमसे संपर्क करें"],
}
PAGE_COUNTER_CSS = {"ar": '"صفحة " counter(page) " من " counter(pages)',
                    "hi": '"पृष्ठ " counter(page) " / " counter(pages)'}
ENGLISH_TEMPLATE_TEXT = ("Page 1 of 1", "Published", "Next review due", "Key points",
                         "Contact us", "Written by")  # (French "Sources" is English too)


def _invoke(args):
    from leaflet.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The six-language fixture, built once for the module: (project, dist, output)."""
    project = tmp_path_factory.mktemp("i18n") / "i18n-sample"
    shutil.copytree(FIXTURES / "i18n-sample", project)
    # PDFs only here: the web version has its own tests (test_site*.py).
    result = _invoke(["--project", project, "build", "-j", "2", "--no-site"])
    assert result.exit_code == 0, result.output
    return project, project / "dist" / "sample", result.output


def pdf(dist: Path, lang: str) -> Path:
    return dist / f"sample.{lang}.standard.pdf"


def render_html(project: Path, lang: str) -> str:
    from leaflet.config import load_config
    from leaflet.content import load_leaflet
    from leaflet.layouts import get_layout
    from leaflet.render import Renderer

    config = load_config(project)
    leaflet = load_leaflet(project / "content" / "sample" / f"{lang}.md")
    catalog = i18n.load_catalog(lang, project)
    return Renderer(config).render_html(leaflet, get_layout("standard"), catalog)


def runs(path: Path, page: int = 0) -> list[tuple[float, float, str]]:
    """(x, font size, text) of each text run on a page, x in points from the left."""
    found = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            found.append((x, font_size * scale, text))

    pdfutil.reader(path).pages[page].extract_text(visitor_text=visit)
    return found


# ------------------------------------------------------------------ per language


@pytest.mark.parametrize("lang", LANGS)
def test_pdf_language_footer_and_dates(sample, lang):
    project, dist, _ = sample
    path = pdf(dist, lang)
    assert pdfutil.reader(path).trailer["/Root"]["/Lang"] == lang
    text = pdfutil.words(pdfutil.text(path))
    if lang in ("ar", "hi"):
        html = render_html(project, lang)
        # The text as printed: dates sit in spans that keep them on one line.
        printed = re.sub(r"<[^>]*>", "", html)
        for expected in FOOTER[lang]:
            assert expected in printed
        assert PAGE_COUNTER_CSS[lang] in html
        assert f'<html lang="{lang}" dir="{i18n.direction(lang)}">' in html
        for digits in ("24", "2026", "2028", "1.1"):
            assert digits in text
    else:
        for expected in FOOTER[lang]:
            assert expected in text
    if lang != "en":
        for english in ENGLISH_TEMPLATE_TEXT:
            assert english not in text, f"{english!r} left in English in {lang}"


def test_arabic_reads_right_to_left(sample):
    _, dist, _ = sample
    width = float(pdfutil.reader(pdf(dist, "ar")).pages[0].mediabox.width)

    def title_x(lang):
        biggest = max(size for _, size, _ in runs(pdf(dist, lang)))
        return min(x for x, size, _ in runs(pdf(dist, lang)) if size == biggest)

    assert title_x("en") < width / 4
    assert title_x("ar") > width / 2  # the title starts on the right half
    ar = runs(pdf(dist, "ar"))
    # The contact grid is mirrored: the label (Arabic) right of the value (Latin).
    phone_label = next(x for x, _, t in ar if "الها" in t)
    phone_value = next(x for x, _, t in ar if "0100 000 000" in t)
    assert phone_label > phone_value
    # Latin text keeps its own order inside the Arabic page.
    text = pdfutil.text(pdf(dist, "ar"))
    assert "12 Mill Lane, Testford TE1 2ST" in text
    assert "NHS. Test source. 2025." in text


def test_arabic_fonts_embedded(sample):
    _, dist, _ = sample
    fonts = pdfutil.fonts(pdf(dist, "ar"))
    assert "Noto-Sans-Arabic" in fonts and "Noto-Sans-Arabic-Bold" in fonts
    assert all(fonts.values()), fonts
    assert not any("Oblique" in name for name in fonts)  # no slanted Arabic for emphasis


def test_english_sources_in_arabic_keep_their_direction(sample):
    project, _, _ = sample
    html = render_html(project, "ar")
    # In the language of the leaflet they come from (translation_of), for screen readers.
    assert '<span dir="ltr" lang="en">NHS. Test source. 2025.</span>' in html
    assert '<span dir="ltr" lang="en">12 Mill Lane, Testford TE1 2ST</span>' in html
    assert i18n.text_direction("فريق NHS") == "rtl"
    assert i18n.text_direction("2025. NHS") == "ltr"
    assert i18n.text_direction("2025", default="rtl") == "rtl"


@pytest.mark.parametrize("lang", ["ar", "hi"])
def test_variable_fonts_shape_bold_with_bold_advances(lang):
    """A variable font declared once: bold text is wider than regular, not overlapping."""
    from weasyprint import HTML

    sample_text = {"ar": "ارتعاش العضلات", "hi": "मांसपेशियों का फड़कना"}[lang]
    faces = fonts.font_stack(lang)
    css = fonts.font_face_css(faces)
    assert "font-weight" not in css.split("Atkinson")[0]  # the Noto face: no fixed weight
    family = fonts.families(faces)[0]
    html = (f"<html lang={lang}><style>{css} body {{ font-family: '{family}'; font-size: 20pt }}"
            f"p {{ margin: 0 }}</style><p>{sample_text}</p><p><b>{sample_text}</b></p>")
    widths = []

    def walk(box):
        if type(box).__name__ == "TextBox":
            widths.append(box.width)
        for child in getattr(box, "children", None) or []:
            walk(child)

    walk(HTML(string=html).render().pages[0]._page_box)
    regular, bold = widths
    assert bold > regular * 1.03


# ------------------------------------------------------------------ no tofu


def test_glyph_check_names_file_line_character_and_package(fixture_project, run):
    project = fixture_project("i18n-tamil")
    result = run(["--project", project, "build"])
    assert result.exit_code == 1
    error = next(line for line in result.output.splitlines() if line.startswith("Error:"))
    assert "content/sample/en.md:15: " in error
    assert "no font has a glyph for U+0B95 TAMIL LETTER KA" in error
    assert "fontpkg-noto-sans-tamil" in error
    assert not (project / "dist" / "sample" / "sample.en.standard.pdf").exists()


def test_glyph_check_passes_on_the_sample_leaflet():
    from leaflet.content import discover, load_leaflet
    from leaflet.fonts import check_glyphs

    found = discover(REPO)
    assert found, "the repository ships sample content"
    for slug, langs in found.items():
        for lang, path in langs.items():
            check_glyphs(load_leaflet(path), i18n.load_catalog(lang, REPO), fonts.font_stack(lang))


def _tiny_font(path: Path, family: str, chars: str) -> None:
    """A TrueType font with a box glyph for each of ``chars``."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = [".notdef", "space"] + [f"uni{ord(c):04X}" for c in chars]
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0))
    pen.lineTo((100, 700))
    pen.lineTo((500, 700))
    pen.lineTo((500, 0))
    pen.closePath()
    box = pen.glyph()
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({32: "space", **{ord(c): f"uni{ord(c):04X}" for c in chars}})
    fb.setupGlyf({n: (TTGlyphPen(None).glyph() if n == "space" else box) for n in names})
    fb.setupHorizontalMetrics({n: (600, 0 if n == "space" else 100) for n in names})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": family, "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))


def test_a_clinic_font_covers_a_missing_script(fixture_project, run):
    project = fixture_project("i18n-tamil")
    (project / "fonts").mkdir()
    _tiny_font(project / "fonts" / "clinic-tamil.ttf", "Clinic Tamil", "க")
    with (project / "leaflet.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[fonts]]\nfamily = "Clinic Tamil"\nfile = "fonts/clinic-tamil.ttf"\n'
                 'scripts = ["Latn"]\n')
    result = run(["--project", project, "build"])
    assert result.exit_code == 0, result.output
    fonts = pdfutil.fonts(project / "dist" / "sample" / "sample.en.standard.pdf")
    assert fonts.get("Clinic-Tamil") is True, fonts


def test_clinic_font_from_a_package_file_leads_the_stack(fixture_project, run):
    import fontpkg_atkinson_hyperlegible as atkinson

    project = fixture_project("i18n-tamil")
    content = project / "content" / "sample" / "en.md"
    content.write_text(content.read_text(encoding="utf-8").replace(": க.", "."),
                       encoding="utf-8")
    (project / "fonts").mkdir()
    shutil.copy(Path(atkinson.ROOT) / "files" / "AtkinsonHyperlegible-Italic.ttf",
                project / "fonts" / "house.ttf")
    with (project / "leaflet.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[fonts]]\nfamily = "House Sans"\nfile = "fonts/house.ttf"\n'
                 'scripts = ["Latn"]\n')
    result = run(["--project", project, "build"])
    assert result.exit_code == 0, result.output
    fonts = pdfutil.fonts(project / "dist" / "sample" / "sample.en.standard.pdf")
    assert fonts.get("House-Sans") is True, fonts


# ------------------------------------------------------------------ catalogs


def test_shipped_catalogs_compile_and_are_complete(capsys):
    """Every .po compiles, the .pot matches the templates, every string is translated.

    Fails after a template gains text: run `make catalogs` and translate the new strings.
    """
    status = catalogs.check(REPO, strict=True)
    out = capsys.readouterr()
    assert status == 0, out.out + out.err
    shipped = {p.parent.parent.name for p in catalogs.po_files(REPO / "locales")}
    assert {"es", "fr", "pl", "ar", "hi"} <= shipped


@pytest.mark.parametrize("lang", ["es", "fr", "pl", "ar", "hi"])
def test_shipped_catalogs_have_plural_forms_and_language(lang):
    catalog = catalogs.read_po_file(REPO / "locales" / lang / "LC_MESSAGES" / "leaflet.po")
    assert str(catalog.locale) == lang
    assert catalog.num_plurals == {"es": 2, "fr": 2, "pl": 3, "ar": 6, "hi": 2}[lang]


BROKEN = {
    "unclosed quote": ('msgid "Sources"\nmsgstr "Fuentes\n', 2, "not closed"),
    "unknown keyword": ('msgid "Sources"\nmsgstring "Fuentes"\n', 2, "unknown keyword"),
    "duplicate": ('msgid "Sources"\nmsgstr "A"\n\nmsgid "Sources"\nmsgstr "B"\n', 4,
                  "already defined on line 1"),
    "wrong placeholder": ('msgid "Published %(date)s"\nmsgstr "Publicado el %(data)s"\n', 1,
                          "uses %(data)s, which the template does not supply"),
    "dropped placeholder": ('msgid "Published %(date)s"\nmsgstr "Publicado"\n', 1,
                            "leaves out %(date)s"),
    "stray percent": ('msgid "Sources"\nmsgstr "100 % Fuentes"\n', 1, "write %%"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_catalog_is_an_error_with_file_and_line(tmp_path, case):
    body, line, words = BROKEN[case]
    path = tmp_path / "leaflet.po"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(LeafletError) as info:
        catalogs.read_po_file(path)
    assert info.value.path == path and info.value.line == line
    assert words in info.value.detail


def test_broken_project_catalog_fails_the_build_and_check(fixture_project, run, capsys):
    project = fixture_project("i18n-partial-catalog")
    po = project / "locales" / "es" / "LC_MESSAGES" / "leaflet.po"
    po.write_text(po.read_text(encoding="utf-8").replace('"Publicado el %(date)s"',
                                                         '"Publicado el %(fecha)s"'),
                  encoding="utf-8")
    result = run(["--project", project, "build"])
    assert result.exit_code == 1
    error = next(line for line in result.output.splitlines() if line.startswith("Error:"))
    assert "locales/es/LC_MESSAGES/leaflet.po:14: " in error
    assert "the translation of 'Published %(date)s' uses %(fecha)s" in error
    assert catalogs.check(project) == 1
    assert "leaflet.po:14" in capsys.readouterr().err


def test_missing_catalog_string_falls_back_to_english_and_is_reported(fixture_project, run):
    project = fixture_project("i18n-partial-catalog")
    result = run(["--project", project, "build"])
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.output.splitlines() if "not translated" in line)
    assert "into es, shown in English" in warning and "'Key points'" in warning
    assert "'Contact us'" in warning
    text = pdfutil.words(pdfutil.text(project / "dist" / "sample" / "sample.es.standard.pdf"))
    assert "Página 1 de 1" in text and "Publicado el 24 de noviembre de 2026" in text
    assert "Key points" in text
    assert "Sources" in text and "dudosas" not in text  # a fuzzy entry is not used
    manifest = json.loads((project / "dist" / "manifest.json").read_text(encoding="utf-8"))
    assert any("not translated" in w for w in manifest["outputs"][0]["warnings"])


def test_update_extracts_new_text_and_keeps_translations(tmp_path, capsys):
    for name in ("templates", "locales"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "babel.cfg", tmp_path / "babel.cfg")
    (tmp_path / "leaflet").mkdir()
    shutil.copy(REPO / "leaflet" / "render.py", tmp_path / "leaflet" / "render.py")
    base = tmp_path / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace(
        "{% block body %}", '<p>{{ _("A brand new sentence") }}</p>\n{% block body %}'),
        encoding="utf-8")

    catalogs.update(tmp_path)
    assert 'msgid "A brand new sentence"' in (tmp_path / "locales" / "leaflet.pot").read_text(
        encoding="utf-8")
    es = catalogs.read_po_file(tmp_path / "locales" / "es" / "LC_MESSAGES" / "leaflet.po")
    assert es["A brand new sentence"].string == ""  # new text arrives empty, never guessed
    assert es["Key points"].string == "Puntos clave"
    assert catalogs.check(tmp_path) == 0
    assert catalogs.check(tmp_path, strict=True) == 1
    assert "'A brand new sentence'" in capsys.readouterr().out
    # Running it again changes nothing (no date-only churn in the files).
    before = {p: p.read_bytes() for p in (tmp_path / "locales").rglob("*.po*")}
    catalogs.update(tmp_path)
    assert before == {p: p.read_bytes() for p in (tmp_path / "locales").rglob("*.po*")}


def test_plural_forms_follow_the_language(tmp_path):
    po = tmp_path / "leaflet.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: pl\\n"\n'
        '"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && '
        '(n%100<10 || n%100>=20) ? 1 : 2);\\n"\n\n'
        'msgid "%(num)s page"\nmsgid_plural "%(num)s pages"\n'
        'msgstr[0] "%(num)s strona"\nmsgstr[1] "%(num)s strony"\nmsgstr[2] "%(num)s stron"\n',
        encoding="utf-8")
    messages, plural = i18n._read_catalog(po, po.stat().st_mtime)
    catalog = i18n.Catalog("pl", dict(messages), po, plural=plural)
    forms = [catalog.ngettext("%(num)s page", "%(num)s pages", n) for n in (1, 3, 5, 22)]
    assert forms == ["%(num)s strona", "%(num)s strony", "%(num)s stron", "%(num)s strony"]
    assert catalog.ngettext("%(num)s day", "%(num)s days", 2) == "%(num)s days"
    assert catalog.missing == {"%(num)s day"}


def test_dates_use_the_leaflets_locale():
    day = dt.date(2026, 11, 24)
    assert i18n.format_date(day, "es") == "24 de noviembre de 2026"
    assert i18n.format_date(day, "pl") == "24 listopada 2026"
    assert i18n.format_date(day, "ar") == "24 نوفمبر 2026"
    assert i18n.format_date(day, "hi") == "24 नवंबर 2026"


# ------------------------------------------------------------------ drafts and listing


def test_draft_mark_on_every_page_in_both_languages(fixture_project, run):
    project = fixture_project("i18n-sample")
    fr = project / "content" / "sample" / "fr.md"
    paragraph = ("Cette phrase allonge la brochure pour qu'elle tienne sur plusieurs pages "
                 "et que la mention de brouillon soit vérifiée sur chacune d'elles. ")
    fr.write_text(fr.read_text(encoding="utf-8") + "".join(
        f"\n## Partie {i}\n\n{paragraph * 6}\n" for i in range(14)), encoding="utf-8")
    result = run(["--project", project, "build", "--lang", "fr", "--lang", "es"])
    assert result.exit_code == 0, result.output
    pages = pdfutil.page_texts(project / "dist" / "sample" / "sample.fr.standard.pdf")
    assert len(pages) >= 3
    for number, page in enumerate(pages, 1):
        text = pdfutil.words(page)
        assert "Traduction provisoire, pas encore vérifiée" in text, f"page {number}"
        assert "Draft translation, not yet checked" in text, f"page {number}"
    reviewed = pdfutil.text(project / "dist" / "sample" / "sample.es.standard.pdf")
    assert "Draft translation" not in reviewed and "provisional" not in reviewed


def test_no_drafts_skips_drafts_in_a_batch(fixture_project, run):
    project = fixture_project("i18n-sample")
    result = run(["--project", project, "build", "--no-drafts"])
    assert result.exit_code == 0, result.output
    out = project / "dist" / "sample"
    assert sorted(p.name for p in out.glob("*.pdf")) == ["sample.en.standard.pdf",
                                                         "sample.es.standard.pdf"]
    for lang in ("fr", "pl", "ar", "hi"):
        line = next(line for line in result.output.splitlines()
                    if line.startswith(f"skipped  sample/sample.{lang}.standard.pdf: "))
        assert line.endswith(f"content/sample/{lang}.md: draft translation, not yet checked "
                             "(translation_status: draft): --no-drafts refuses to build it")
    assert "2 built, 0 cached, 0 failed, 4 skipped" in result.output


def test_no_drafts_refuses_a_draft_asked_for_by_name(fixture_project, run):
    project = fixture_project("i18n-sample")
    result = run(["--project", project, "build", "sample", "--lang", "ar", "--no-drafts"])
    assert result.exit_code == 1
    error = next(line for line in result.output.splitlines() if line.startswith("Error:"))
    assert error.endswith("content/sample/ar.md: draft translation, not yet checked "
                          "(translation_status: draft): --no-drafts refuses to build it")
    assert not (project / "dist" / "sample" / "sample.ar.standard.pdf").exists()


def test_list_shows_status_and_out_of_date_translations(project_i18n_list):
    lines = {line.split()[0]: line for line in project_i18n_list.splitlines()[1:]}
    assert set(lines) == set(LANGS)
    assert "source" in lines["en"]
    assert "reviewed" in lines["es"] and "out of date" not in lines["es"]
    assert "draft, out of date (translated from 1.0, source is now 1.1)" in lines["fr"]
    for lang in ("pl", "ar", "hi"):
        assert "draft" in lines[lang] and "out of date" not in lines[lang]


@pytest.fixture
def project_i18n_list(fixture_project, run) -> str:
    result = run(["--project", fixture_project("i18n-sample"), "list"])
    assert result.exit_code == 0, result.output
    return result.output


# ---------------------------------------------------------------- hyphenation

# Prose of long words: some line of it ends inside a word. (Table cells are never
# hyphenated: base.css.)
LONG_WORDS = "\n\n" + " ".join(["Characteristically incomprehensibilities"] * 12) + "\n"


def _hyphenated(pdf) -> bool:
    return bool(re.search(r"[a-z][-\u2010]\n[a-z]", pdfutil.text(pdf)))


def test_prose_is_hyphenated_by_language_but_never_in_large_print(project, run):
    source = project / "content" / "sample" / "en.md"
    source.write_text(source.read_text() + LONG_WORDS)
    result = run(["--project", project, "build", "-j", "1", "--layout", "standard",
                  "--layout", "large-print"])
    assert result.exit_code == 0, result.output
    out = project / "dist" / "sample"
    assert _hyphenated(out / "sample.en.standard.pdf")
    assert not _hyphenated(out / "sample.en.large-print.pdf")


def test_hyphenation_only_where_pyphen_has_the_language():
    from leaflet import i18n

    assert i18n.can_hyphenate("es") and i18n.can_hyphenate("pt-BR")
    assert not i18n.can_hyphenate("ar")
