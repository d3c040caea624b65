"""`leaflet check`: every rule passes on check-pass and fails on check-fail (or a copy of
check-pass broken on purpose), with its file and line; exit codes, JSON and the sample."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import REPO
from leaflet import check, fonts, i18n
from leaflet.config import load_config
from leaflet.content import load_leaflet
from leaflet.errors import LeafletError
from leaflet.fonts import check_glyphs

TODAY = "2026-06-01"

# Every finding check-fail gives on TODAY: (rule, path relative to the project, line).
FAIL_EXPECTED = Counter([
    ("clinic-contact", "leaflet.toml", None),
    ("feedback-route", "leaflet.toml", None),
    ("brand-contrast", "leaflet.toml", 6),
    ("img-alt", "content/access/en.md", 15),  # ![](…)
    ("img-alt", "content/access/en.md", 17),  # <img> without alt
    ("file-missing", "content/access/en.md", 19),
    ("file-outside", "content/access/en.md", 21),
    ("file-remote", "content/access/en.md", 23),
    ("heading-skip", "content/access/en.md", 25),  # a level-1 heading in the body
    ("heading-skip", "content/access/en.md", 29),  # level 4 after level 2
    ("large-print-emphasis", "content/access/en.md", 31),  # *italic*
    ("large-print-emphasis", "content/access/en.md", 33),  # <u>
    ("long-sentence", "content/access/en.md", 35),
    ("meta-invalid", "content/broken/en.md", 4),
    ("meta-review-span", "content/dates/en.md", 7),
    ("review-overdue", "content/dates/en.md", 7),
    ("glyph-missing", "content/glyph/en.md", 15),
    ("readability-grade", "content/hard/en.md", 12),
    ("translation-stale", "content/langs/es.md", 6),
    ("translation-draft", "content/langs/es.md", 7),
    ("translation-source-missing", "content/langs/fr.md", 5),
    ("translation-draft", "content/langs/fr.md", 7),
    ("meta-missing", "content/no-owner/en.md", 2),  # owner
    ("meta-missing", "content/no-owner/en.md", 2),  # sources
    ("translation-missing", "content/only-es", None),
    ("review-soon", "content/soon/en.md", 7),
])
# Rules that need a project broken in another way; each has its own test below.
# Exercised by other tests (placeholder: tests/test_scaffold.py, html-removed:
# tests/test_sanitize.py, file-name: tests/test_authoring.py, img-large and
# img-too-large: tests/test_images.py, the others here below).
ELSEWHERE = {"config-invalid", "font-unavailable", "catalog-invalid", "placeholder",
             "html-removed", "file-name", "img-large", "img-too-large"}


def check_json(run, project, *args, today=TODAY):
    result = run(["--project", project, "check", "--format", "json", "--today", today, *args])
    return result, json.loads(result.output)


def found(doc) -> Counter:
    return Counter((f["rule"], f["path"], f["line"]) for f in doc["findings"])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------- pass and fail fixtures

def test_pass_fixture_has_no_findings(run, fixture_project):
    result = run(["--project", fixture_project("check-pass"), "check", "--today", TODAY])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "0 errors, 0 warnings, 0 info"
    assert "advice/en: Flesch-Kincaid grade" in result.output
    assert "advice/es: Fernández-Huerta" in result.output


def test_fail_fixture_reports_every_rule_with_file_and_line(run, fixture_project):
    result, doc = check_json(run, fixture_project("check-fail"))
    assert result.exit_code == 1
    assert found(doc) == FAIL_EXPECTED


def test_every_rule_is_exercised_and_documented():
    assert {rule for rule, _, _ in FAIL_EXPECTED} | ELSEWHERE == set(check.RULES)
    for severity, description in check.RULES.values():
        assert severity in check.SEVERITIES and description


def test_messages_name_the_problem(run, fixture_project):
    _, doc = check_json(run, fixture_project("check-fail"))
    messages = {(f["rule"], f["path"], f["line"]): f["message"] for f in doc["findings"]}
    assert messages["review-overdue", "content/dates/en.md", 7] == (
        "review overdue since 2023-06-01: review the leaflet, then update reviewed and "
        "next_review")
    assert messages["translation-stale", "content/langs/es.md", 6].startswith(
        "translated from 1.0, source is now 1.2")
    assert "U+0B95 TAMIL LETTER KA" in messages["glyph-missing", "content/glyph/en.md", 15]
    assert "fontpkg-noto-sans-tamil" in messages["glyph-missing", "content/glyph/en.md", 15]
    assert "2.23:1" in messages["brand-contrast", "leaflet.toml", 6]
    assert messages["file-missing", "content/access/en.md", 19] == \
        "image not found: ../../assets/none.svg"
    assert messages["large-print-emphasis", "content/access/en.md", 31].startswith(
        'italic text ("important")')
    assert messages["large-print-emphasis", "content/access/en.md", 33].startswith(
        'underlined text ("also important")')
    assert "sentence of 32 words" in messages["long-sentence", "content/access/en.md", 35]


# ---------------------------------------------------------------- leaflet.toml rules

@pytest.mark.parametrize("old, new, rule", [
    ('brand_colour = "#005eb8"', 'brand_colour = "#777777"', "brand-contrast"),  # 4.48:1
    ('feedback = "https://pass.example/feedback"\n', "", "feedback-route"),
    ('phone = "0100 000 001"\nemail = "clinic@pass.example"\n', "", "clinic-contact"),
    ('name = "Pass Clinic"\n', "", "clinic-contact"),
    ('languages = ["en", "es"]', 'languages = ["en", "es", "pl"]', "translation-missing"),
])
def test_project_rules_fail_when_broken(run, fixture_project, old, new, rule):
    project = fixture_project("check-pass")
    edit(project / "leaflet.toml", old, new)
    result, doc = check_json(run, project)
    assert [f["rule"] for f in doc["findings"]] == [rule]
    assert result.exit_code == (1 if check.RULES[rule][0] == "error" else 0)


def test_contrast_ratio_matches_wcag():
    assert check.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert check.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert check.contrast_ratio("#005eb8", "#ffffff") == pytest.approx(6.38, abs=0.01)


def test_brand_colour_just_above_the_limit_passes(run, fixture_project):
    project = fixture_project("check-pass")
    edit(project / "leaflet.toml", '"#005eb8"', '"#767676"')
    assert check_json(run, project)[1]["findings"] == []


def test_bad_leaflet_toml_is_a_finding(run, fixture_project):
    project = fixture_project("check-pass")
    edit(project / "leaflet.toml", "[build]", "[build\n")
    result = run(["--project", project, "check", "--today", TODAY])
    assert result.exit_code == 1
    assert "error config-invalid: not valid TOML" in result.output


# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("today, rules", [
    ("2028-11-10", []),  # 61 days before next_review; the project's window is 60 days
    ("2028-11-11", ["review-soon"]),
    ("2029-01-10", ["review-soon"]),  # due today
    ("2029-01-11", ["review-overdue"]),
])
def test_review_window(run, fixture_project, today, rules):
    project = fixture_project("check-pass")
    _, doc = check_json(run, project, "--lang", "en", today=today)
    assert [f["rule"] for f in doc["findings"]] == rules


def test_review_span_of_exactly_three_years_passes_and_one_day_more_fails(run,
                                                                         fixture_project):
    project = fixture_project("check-pass")
    path = project / "content/advice/en.md"
    edit(path, "next_review: 2029-01-10", "next_review: 2029-01-11")
    _, doc = check_json(run, project, "--lang", "en")
    assert found(doc) == Counter([("meta-review-span", "content/advice/en.md", 7)])


# ---------------------------------------------------------------- malformed files

@pytest.mark.parametrize("content, line, message", [
    (b"---\ntitle: x\nsummary: \xff\n---\n", 3, "not valid UTF-8 text"),
    (b"no front matter\n", 1, "must start with a '---' line"),
    (b"---\ntitle: [\n", 1, "front matter has no closing '---' line"),
    (b"---\ntitle: x\x00\n---\n", None, "not a text file"),
])
def test_malformed_files_are_findings_not_tracebacks(run, fixture_project, content, line,
                                                    message):
    project = fixture_project("check-pass")
    (project / "content/advice/en.md").write_bytes(content)
    result, doc = check_json(run, project, "--lang", "en")
    assert result.exit_code == 1
    (only,) = doc["findings"]
    assert (only["rule"], only["path"], only["line"]) == ("meta-invalid",
                                                          "content/advice/en.md", line)
    assert only["message"].startswith(message)


def test_unknown_field_and_missing_fields_are_all_reported(run, fixture_project):
    project = fixture_project("check-pass")
    path = project / "content/advice/en.md"
    edit(path, "owner: Sleep Clinic Team\n", "colour: blue\n")
    _, doc = check_json(run, project, "--lang", "en")
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [
        ("meta-missing", 2), ("meta-invalid", 8)]
    assert doc["findings"][0]["message"].startswith("no owner named")
    assert "unknown front matter field 'colour'" in doc["findings"][1]["message"]


# ---------------------------------------------------------------- fonts and catalogs

def test_glyph_rule_is_the_build_check(fixture_project):
    project = fixture_project("check-fail")
    config = load_config(project)
    leaflet = load_leaflet(project / "content/glyph/en.md")
    faces = fonts.font_stack("en", config.fonts)
    with pytest.raises(LeafletError) as raised:
        check_glyphs(leaflet, i18n.load_catalog("en", project), faces)
    (finding,) = check.blocking_errors(config, leaflet.path, dt.date(2026, 6, 1))
    assert (finding.rule, finding.line, finding.message) == (
        "glyph-missing", raised.value.line, raised.value.detail)


def test_unreadable_catalog_is_a_finding(run, fixture_project):
    project = fixture_project("check-pass")
    po = project / "locales/es/LC_MESSAGES/leaflet.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "a"\nmsgstr "b"\nmsgid\n', encoding="utf-8")
    result, doc = check_json(run, project, "--lang", "es")
    assert [(f["rule"], f["path"]) for f in doc["findings"]] == [
        ("catalog-invalid", "locales/es/LC_MESSAGES/leaflet.po")]
    assert result.exit_code == 1


def test_missing_font_package_is_a_finding(run, fixture_project, monkeypatch):
    monkeypatch.setitem(fonts.SCRIPT_FONTS, "Latn", ("fontpkg_not_installed_here",))
    result, doc = check_json(run, fixture_project("check-pass"), "--lang", "en")
    (only,) = doc["findings"]
    assert only["rule"] == "font-unavailable"
    assert "pip install fontpkg-not-installed-here" in only["message"]


# ---------------------------------------------------------------- API for the build

def test_blocking_errors_are_the_errors_of_one_file(fixture_project):
    project = fixture_project("check-fail")
    config = load_config(project)
    day = dt.date(2026, 6, 1)
    errors = check.blocking_errors(config, project / "content/access/en.md", day)
    assert [(f.rule, f.line) for f in errors] == [
        ("img-alt", 15), ("img-alt", 17), ("file-missing", 19), ("file-outside", 21)]
    assert all(f.severity == "error" for f in errors)
    assert check.blocking_errors(config, project / "content/soon/en.md", day) == []
    assert [f.rule for f in check.project_errors(config)] == [
        "clinic-contact", "feedback-route", "brand-contrast"]
    passing = fixture_project("check-pass")
    assert check.blocking_errors(load_config(passing), passing / "content/advice/es.md",
                                 day) == []


# ---------------------------------------------------------------- command line

def test_exit_codes_and_strict(run, fixture_project):
    project = fixture_project("check-pass")
    warn = ["--project", project, "check", "--today", "2029-01-01"]  # review due soon
    assert run(warn).exit_code == 0
    assert run([*warn, "--strict"]).exit_code == 1
    assert run(["--project", project, "check", "--today", "2029-02-01"]).exit_code == 1


@pytest.mark.parametrize("args", [["--today", "2026-02-30"], ["--today", "soon"],
                                  ["no-such-leaflet"], ["--lang", "xx"],
                                  ["--format", "xml"]])
def test_usage_errors_exit_2(run, fixture_project, args):
    result = run(["--project", fixture_project("check-pass"), "check", *args])
    assert result.exit_code == 2


def test_text_output_groups_findings_by_file(run, fixture_project, monkeypatch):
    project = fixture_project("check-fail")
    monkeypatch.chdir(project)  # file names are shown as the user would type them
    result = run(["check", "--today", TODAY])
    lines = result.output.splitlines()
    first = lines.index("")  # leaflet.toml's findings come first, then a blank line
    assert all(" error " in line for line in lines[:first])
    assert lines[first + 1].startswith("content/access/en.md:15: error img-alt: image ")
    dates = [line for line in lines if line.startswith("content/dates/en.md")]
    assert dates == [
        "content/dates/en.md:7: error meta-review-span: next_review 2023-06-01 is more than "
        "3 years after reviewed 2020-01-01 (latest allowed: 2023-01-01)",
        "content/dates/en.md:7: error review-overdue: review overdue since 2023-06-01: review "
        "the leaflet, then update reviewed and next_review",
    ]
    assert "Readability (target: US grade 8 or the language's equivalent):" in lines
    assert "  hard/en: Flesch-Kincaid grade 30.0 (target: 8 or lower)" in result.output
    assert lines[-1] == "13 errors, 11 warnings, 2 info"


def test_quiet_prints_only_errors(run, fixture_project):
    result = run(["--project", fixture_project("check-fail"), "-q", "check", "--today", TODAY])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line]
    assert len(lines) == 13 and all(" error " in line for line in lines)


def test_json_schema(run, fixture_project):
    _, doc = check_json(run, fixture_project("check-fail"))
    assert set(doc) == {"schema", "today", "target_grade", "summary", "findings",
                        "readability"}
    assert doc["schema"] == 1 and doc["today"] == TODAY and doc["target_grade"] == 8
    assert doc["summary"] == {"error": 13, "warning": 11, "info": 2}
    for f in doc["findings"]:
        assert set(f) == {"rule", "severity", "path", "line", "message"}
        assert f["severity"] == check.RULES[f["rule"]][0]
        assert f["line"] is None or isinstance(f["line"], int)
    hard = next(r for r in doc["readability"] if r["slug"] == "hard")
    assert set(hard) == {
        "slug", "lang", "path", "formula", "formula_name", "value", "grade", "target_grade",
        "target_value", "higher_is_easier", "ok", "sentences", "words", "syllables", "smog",
        "smog_note", "long_sentences"}
    assert (hard["lang"], hard["path"], hard["formula"], hard["ok"]) == (
        "en", "content/hard/en.md", "flesch-kincaid", False)
    broken = next(r for r in doc["readability"] if r["slug"] == "broken")
    assert broken["formula"] is None
    access = next(r for r in doc["readability"] if r["slug"] == "access")
    assert access["long_sentences"][0]["line"] == 35


def test_lang_and_slug_narrow_the_check(run, fixture_project):
    project = fixture_project("check-fail")
    _, doc = check_json(run, project, "langs", "--lang", "es")
    # The English source is read to compare versions but not itself checked.
    assert found(doc) - Counter({k: v for k, v in FAIL_EXPECTED.items()
                                 if k[1] == "leaflet.toml"}) == Counter([
        ("translation-stale", "content/langs/es.md", 6),
        ("translation-draft", "content/langs/es.md", 7)])
    assert [r["lang"] for r in doc["readability"]] == ["es"]


def test_check_does_not_import_weasyprint(tmp_path):
    code = ("import sys\nfrom leaflet.cli import main\n"
            "try:\n    main(['--project', sys.argv[1], 'check', '--today', '2026-06-01'])\n"
            "except SystemExit:\n    pass\n"
            "assert 'weasyprint' not in sys.modules, 'check imported WeasyPrint'\n"
            "print('ok', file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip().endswith("ok"), result.stderr


# ---------------------------------------------------------------- the sample project

def test_sample_passes_and_english_reads_at_grade_8_or_below(run):
    result, doc = check_json(run, REPO, today="2027-01-01")
    assert result.exit_code == 0, [f for f in doc["findings"] if f["severity"] == "error"]
    english = [r for r in doc["readability"] if r["lang"] == "en"]
    assert english and all(r["ok"] and r["grade"] <= 8 for r in english)
    assert all(r["formula"] for r in doc["readability"])  # every language scored
    assert {r["lang"] for r in doc["readability"]} >= {"en", "es", "fr", "pl", "ar", "hi"}


def test_an_impossible_link_is_a_finding_not_a_traceback(project, run):
    source = project / "content" / "sample" / "en.md"
    source.write_text(source.read_text() + "\n[x](" + "a" * 300 + ".pdf)\n")
    result = run(["--project", project, "check"])
    assert result.exit_code == 1
    assert "error file-missing: linked file not found: aaaa" in result.output
    result = run(["--project", project, "build", "-j", "1"])
    assert result.exit_code == 1 and "file-missing" in result.output
