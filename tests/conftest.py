"""Shared fixtures: a copy of a fixture project per test, a CLI runner, no stray warnings."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable
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


@pytest.fixture(scope="session")
def built_once(tmp_path_factory) -> Callable[[str, Callable[[Path], None]], Path]:
    """``built_once(name, make)``: a folder that ``make(folder)`` fills once per test run.
    Under pytest-xdist the workers share it (the first one to ask builds it while the
    others wait, idle), so a module's fixture build is not repeated on every worker that
    runs some of the module's tests."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this run's folder, shared by its workers

    def get(name: str, make: Callable[[Path], None]) -> Path:
        root = base / f"shared-{name}"
        with open(base / f"shared-{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (base / f"shared-{name}.done").is_file():
                shutil.rmtree(root, ignore_errors=True)
                root.mkdir()
                make(root)
                (base / f"shared-{name}.done").write_text("built\n")
        return root

    return get
