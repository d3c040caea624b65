"""leaflet.toml: defaults, validation, every problem reported at once."""

from __future__ import annotations

import pytest

from leaflet.config import load_config
from leaflet.errors import LeafletError


def test_sample_config_loads(project):
    config = load_config(project)
    assert config.clinic.name == "Test Clinic"
    assert config.clinic.logo == (project / "assets" / "logo.svg").resolve()
    assert config.paper == "a4"
    assert config.layouts == ("standard",)


def test_missing_config_means_defaults(tmp_path):
    config = load_config(tmp_path)
    assert config.path is None
    assert config.paper == "a4"


def test_all_problems_reported_at_once_each_on_its_line(project):
    (project / "leaflet.toml").write_text(
        '[clinic]\nbrand_colour = "blue"\nlogo = "missing.png"\ncolour = "x"\n'
        '[build]\npaper = "a5"\n'
    )
    with pytest.raises(LeafletError) as info:
        load_config(project)
    assert [(p.line, p.detail) for p in info.value.problems] == [
        (2, "clinic.brand_colour must look like #005eb8, not 'blue'"),
        (3, "clinic.logo file not found: missing.png"),
        (4, "unknown setting clinic.colour (known: address, brand_colour, email, feedback, "
            "logo, name, phone, website)"),
        (6, "build.paper must be one of a4, letter, not 'a5'"),
    ]


def test_lines_of_nested_settings(project):
    (project / "leaflet.toml").write_text(
        '[build]\nlayouts = ["standard"]\n\n[[fonts]]\nfamily = "A"\nfile = "a.ttf"\n'
        'scripts = ["Latn"]\n\n[[fonts]]\nfamily = "B"\nfile = "b.ttf"\nscripts = []\n\n'
        '[layouts.card]\ntemplate = "standard.html"\nstylesheet = "standard.css"\n'
        'page = "a5"\nbody_pt = "big"\n')
    with pytest.raises(LeafletError) as info:
        load_config(project)
    assert [p.line for p in info.value.problems] == [6, 11, 18]
    assert info.value.problems[2].detail.startswith("layouts.card.body_pt must be")


def test_values_are_read_whatever_their_case(project):
    config = project / "leaflet.toml"
    config.write_text(config.read_text().replace('paper = "a4"', 'paper = "A4"')
                      .replace('layouts = ["standard"]',
                               'layouts = ["Standard", "LARGE-PRINT"]\n'
                               'languages = ["EN", "es_mx"]'))
    loaded = load_config(project)
    assert loaded.paper == "a4"
    assert loaded.layouts == ("standard", "large-print")
    assert loaded.languages == ("en", "es-MX")


def test_toml_syntax_error_names_line(project):
    (project / "leaflet.toml").write_text('[clinic]\nname = "ok"\nphone = \n')
    with pytest.raises(LeafletError) as info:
        load_config(project)
    assert info.value.line == 3
    assert "not valid TOML" in info.value.format_message()


def test_logo_outside_project_refused(project, tmp_path):
    outside = tmp_path / "elsewhere.svg"
    outside.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (project / "leaflet.toml").write_text('[clinic]\nlogo = "../elsewhere.svg"\n')
    with pytest.raises(LeafletError, match="outside the project folder"):
        load_config(project)


def test_cli_reports_config_error_without_traceback(project, run):
    (project / "leaflet.toml").write_text('[build]\npaper = "a5"\n')
    result = run(["--project", project, "build"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {project / 'leaflet.toml'}:2: build.paper must be one of a4, letter, not 'a5'"
    )
    assert "Traceback" not in result.output


def test_unknown_layout_in_config_names_the_file(project, run):
    config = project / "leaflet.toml"
    config.write_text(config.read_text().replace('layouts = ["standard"]', 'layouts = ["standrd"]'))
    for command in ("build", "preview"):
        result = run(["--project", project, command])
        assert result.exit_code == 1
        assert "leaflet.toml:13: build.layouts: unknown layout 'standrd' (known layouts: " \
               "standard, booklet" in result.output
