"""Scaffolds: a new clinic folder builds at once; a new leaflet has every field."""

from __future__ import annotations

import pdfutil
from leaflet.content import REQUIRED, load_leaflet


def test_init_then_build_gives_a_branded_pdf(run, tmp_path):
    folder = tmp_path / "clinic"
    result = run(["init", folder, "--name", "Hill Street Surgery"])
    assert result.exit_code == 0, result.output
    for relative in ("leaflet.toml", ".gitignore", ".github/workflows/leaflets.yml",
                     "content/example/en.md"):
        assert (folder / relative).is_file(), relative
    assert (folder / "templates").is_dir() and (folder / "styles").is_dir()
    result = run(["--project", folder, "build", "--layout", "standard", "-j", "1"])
    assert result.exit_code == 0, result.output
    pdf = folder / "dist" / "example" / "example.en.standard.pdf"
    assert "Hill Street Surgery" in pdfutil.text(pdf)


def test_init_refuses_to_overwrite(run, tmp_path):
    folder = tmp_path / "clinic"
    run(["init", folder])
    result = run(["init", folder])
    assert result.exit_code == 1
    assert "already has a leaflet.toml; not overwritten" in result.output


def test_new_writes_every_required_field(project, run):
    result = run(["--project", project, "new", "knee-pain", "--title", "Knee pain: what helps"])
    assert result.exit_code == 0, result.output
    path = project / "content" / "knee-pain" / "en.md"
    leaflet = load_leaflet(path)
    assert leaflet.title == "Knee pain: what helps"
    for field in REQUIRED:
        assert getattr(leaflet, field), field
    assert "!!! warning" in path.read_text()


def test_new_refuses_bad_slug_and_existing_file(project, run):
    result = run(["--project", project, "new", "Knee Pain"])
    assert result.exit_code == 2  # a bad argument: a usage error that suggests the name
    assert ("Invalid value for SLUG: 'Knee Pain' is not a valid leaflet name: use "
            "lower-case letters, digits and hyphens, e.g. 'leaflet new knee-pain'"
            ) in result.output
    assert not (project / "content" / "Knee Pain").exists()
    result = run(["--project", project, "new", "sample"])
    assert result.exit_code == 1
    assert "already exists; not overwritten" in result.output


def test_new_then_check_reports_only_the_placeholders(project, run):
    import json

    run(["--project", project, "new", "knee-pain", "--title", "Knee pain"])
    result = run(["--project", project, "check", "knee-pain", "--format", "json"])
    assert result.exit_code == 0, result.output  # placeholders are warnings, not errors
    findings = json.loads(result.output)["findings"]
    assert findings, "the TODOs must be reported"
    assert {f["rule"] for f in findings} == {"placeholder"}
    assert all(f["path"] == "content/knee-pain/en.md" and f["line"] for f in findings)
    # Filling them in leaves nothing to report.
    path = project / "content" / "knee-pain" / "en.md"
    path.write_text(path.read_text().replace("TODO ", ""))
    result = run(["--project", project, "check", "knee-pain", "--format", "json"])
    assert json.loads(result.output)["findings"] == []


def test_the_ci_workflow_installs_leaflet_by_its_own_name_pinned_and_shards(run, tmp_path):
    import tomllib

    import yaml

    from conftest import REPO
    from leaflet import __version__
    from leaflet.scaffold import DISTRIBUTION

    # The distribution's name is ours, not "leaflet" (an unrelated PyPI package).
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["name"] == DISTRIBUTION == "clinic-leaflets"
    assert project["scripts"] == {"leaflet": "leaflet.cli:main"}

    folder = tmp_path / "clinic"
    run(["-q", "init", folder])
    text = (folder / ".github" / "workflows" / "leaflets.yml").read_text()
    assert "pip install leaflet" not in text
    workflow = yaml.safe_load(text)
    assert workflow["env"]["LEAFLET"] == f"clinic-leaflets=={__version__}"
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    installs = [r for r in runs if r.startswith("pip install")]
    assert installs and all(r == 'pip install "$LEAFLET" -c .github/leaflet-constraints.txt'
                            for r in installs)
    assert workflow["jobs"]["build"]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert "leaflet build --shard ${{ matrix.shard }}/4" in " ".join(runs)
    assert any(r.startswith("leaflet merge-manifests shards/*/dist/manifest.shard-*-of-4.json")
               for r in runs)
    assert workflow["jobs"]["merge"]["needs"] == "build"
    # The merged manifest is kept for the next run, whose shards split by its build times;
    # the fonts leaflet derives are kept too.
    steps = {step.get("uses", "").split("@")[0]: step for job in workflow["jobs"].values()
             for step in job["steps"]}
    assert steps["actions/cache/save"]["with"]["path"] == "durations"
    assert steps["actions/cache/restore"]["with"]["restore-keys"] == "leaflet-durations-"
    assert steps["actions/cache"]["with"]["path"] == "~/.cache/leaflet"
    assert "--durations durations/manifest.json" in " ".join(runs)
    pins = (folder / ".github" / "leaflet-constraints.txt").read_text().split("\n")
    assert "weasyprint==70.0" in pins and any(p.startswith("nh3==") for p in pins)
    assert not any(p.startswith(("clinic-leaflets==", "leaflet==")) for p in pins)
