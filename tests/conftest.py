"""Shared fixtures: a copy of a fixture project per test, a CLI runner, no stray warnings."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures"
# Static font instances (fonts.render_faces) go to a cache outside the user's home, shared by
# the test workers and kept between runs on this machine: made once, not per test.
os.environ.setdefault("LEAFLET_CACHE_DIR", str(Path(tempfile.gettempdir()) / "leaflet-test-cache"))
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def fixture_project(tmp_path):
    """Copy ``tests/fixtures/<name>`` into tmp_path and return its path."""

    def make(name: str = "basic") -> Path:
        dest = tmp_path / name
        shutil.copytree(FIXTURES / name, dest)
        return dest

    return make


@pytest.fixture
def project(fixture_project) -> Path:
    return fixture_project("basic")


@pytest.fixture
def run():
    """Run the CLI in-process: ``run(["--project", p, "build"])`` → click Result."""
    from leaflet.cli import main

    def invoke(args, **kwargs):
        return CliRunner().invoke(main, [str(a) for a in args], prog_name="leaflet",
                                  catch_exceptions=False,
                                  **kwargs)

    return invoke


@pytest.fixture
def unsanitized(monkeypatch):
    """Raw HTML in content reaches the renderer as written, as if the sanitizer
    (content.sanitize_html) had let it through: for tests of the renderer's own defences
    (the fetcher's confinement, no attachments, no network), which must hold without it.
    Builds run in this process (-j 1) for the patch to apply."""
    from leaflet import content

    monkeypatch.setattr(content, "sanitize_html", lambda html: (html, []))
