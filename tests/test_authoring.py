"""An author's first hour: every mistake reported once, on its line, with what to do."""

from __future__ import annotations

import json

from leaflet.errors import display_path

TODAY = "2026-06-01"


def test_build_reports_each_content_problem_once_per_file(project, run):
    path = project / "content" / "sample" / "en.md"
    path.write_text(path.read_text().replace("summary:", "sumary:")
                    .replace("published: 2026-01-15", "published: 2026-02-30"))
    result = run(["--project", project, "build", "-j", "1", "--layout", "standard",
                  "--layout", "large-print", "--layout", "poster"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    where = display_path(path)
    assert errors == [
        f"Error: {where}:3: unknown front matter field 'sumary': did you mean 'summary'?",
        f"Error: {where}:5: 'published' is 2026-02-30, a date that does not exist: check the "
        "day and the month",
    ]
    assert "0 built, 0 cached, 3 failed" in result.output


def test_check_lists_every_front_matter_problem(project, run):
    path = project / "content" / "sample" / "en.md"
    path.write_text(path.read_text().replace("summary:", "sumary:")
                    .replace("next_review:", "next_reveiw:"))
    result = run(["--project", project, "check", "--format", "json", "--today", TODAY])
    assert result.exit_code == 1
    found = [(f["rule"], f["line"], f["message"]) for f in json.loads(result.output)["findings"]]
    assert found == [
        ("meta-invalid", 3, "unknown front matter field 'sumary': did you mean 'summary'?"),
        ("meta-invalid", 7, "unknown front matter field 'next_reveiw': did you mean "
                            "'next_review'?"),
    ]


def _misname(project):
    sample = project / "content" / "sample" / "en.md"
    text = sample.read_text()
    for name in ("es_ES.md", "english.md", "xx.md", "tlh.md"):
        (sample.parent / name).write_text(text)
    (project / "content" / "Flu Vaccine 2026").mkdir()
    (project / "content" / "Flu Vaccine 2026" / "en.md").write_text(text)


MISNAMED = [
    ("content/Flu Vaccine 2026", "'Flu Vaccine 2026' is not a leaflet name (lower-case "
     "letters, digits and hyphens): rename the folder to 'flu-vaccine-2026'; until then "
     "nothing in it is built"),
    ("content/sample/english.md", "'english' is not a language tag: rename the file to en.md; "
     "until then it is not built"),
    ("content/sample/es_ES.md", "'es_ES' is not a language tag (tags use '-', not '_'): "
     "rename the file to es-ES.md; until then it is not built"),
    ("content/sample/tlh.md", "'tlh' is not a language leaflet knows (there is no locale "
     "data for it in Babel/CLDR, which gives dates, direction and fonts): name the file by "
     "its language, e.g. en.md, es.md or pt-BR.md; until then it is not built"),
    ("content/sample/xx.md", "'xx' is not a language leaflet knows (there is no locale data "
     "for it in Babel/CLDR, which gives dates, direction and fonts): name the file by its "
     "language, e.g. en.md, es.md or pt-BR.md; until then it is not built"),
]


def test_check_reports_names_that_are_not_slugs_or_languages(project, run):
    _misname(project)
    result = run(["--project", project, "check", "--format", "json", "--today", TODAY])
    assert result.exit_code == 1
    found = [(f["path"], f["message"]) for f in json.loads(result.output)["findings"]
             if f["rule"] == "file-name"]
    assert found == MISNAMED


def test_list_and_build_report_them_and_build_only_the_real_ones(project, run):
    _misname(project)
    result = run(["--project", project, "list"])
    assert result.exit_code == 0
    assert "Not built, because of their names:" in result.output
    for path, message in MISNAMED:
        assert f"  {display_path(project / path)}: {message}" in result.output
    result = run(["--project", project, "build", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert f"warning: {display_path(project / MISNAMED[2][0])}: {MISNAMED[2][1]}" \
        in result.output
    assert "1 built, 0 cached, 0 failed" in result.output
    assert sorted(p.name for p in (project / "dist").glob("*/*.pdf")) == [
        "sample.en.standard.pdf"]
