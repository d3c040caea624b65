"""Fonts given to WeasyPrint: the script's variable font as static instances, made once."""

from __future__ import annotations

import pdfutil
import pytest

from leaflet import fonts


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty cache folder (instancing a font costs about a second: tests that need a
    fresh cache make one instance only)."""
    monkeypatch.setenv(fonts.CACHE_ENV, str(tmp_path / "cache"))
    fonts.static_instance.cache_clear()
    yield tmp_path / "cache"
    fonts.static_instance.cache_clear()


def test_the_scripts_variable_font_becomes_static_instances():
    faces = fonts.render_faces("ar")  # the test session's cache (conftest.py)
    arabic = [f for f in faces if f.family == "Noto Sans Arabic"]
    assert [f.weight for f in arabic] == ["400", "700"]
    assert all(f.path.parent == fonts.instances_dir() and not fonts.is_variable(f.path)
               for f in arabic)
    # The fallbacks stay as they are (Noto Sans is variable, and rarely used).
    assert [f.family for f in faces[2:]] == [f.family for f in fonts.font_stack("ar")[1:]]
    assert fonts.render_faces("en") == fonts.font_stack("en")  # Atkinson is static already


def test_an_instance_is_made_once_and_is_the_same_bytes_anywhere(fresh, tmp_path,
                                                                   monkeypatch):
    source = next(f.path for f in fonts.font_stack("ar") if fonts.is_variable(f.path))
    first = fonts.static_instance(source, 400)
    assert first.parent == fresh / "fonts"
    stamp = first.stat().st_mtime_ns
    fonts.static_instance.cache_clear()  # a new process finds it on disk
    assert fonts.static_instance(source, 400) == first and first.stat().st_mtime_ns == stamp
    # Made again elsewhere (another machine, another day): the same bytes.
    monkeypatch.setenv(fonts.CACHE_ENV, str(tmp_path / "elsewhere"))
    fonts.static_instance.cache_clear()
    other = fonts.static_instance(source, 400)
    assert other != first and other.read_bytes() == first.read_bytes()


def test_an_unwritable_cache_falls_back_to_the_variable_font(fresh):
    # A file where the folder should be: nothing can be written there, even as root.
    fresh.write_text("not a folder")
    assert fonts.render_faces("ar") == fonts.font_stack("ar")


def test_a_build_embeds_the_instances(fixture_project, run):
    project = fixture_project("i18n-sample")
    result = run(["--project", project, "build", "--lang", "ar", "--layout", "standard"])
    assert result.exit_code == 0, result.output
    made = [f.path for f in fonts.render_faces("ar") if f.path.parent == fonts.instances_dir()]
    assert len(made) == 2 and all(path.is_file() for path in made)
    pdf = next((project / "dist").rglob("*.ar.standard.pdf"))
    assert {"Noto-Sans-Arabic", "Noto-Sans-Arabic-Bold"} <= set(pdfutil.fonts(pdf))
