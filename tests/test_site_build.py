"""The web version through `leaflet build` and leaflet.toml: [site] base_url, the QR link
default, the manifest, incremental rebuilds, --no-site and shards, failures."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_site import Page, make_web, site_files

from leaflet import site
from leaflet.config import load_config
from leaflet.errors import LeafletError


@pytest.fixture
def web(tmp_path) -> Path:
    """The site fixture, published at https://clinic.example/leaflets (no final slash)."""
    project = make_web(tmp_path)
    with (project / "leaflet.toml").open("a") as toml:
        toml.write('\n[site]\nbase_url = "https://clinic.example/leaflets"\n')
    return project


# ------------------------------------------------------------------ settings

@pytest.mark.parametrize("value, message", [
    ('"ftp://clinic.example/"', "site.base_url must start with https:// (or http://)"),
    ('"clinic.example/leaflets"', "site.base_url must start with https://"),
    ("5", "site.base_url must be the web address of the site's folder"),
    ('"https://clinic.example/?x=1"', "without ?, # or {}"),
    ('"https://clinic.example/{lang}/"', "without ?, # or {}"),
])
def test_base_url_is_checked(web, value, message):
    (web / "leaflet.toml").write_text(f"[site]\nbase_url = {value}\n")
    with pytest.raises(LeafletError, match=re.escape(message)):
        load_config(web)


def test_base_url_sets_the_qr_link_unless_build_link_does(web):
    (web / "leaflet.toml").write_text('[site]\nbase_url = "https://c.example/info"\n')
    config = load_config(web)
    assert config.site_url == "https://c.example/info/"
    assert config.link == "https://c.example/info/{slug}/{lang}/"
    (web / "leaflet.toml").write_text('[build]\nlink = "https://other.example/{slug}"\n'
                                      '[site]\nbase_url = "https://c.example/info/"\n')
    assert load_config(web).link == "https://other.example/{slug}"
    (web / "leaflet.toml").write_text('[site]\nurl = "https://c.example/"\n')
    with pytest.raises(LeafletError, match="unknown setting site.url"):
        load_config(web)


# ------------------------------------------------------------------ through `leaflet build`

def test_build_writes_the_site_and_the_manifest_lists_its_pages(web, run):
    result = run(["--project", web, "build", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert re.search(r"web version: 7 pages \(7 written, 0 unchanged\) in \S+site/",
                     result.output)
    out = web / "dist"
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["outputs"]) == 3  # the PDFs, as before
    pages = manifest["site"]["pages"]
    assert manifest["site"]["base_url"] == "https://clinic.example/leaflets/"
    assert {p["path"] for p in pages} == {p.relative_to(out).as_posix()
                                          for p in (out / "site").rglob("*")
                                          if p.suffix in (".html", ".xml")}
    for entry in pages:
        assert entry["status"] == "built"
        assert hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    pdf_links = Page(out / "site/sample/en/index.html").all("a", type="application/pdf")
    assert [a["href"] for a in pdf_links] == ["sample.en.standard.pdf"]
    real = out / "sample/sample.en.standard.pdf"
    assert (out / "site/sample/en/sample.en.standard.pdf").read_bytes() == real.read_bytes()
    # The poster's QR code would point at these pages: build.link defaults to them.
    assert load_config(web).link == "https://clinic.example/leaflets/{slug}/{lang}/"

    result = run(["--project", web, "build", "-j", "1"])
    assert "web version: 7 pages (0 written, 7 unchanged)" in result.output
    statuses = {p["status"] for p in json.loads((out / "manifest.json").read_text())["site"]
                ["pages"]}
    assert statuses == {"cached"}


def test_changing_one_leaflet_rewrites_only_its_pages_and_the_indexes(web, run):
    out = web / "dist"
    assert run(["--project", web, "build", "-j", "1"]).exit_code == 0
    before = site_files(out)
    source = web / "content/other/en.md"
    source.write_text(source.read_text().replace("Short text", "Short texts"))
    result = run(["--project", web, "build", "-j", "1"])
    assert "1 built, 2 cached" in result.output
    after = site_files(out)
    rewritten = {path for path in after if after[path] != before.get(path)}
    # Its page and the copy of its PDF; its title is the same, so the index is too.
    assert rewritten == {"site/other/en/index.html", "site/other/en/other.en.standard.pdf"}


def test_restyling_the_web_version_rebuilds_no_pdf(web, run):
    out = web / "dist"
    assert run(["--project", web, "build", "-j", "1"]).exit_code == 0
    before = site_files(out)
    (web / "styles").mkdir(exist_ok=True)
    (web / "styles/site.css").write_text((Path(site.__file__).parent.parent / "styles/site.css")
                                         .read_text() + "\nh1 { letter-spacing: 0.01em; }\n")
    result = run(["--project", web, "build", "-j", "1"])
    assert "0 built, 3 cached" in result.output, result.output
    after = site_files(out)
    assert {path for path in after if after[path] != before.get(path)} == {
        "site/_static/site.css"}


def test_no_site_and_sharded_builds_write_no_site(web, run):
    result = run(["--project", web, "build", "-j", "1", "--no-site", "sample", "--lang", "en"])
    assert result.exit_code == 0 and "web version" not in result.output
    assert not (web / "dist/site").exists()
    assert "site" not in json.loads((web / "dist/manifest.json").read_text())
    result = run(["--project", web, "build", "-j", "1", "--shard", "1/2", "--out", web / "s"])
    assert result.exit_code == 0 and not (web / "s/site").exists()


def test_a_site_that_cannot_be_written_is_one_error_line(web, run):
    (web / "dist").mkdir()
    (web / "dist/site").write_text("a file, not a folder")
    result = run(["--project", web, "build", "-j", "1"])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "cannot write the web version" in errors[0], result.output
    assert "Traceback" not in result.output
    assert (web / "dist/sample/sample.en.standard.pdf").is_file()  # the PDFs are there


def test_help_still_does_not_import_the_site_or_weasyprint():
    code = ("import sys; from leaflet.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m in ('weasyprint', 'leaflet.site', "
            "'fontTools', 'PIL')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(site.__file__).parent.parent)})
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
