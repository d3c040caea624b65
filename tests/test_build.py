"""Batch builds: matrix, cache, shards, manifest, reports, faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from xml.etree import ElementTree as ET

import pytest
from pypdf import PdfReader

from leaflet.build import in_shard, plan
from leaflet.config import load_config


def add_leaflets(project, count: int, prefix: str = "extra"):
    source = (project / "content" / "sample" / "en.md").read_text()
    for i in range(count):
        folder = project / "content" / f"{prefix}-{i}"
        folder.mkdir()
        (folder / "en.md").write_text(source.replace("Sample leaflet title", f"Extra {i}"))


def build(run, project, *args):
    return run(["--project", project, "build", "-j", "1", *args])


def statuses(project):
    manifest = json.loads((project / "dist" / "manifest.json").read_text())
    return {o["path"]: o["status"] for o in manifest["outputs"]}


def test_matrix_is_leaflets_times_languages_times_layouts(project):
    add_leaflets(project, 2)
    es = project / "content" / "extra-0" / "es.md"
    es.write_text((project / "content" / "sample" / "en.md").read_text())
    config = load_config(project)
    names = sorted(j.name for j in plan(config, layouts=["standard", "poster"]).jobs)
    assert names == sorted([
        "extra-0.en.standard", "extra-0.en.poster", "extra-0.es.standard", "extra-0.es.poster",
        "extra-1.en.standard", "extra-1.en.poster", "sample.en.standard", "sample.en.poster"])
    narrowed = plan(config, slugs=["extra-0"], langs=["es"])
    assert [j.name for j in narrowed.jobs] == ["extra-0.es.standard"]


def test_second_build_is_all_cached(project, run):
    assert "1 built" in build(run, project).output
    result = build(run, project)
    assert "0 built, 1 cached, 0 failed" in result.output
    assert statuses(project) == {"sample/sample.en.standard.pdf": "cached"}


@pytest.mark.parametrize("change", ["content", "template", "style", "config", "catalog", "force"])
def test_each_kind_of_input_change_rebuilds(project, run, change):
    build(run, project)
    if change == "content":
        path = project / "content" / "sample" / "en.md"
        path.write_text(path.read_text() + "\nOne more line.\n")
    elif change == "template":
        (project / "templates").mkdir()
        (project / "templates" / "standard.html").write_text(
            '{% extends "base.html" %}{% block body %}<h1>{{ leaflet.title }}</h1>'
            "{% endblock %}")
    elif change == "style":
        (project / "styles").mkdir()
        (project / "styles" / "standard.css").write_text("h1 { color: red; }")
    elif change == "config":
        path = project / "leaflet.toml"
        path.write_text(path.read_text().replace("Test Clinic", "Other Clinic"))
    elif change == "catalog":
        folder = project / "locales" / "en" / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "leaflet.po").write_text('msgid ""\nmsgstr ""\n')
    args = ["--force"] if change == "force" else []
    assert "1 built, 0 cached" in build(run, project, *args).output


def test_deleted_or_edited_output_is_rebuilt(project, run):
    build(run, project)
    pdf = project / "dist" / "sample" / "sample.en.standard.pdf"
    pdf.write_bytes(b"not a pdf")
    assert "1 built" in build(run, project).output
    pdf.unlink()
    assert "1 built" in build(run, project).output
    (project / "dist" / ".leaflet-cache.json").unlink()
    assert "1 built" in build(run, project).output


def test_shards_partition_the_matrix(project):
    add_leaflets(project, 12)
    config = load_config(project)
    everything = {j.name for j in plan(config, layouts=["standard", "booklet"]).jobs}
    for total in (1, 2, 3, 5):
        parts = [{j.name for j in plan(config, layouts=["standard", "booklet"],
                                       shard=(k, total)).jobs} for k in range(1, total + 1)]
        assert set().union(*parts) == everything
        assert sum(len(p) for p in parts) == len(everything)


def test_shard_of_an_output_does_not_depend_on_other_leaflets(project):
    config = load_config(project)
    before = {j.name: [in_shard(j, k, 4) for k in range(1, 5)] for j in plan(config).jobs}
    add_leaflets(project, 5)
    jobs = plan(load_config(project)).jobs
    after = {j.name: [in_shard(j, k, 4) for k in range(1, 5)] for j in jobs}
    assert all(after[name] == shards for name, shards in before.items())


def test_shards_write_their_own_manifest_and_merge(project, run, tmp_path):
    add_leaflets(project, 3)
    for k in (1, 2):
        result = build(run, project, "--shard", f"{k}/2")
        assert result.exit_code == 0, result.output
    out = project / "dist"
    shards = sorted(out.glob("manifest.shard-*-of-2.json"))
    assert [p.name for p in shards] == ["manifest.shard-1-of-2.json", "manifest.shard-2-of-2.json"]
    merged = tmp_path / "merged.json"
    result = run(["merge-manifests", *shards, "--out", merged])
    assert result.exit_code == 0
    outputs = json.loads(merged.read_text())["outputs"]
    assert sorted(o["slug"] for o in outputs) == ["extra-0", "extra-1", "extra-2", "sample"]


def test_manifest_schema(project, run):
    build(run, project)
    manifest = json.loads((project / "dist" / "manifest.json").read_text())
    (entry,) = manifest["outputs"]
    assert set(entry) == {"slug", "lang", "layout", "path", "sha256", "pages", "bytes", "status",
                          "warnings", "error", "seconds", "renders", "proof"}
    assert entry["renders"] == 1 and 0 < entry["seconds"] < 60
    assert entry["proof"] == []  # the proof's findings: none on this leaflet
    pdf = project / "dist" / entry["path"]
    assert entry["bytes"] == pdf.stat().st_size
    assert entry["pages"] == len(PdfReader(pdf).pages)
    import hashlib

    assert entry["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()


def test_broken_leaflet_does_not_stop_the_others(project, run, tmp_path):
    add_leaflets(project, 2)
    broken = project / "content" / "extra-0" / "en.md"
    broken.write_text(broken.read_text().replace("owner: Test Team\n", ""))
    report = tmp_path / "junit.xml"
    result = run(["--project", project, "build", "-j", "2", "--report", report])
    assert result.exit_code == 1
    assert "2 built, 0 cached, 1 failed" in result.output
    assert f"Error: {broken}:2: front matter field 'owner' is missing" in result.output
    assert (project / "dist" / "sample" / "sample.en.standard.pdf").is_file()
    assert (project / "dist" / "extra-1" / "extra-1.en.standard.pdf").is_file()
    suite = ET.parse(report).getroot()
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("classname") for c in failed] == ["leaflet.extra-0"]
    assert "owner" in failed[0].find("failure").get("message")


def test_fail_fast_stops_at_first_failure(project, run):
    add_leaflets(project, 3, prefix="a")
    broken = project / "content" / "a-0" / "en.md"
    broken.write_text("no front matter")
    result = build(run, project, "--fail-fast")
    assert result.exit_code == 1
    assert "1 failed" in result.output
    assert "3 built" not in result.output


def test_failed_rebuild_keeps_the_previous_good_pdf(project, run):
    build(run, project)
    pdf = project / "dist" / "sample" / "sample.en.standard.pdf"
    good = pdf.read_bytes()
    source = project / "content" / "sample" / "en.md"
    source.write_text(source.read_text().replace("title: Sample leaflet title", "title: [x]"))
    result = build(run, project)
    assert result.exit_code == 1
    assert pdf.read_bytes() == good
    assert not list(pdf.parent.glob("*.tmp-*"))


def test_sigterm_leaves_only_complete_pdfs(project, tmp_path):
    add_leaflets(project, 10)
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "leaflet", "--project", str(project), "build", "-j", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = project / "dist"
    deadline = time.time() + 30
    while time.time() < deadline and len(list(out.rglob("*.pdf"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert proc.returncode != 0
    pdfs = list(out.rglob("*.pdf"))
    assert 2 <= len(pdfs) < 11
    for pdf in pdfs:
        assert len(PdfReader(pdf).pages) >= 1
    assert not list(out.rglob("*.tmp-*"))
    cache = json.loads((out / ".leaflet-cache.json").read_text())
    assert set(cache) <= {p.relative_to(out).as_posix() for p in pdfs}
    # The next run recovers by itself: everything left is built, nothing rebuilt twice.
    result = subprocess.run([sys.executable, "-m", "leaflet", "--project", str(project), "build",
                             "-j", "2"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(cache)} cached" in result.stdout


def test_build_refuses_a_leaflet_that_fails_the_check(project, run):
    source = project / "content" / "sample" / "en.md"
    source.write_text(source.read_text()
                      .replace("next_review: 2028-02-01", "next_review: 2020-02-01")
                      .replace("reviewed: 2026-02-01", "reviewed: 2019-02-01")
                      .replace("published: 2026-01-15", "published: 2019-01-15"))
    result = build(run, project)
    assert result.exit_code == 1
    assert "error review-overdue: review overdue since" in result.output
    assert "build with --no-check" in result.output
    assert not (project / "dist" / "sample" / "sample.en.standard.pdf").exists()
    result = build(run, project, "--no-check")
    assert result.exit_code == 0, result.output
    assert (project / "dist" / "sample" / "sample.en.standard.pdf").is_file()


def test_changing_an_image_beside_the_leaflet_rebuilds(project, run):
    from PIL import Image

    picture = project / "content" / "sample" / "pic.png"
    Image.new("RGB", (8, 8), "red").save(picture)
    source = project / "content" / "sample" / "en.md"
    source.write_text(source.read_text() + "\n![A red square](pic.png)\n")
    assert "1 built" in build(run, project).output
    assert "1 cached" in build(run, project).output
    Image.new("RGB", (8, 8), "blue").save(picture)
    assert "1 built" in build(run, project).output


def test_merge_manifests_rejects_bad_input_with_one_line(run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"outputs": [{"path": [1]}]}')
    result = run(["merge-manifests", bad, "--out", tmp_path / "m.json"])
    assert result.exit_code == 1
    assert result.output.strip().endswith("bad.json: manifest entry without a path")
    good = tmp_path / "good.json"
    good.write_text('{"outputs": []}')
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run(["merge-manifests", good, "--out", blocker / "m.json"])
    assert result.exit_code == 1
    assert "cannot write" in result.output


_PIDS: dict = {}


def _pid_recording_run_job(job, key):
    """``_run_job`` that notes which worker process made each output."""
    with open(_PIDS["file"], "a") as log:
        log.write(f"{os.getpid()}\n")
    return _PIDS["real"](job, key)


def test_workers_are_replaced_after_a_number_of_outputs(project, run, monkeypatch, tmp_path):
    """WeasyPrint's libraries keep memory per PDF: a pool of workers is replaced by a fresh
    one after RECYCLE_AFTER outputs per worker, and every output is still built once."""
    from leaflet import build as build_module

    add_leaflets(project, 5)
    _PIDS.update(file=tmp_path / "pids", real=build_module._run_job)
    monkeypatch.setattr(build_module, "_run_job", _pid_recording_run_job)
    monkeypatch.setattr(build_module, "RECYCLE_AFTER", 1)  # read by the parent
    result = run(["--project", project, "build", "-j", "2", "--no-site"])
    assert result.exit_code == 0, result.output
    assert "6 built, 0 cached, 0 failed" in result.output
    pids = (tmp_path / "pids").read_text().split()
    assert len(pids) == 6
    assert len(set(pids)) >= 3  # 6 outputs, 1 per worker per pool: three pools of two


def test_an_image_elsewhere_in_the_project_is_part_of_the_cache_key(project, run):
    """An image outside the leaflet's folder and assets/ (../../images/x.png): changing it
    rebuilds the output that shows it, and only that one."""
    from PIL import Image

    images = project / "images"
    images.mkdir()
    Image.new("RGB", (60, 40), "blue").save(images / "pic.png")
    add_leaflets(project, 1)  # without the image
    source = project / "content" / "sample" / "en.md"
    source.write_text(source.read_text() + "\n![A blue square](../../images/pic.png)\n")
    args = ["--project", project, "build", "-j", "1", "--no-site"]
    assert run(args).exit_code == 0
    assert run(args).exit_code == 0
    assert set(statuses(project).values()) == {"cached"}
    Image.new("RGB", (60, 40), "red").save(images / "pic.png")
    assert run(args).exit_code == 0
    assert statuses(project) == {"sample/sample.en.standard.pdf": "built",
                                 "extra-0/extra-0.en.standard.pdf": "cached"}


def test_the_same_project_anywhere_on_disk_gives_the_same_bytes(project, run, tmp_path):
    """WeasyPrint names an image by its URL and writes link targets as given: the renderer
    names the project's files by a URL of their own, the same wherever the project is."""
    import shutil

    from PIL import Image

    Image.new("RGB", (200, 100), "blue").save(project / "content" / "sample" / "photo.png")
    source = project / "content" / "sample" / "en.md"
    source.write_text(source.read_text() + "\n![A photo](photo.png) and [a form](photo.png)\n")
    elsewhere = tmp_path / "somewhere" / "else" / "entirely"
    shutil.copytree(project, elsewhere)
    for folder in (project, elsewhere):
        result = run(["--project", folder, "build", "-j", "1", "--no-site"])
        assert result.exit_code == 0, result.output
    first, second = (folder / "dist" / "sample" / "sample.en.standard.pdf"
                     for folder in (project, elsewhere))
    assert first.read_bytes() == second.read_bytes()
    assert b"file:" not in first.read_bytes()  # no link to a local file, no path of this disk
    assert "the link to the file content/sample/photo.png is left out of the PDF" \
        in result.output
