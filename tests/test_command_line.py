"""The command line behaves the same everywhere: -q and -v, the project found upwards,
impossible combinations as usage errors, shard manifests checked, paths relative."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from leaflet.errors import display_path


def test_quiet_silences_every_command(project, run, tmp_path):
    for args in (["init", tmp_path / "clinic"], ["new", "knee-pain"]):
        result = run(["-q", "--project", project, *args])
        assert result.exit_code == 0 and result.output == "", (args, result.output)
    assert (tmp_path / "clinic" / "leaflet.toml").is_file()
    assert (project / "content" / "knee-pain" / "en.md").is_file()
    result = run(["-q", "--project", project, "preview", "sample", "-j", "1"])
    assert result.exit_code == 0 and result.output == "", result.output
    assert (project / "preview" / "sample" / "contact-sheet.png").is_file()


def test_quiet_and_verbose_together_are_a_usage_error(project, run):
    result = run(["-q", "-v", "--project", project, "list"])
    assert result.exit_code == 2 and "-q (print only errors) and -v (say more)" in result.output


def test_very_verbose_build_shows_cache_decisions_timings_and_files(project, run):
    result = run(["-vv", "--project", project, "build", "-j", "1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"project: {project} (--project)"
    assert lines[2] == "  cache: no earlier build of it recorded: built"
    assert lines[3].startswith("  time: read ") and "lay out and make the PDF" in lines[3]
    assert lines[4].startswith("  read: ") and "assets/logo.svg" in lines[4]
    result = run(["--project", project, "build", "-j", "1", "-vv"])
    assert "cached   sample/sample.en.standard.pdf (" in result.output
    assert "  cache: inputs unchanged (key " in result.output
    path = project / "content" / "sample" / "en.md"
    path.write_text(path.read_text() + "\nMore.\n")
    result = run(["--project", project, "build", "-j", "1", "-vv"])
    assert "  cache: inputs changed (key " in result.output
    result = run(["--project", project, "build", "-j", "1", "-v"])  # one -v: no details
    assert "cache:" not in result.output and "cached   sample" in result.output


def test_found_upwards_from_a_subfolder(project, run, monkeypatch):
    monkeypatch.chdir(project / "content" / "sample")
    result = run(["-v", "list"])
    assert result.exit_code == 0, result.output
    assert f"project: {project} (leaflet.toml found in a parent folder)" in result.output
    assert "published 2026-01-15" in result.output
    (project / "leaflet.toml").unlink()  # a folder with only content/ is a project too
    result = run(["-v", "list"])
    assert f"project: {project} (content found in a parent folder)" in result.output


def test_tagged_variant_with_an_imposed_layout_is_a_usage_error(project, run):
    result = run(["--project", project, "build", "--pdf-variant", "pdf/ua-1",
                  "--layout", "standard", "--layout", "booklet"])
    assert result.exit_code == 2
    assert ("Error: --pdf-variant pdf/ua-1 is a tagged PDF, and booklet is imposed on sheets, "
            "which drops the tags: add --no-impose for tagged pages in reading order, or "
            "choose other layouts with --layout") in result.output
    assert not (project / "dist").exists()
    result = run(["--project", project, "build", "--pdf-variant", "pdf/ua-1", "--layout",
                  "booklet", "--no-impose", "-j", "1"])
    assert result.exit_code == 0, result.output


def _manifest(path, slug):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"outputs": [{"slug": slug, "lang": "en", "layout": "standard",
                                             "path": f"{slug}/{slug}.en.standard.pdf",
                                             "status": "built"}]}))
    return path


def test_merge_manifests_warns_about_missing_and_repeated_shards(run, tmp_path):
    one = _manifest(tmp_path / "a" / "manifest.shard-1-of-3.json", "a")
    again = _manifest(tmp_path / "b" / "manifest.shard-1-of-3.json", "b")
    three = _manifest(tmp_path / "c" / "manifest.shard-3-of-3.json", "c")
    result = run(["merge-manifests", one, again, three, "--out", tmp_path / "m.json"])
    assert result.exit_code == 0
    assert ("warning: shard 2 of 3 is missing (manifest.shard-2-of-3.json): the merged "
            "manifest lacks their outputs") in result.output
    assert f"warning: shard 1 of 3 is given 2 times ({one}, {again}): the last one read wins" \
        in result.output
    result = run(["-q", "merge-manifests", one, three, "--out", tmp_path / "m.json"])
    assert result.output == ""
    two = _manifest(tmp_path / "manifest.shard-2-of-3.json", "d")
    result = run(["merge-manifests", one, two, three, "--out", tmp_path / "m.json"])
    assert "warning" not in result.output
    assert "3 outputs from 3 manifests" in result.output


def test_junit_file_attributes_are_relative_to_the_project(project, run, tmp_path):
    report = tmp_path / "junit.xml"
    result = run(["--project", project, "build", "-j", "1", "--report", report])
    assert result.exit_code == 0, result.output
    (case,) = ET.parse(report).getroot().iter("testcase")
    assert case.get("file") == "content/sample/en.md"


def test_a_worker_is_warmed_up_before_its_time_limit_starts(project):
    """--timeout counts an output's own work: the initializer pays WeasyPrint's import
    and Pango's font set-up (about 0.6 s in a fresh process) first."""
    import sys

    from leaflet import build
    from leaflet.config import load_config
    from leaflet.options import RenderOptions

    build._init_worker(load_config(project), RenderOptions(), project / "dist", 1.0)
    try:
        assert "weasyprint" in sys.modules and "markdown" in sys.modules
        assert build._STATE["renderer"]._font_config is not None
    finally:
        build._STATE.clear()
        import signal

        signal.signal(signal.SIGINT, signal.default_int_handler)


def test_catalog_init_in_a_clinic_folder_has_the_built_in_text(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from leaflet.catalogs import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", "de"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    po = (tmp_path / "locales" / "de" / "LC_MESSAGES" / "leaflet.po").read_text()
    for text in ("Key points", "Contact us", "Page %(page)s of %(pages)s",
                 "This leaflet does not replace advice from your doctor"):
        assert text in po, text
    # Every string of the built-in templates: the PDFs' and the web version's.
    from leaflet.catalogs import extract
    from leaflet.resources import builtin_dir

    count = len([m for m in extract(builtin_dir("templates").parent) if m.id])
    assert count > 30 and f"created, {count} strings to translate" in result.output


@pytest.mark.parametrize("args", [["build"], ["check", "--today", "2026-06-01"]])
def test_config_errors_have_line_numbers_on_every_command(project, run, args):
    (project / "leaflet.toml").write_text('[clinic]\nname = "X"\n\n[build]\npaper = "A5"\n')
    result = run(["--project", project, *args])
    assert result.exit_code == 1
    assert f"{display_path(project / 'leaflet.toml')}:5" in result.output
    assert "build.paper must be one of a4, letter, not 'A5'" in result.output
