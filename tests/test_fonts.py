"""Fonts given to WeasyPrint: the script's variable font as static instances, made once."""

from __future__ import annotations

from pathlib import Path

import pdfutil
import pytest

from leaflet import fonts

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(fonts.CACHE_ENV, str(tmp_path / "cache"))
    fonts.static_instance.cache_clear()
    yield tmp_path / "cache"
    fonts.static_instance.cache_clear()


def test_the_scripts_variable_font_becomes_static_instances(cache):
    faces = fonts.render_faces("ar")
    arabic = [f for f in faces if f.family == "Noto Sans Arabic"]
    assert [f.weight for f in arabic] == ["400", "700"]
    assert all(f.path.parent == cache / "fonts" and not fonts.is_variable(f.path) for f in arabic)
    # The fallbacks stay as they are (Noto Sans is variable, and rarely used).
    assert [f.family for f in faces[2:]] == [f.family for f in fonts.font_stack("ar")[1:]]
    assert fonts.render_faces("en") == fonts.font_stack("en")  # Atkinson is static already


def test_instances_are_made_once_and_are_the_same_bytes_anywhere(cache, tmp_path, monkeypatch):
    first = [f.path for f in fonts.render_faces("hi") if f.path.parent == cache / "fonts"]
    stamps = [p.stat().st_mtime_ns for p in first]
    fonts.static_instance.cache_clear()  # a new process finds them on disk
    again = [f.path for f in fonts.render_faces("hi") if f.path.parent == cache / "fonts"]
    assert again == first and [p.stat().st_mtime_ns for p in again] == stamps
    monkeypatch.setenv(fonts.CACHE_ENV, str(tmp_path / "elsewhere"))
    fonts.static_instance.cache_clear()
    other = [f.path for f in fonts.render_faces("hi") if f.path.parent.parent.name == "elsewhere"]
    assert [p.read_bytes() for p in other] == [p.read_bytes() for p in first]


def test_an_unwritable_cache_falls_back_to_the_variable_font(cache):
    # A file where the folder should be: nothing can be written there, even as root.
    cache.write_text("not a folder")
    assert fonts.render_faces("ar") == fonts.font_stack("ar")


def test_a_build_embeds_the_instances(cache, fixture_project, run):
    project = fixture_project("i18n-sample")
    result = run(["--project", project, "build", "--lang", "ar", "--layout", "standard"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name.split("-")[-2] for p in (cache / "fonts").glob("*.ttf")) == ["400", "700"]
    pdf = next((project / "dist").rglob("*.ar.standard.pdf"))
    assert {"Noto-Sans-Arabic", "Noto-Sans-Arabic-Bold"} <= set(pdfutil.fonts(pdf))
