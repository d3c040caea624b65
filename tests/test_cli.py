"""The command line: help, version, usage errors, and a real build of the fixture project."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

import pdfutil
from leaflet.cli import main

COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(run, command):
    result = run([command, "--help"])
    assert result.exit_code == 0
    assert main.commands[command].help, f"{command} has no help text"
    assert "Usage: leaflet " + command in result.output


def test_version(run):
    from leaflet import __version__

    result = run(["--version"])
    assert result.output.strip() == f"leaflet, version {__version__}"


def test_help_does_not_import_weasyprint():
    code = ("import sys; from click.testing import CliRunner; from leaflet.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
            "print('weasyprint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_build_writes_standard_pdf(project, run):
    result = run(["--project", project, "build", "-j", "1"])
    assert result.exit_code == 0, result.output
    pdf = project / "dist" / "sample" / "sample.en.standard.pdf"
    assert pdf.is_file()
    assert "1 built, 0 cached, 0 failed" in result.output
    assert set(pdfutil.page_sizes_mm(pdf)) == {(210.0, 297.0)}
    text = pdfutil.words(pdfutil.text(pdf))
    for expected in ("Sample leaflet title", "This is the first paragraph of the body.",
                     "Get help now", "cell b1", "Version 1.2", "Published January 15, 2026",
                     "Next review due February 1, 2028", "Page 1 of", "Test Clinic",
                     "This leaflet does not replace advice from your doctor",
                     "First source reference."):
        assert expected in text, expected


def test_fonts_are_embedded_from_the_font_packages(project, run):
    run(["--project", project, "build", "-j", "1"])
    fonts = pdfutil.fonts(project / "dist" / "sample" / "sample.en.standard.pdf")
    assert fonts, "no fonts found"
    assert all(fonts.values()), f"not embedded: {fonts}"
    assert all(name.startswith("Atkinson-Hyperlegible") for name in fonts), fonts


def test_pdf_metadata_comes_from_front_matter(project, run):
    run(["--project", project, "build", "-j", "1"])
    pdf = project / "dist" / "sample" / "sample.en.standard.pdf"
    meta = pdfutil.metadata(pdf)
    assert meta["/Title"] == "Sample leaflet title"
    assert meta["/Author"] == "Test Team"
    assert meta["/Subject"] == "This sample explains one simple thing in one sentence."
    assert meta["/Keywords"] == "sample, test"
    assert meta["/CreationDate"].startswith("D:20260115")
    assert meta["/ModDate"].startswith("D:20260201")
    assert str(pdfutil.reader(pdf).trailer["/Root"]["/Lang"]) == "en"


def test_build_has_no_weasyprint_warnings(project, run):
    import json

    result = run(["--project", project, "build", "-j", "1"])
    assert "warning" not in result.output
    manifest = json.loads((project / "dist" / "manifest.json").read_text())
    assert [o["warnings"] for o in manifest["outputs"]] == [[]]


def test_same_inputs_same_bytes(project, run, tmp_path):
    run(["--project", project, "build", "-j", "1", "--out", tmp_path / "a"])
    run(["--project", project, "build", "-j", "1", "--out", tmp_path / "b"])
    a = (tmp_path / "a" / "sample" / "sample.en.standard.pdf").read_bytes()
    b = (tmp_path / "b" / "sample" / "sample.en.standard.pdf").read_bytes()
    assert a == b


@pytest.mark.parametrize("args, message", [
    (["nope"], "unknown leaflet 'nope'; known leaflets: sample"),
    (["--lang", "xx"], "unknown language 'xx'; languages available: en"),
    (["--layout", "flyer"], "unknown layout 'flyer'; known layouts: standard, booklet, "
                            "trifold, large-print, poster"),
])
def test_unknown_names_are_usage_errors(project, run, args, message):
    result = run(["--project", project, "build", *args])
    assert result.exit_code == 2
    assert f"Error: {message}" in result.output


def test_missing_translation_asked_explicitly_is_an_error(project, run):
    es = project / "content" / "other"
    es.mkdir()
    (es / "es.md").write_text((project / "content" / "sample" / "en.md").read_text())
    result = run(["--project", project, "build", "sample", "--lang", "es"])
    assert result.exit_code == 2
    assert "leaflet 'sample' has no 'es' translation; it has: en" in result.output


def test_missing_translation_in_a_batch_is_a_reported_skip(project, run):
    es = project / "content" / "other"
    es.mkdir()
    (es / "es.md").write_text((project / "content" / "sample" / "en.md").read_text())
    result = run(["--project", project, "build", "--lang", "es", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "skipped  sample/sample.es.standard.pdf: no es translation" in result.output
    assert not (project / "dist" / "sample" / "sample.es.standard.pdf").exists()


def test_bad_front_matter_is_one_error_line(project, run):
    path = project / "content" / "sample" / "en.md"
    path.write_text(path.read_text().replace("published: 2026-01-15", "published: someday"))
    result = run(["--project", project, "build", "-j", "1"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: {path}:5: 'published' must be a date written YYYY-MM-DD, "
                      "not 'someday'"]
    assert "Traceback" not in result.output


def test_project_option_must_exist(run, tmp_path):
    result = run(["--project", tmp_path / "nope", "list"])
    assert result.exit_code == 2
    assert "folder not found" in result.output


def test_list_shows_languages_and_dates(project, run):
    result = run(["--project", project, "list"])
    assert result.exit_code == 0
    assert "sample" in result.output
    assert "en" in result.output and "published 2026-01-15" in result.output
    assert "next review 2028-02-01" in result.output


def test_layouts_lists_every_layout(run):
    from leaflet.layouts import LAYOUTS

    result = run(["layouts"])
    for name, layout in LAYOUTS.items():
        assert f"{name}" in result.output and layout.description in result.output


def test_usage_error_class_is_click_usage_error():
    # Exit code 2 comes from click.UsageError; keep the contract explicit.
    assert click.UsageError("x").exit_code == 2


def test_list_reads_the_front_matter_only(project, run, monkeypatch):
    """Listing converts no Markdown body (0.3 s for 80 files when it did)."""
    from leaflet import content

    def no_conversion(*args, **kwargs):
        raise AssertionError("leaflet list converted a body to HTML")

    monkeypatch.setattr(content, "markdown_to_html", no_conversion)
    result = run(["--project", project, "list"])
    assert result.exit_code == 0, result.output
    assert "Sample leaflet title" in result.output
