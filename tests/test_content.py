"""Front matter + Markdown → Leaflet, with an error naming file and line for bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from leaflet.content import discover, load_leaflet
from leaflet.errors import LeafletError

GOOD = """---
title: A title
summary: One sentence.
version: 1.10
published: 2026-01-01
reviewed: 2026-01-02
next_review: 2027-01-02
owner: Team
sources:
  - One source
---

Body text.
"""


def write(tmp_path, text, name="en.md", raw=False):
    folder = tmp_path / "content" / "leaf"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if raw else text.encode())
    return path


def error_of(path):
    with pytest.raises(LeafletError) as info:
        load_leaflet(path)
    return info.value


def test_loads_fields_and_markdown(project):
    leaflet = load_leaflet(project / "content" / "sample" / "en.md")
    assert leaflet.slug == "sample" and leaflet.lang == "en"
    assert leaflet.version == "1.2"
    assert leaflet.published == dt.date(2026, 1, 15)
    assert leaflet.key_points == ("The first key point.", "The second key point.")
    assert '<div class="admonition warning">' in leaflet.body_html
    assert "<table>" in leaflet.body_html and "<th>Column A</th>" in leaflet.body_html


def test_version_keeps_text_as_written(tmp_path):
    # YAML reads 1.10 as the number 1.1; a leaflet version is text.
    assert load_leaflet(write(tmp_path, GOOD)).version == "1.10"


def test_discover_finds_languages(project):
    found = discover(project)
    assert list(found) == ["sample"]
    assert list(found["sample"]) == ["en"]


@pytest.mark.parametrize("old, new, line, message", [
    ("owner: Team\n", "", 2, "front matter field 'owner' is missing"),
    ("published: 2026-01-01", "published: soon", 5,
     "'published' must be a date written YYYY-MM-DD, not 'soon'"),
    ("title: A title", "title: [a, b]", 2, "'title' must be text, not a list"),
    ("sources:\n  - One source", "sources: {a: 1}", 9,
     "'sources' must be a list of text items ('- item' lines)"),
    ("owner: Team", "owner: Team\ncolour: red", 9, "unknown front matter field 'colour'"),
    ("next_review: 2027-01-02", "next_review: 2025-01-02", 7, "next_review is before reviewed"),
])
def test_field_errors_name_file_and_line(tmp_path, old, new, line, message):
    path = write(tmp_path, GOOD.replace(old, new))
    error = error_of(path)
    assert error.line == line
    assert message in error.detail


def test_yaml_error_names_line(tmp_path):
    error = error_of(write(tmp_path, GOOD.replace("owner: Team", "owner: [unclosed")))
    assert "front matter is not valid YAML" in error.detail
    assert error.line in (8, 9, 10)


def test_python_tags_are_refused(tmp_path):
    error = error_of(write(tmp_path, GOOD.replace("owner: Team",
                                                  "owner: !!python/object/apply:os.system [x]")))
    assert "not valid YAML" in error.detail


def test_missing_front_matter(tmp_path):
    error = error_of(write(tmp_path, "# Just markdown\n"))
    assert error.line == 1
    assert error.detail == "must start with a '---' line, then the front matter"


def test_unclosed_front_matter(tmp_path):
    error = error_of(write(tmp_path, "---\ntitle: x\n"))
    assert error.detail == "front matter has no closing '---' line"


def test_invalid_utf8_names_line(tmp_path):
    error = error_of(write(tmp_path, GOOD.encode().replace(b"Body text.", b"Bad \xff byte"),
                           raw=True))
    assert error.detail.startswith("not valid UTF-8 text: save the file as UTF-8")
    assert error.line == 13


def test_binary_file(tmp_path):
    error = error_of(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00", raw=True))
    assert "not a text file" in error.detail


def test_bom_is_accepted(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + GOOD.encode(), raw=True)
    assert load_leaflet(path).title == "A title"


def test_reviewed_translation_needs_reviewer(tmp_path):
    text = GOOD.replace("owner: Team", "owner: Team\ntranslation_of: en\nsource_version: '1.0'\n"
                                       "translation_status: reviewed")
    error = error_of(write(tmp_path, text, name="es.md"))
    assert "needs translation_reviewer" in error.detail


def test_error_message_format(tmp_path):
    path = write(tmp_path, GOOD.replace("owner: Team\n", ""))
    assert error_of(path).format_message().endswith(
        "en.md:2: front matter field 'owner' is missing")


# ---------------------------------------------------------------- every mistake, with the fix

def problems_of(path) -> list[tuple[int, str]]:
    return [(p.line, p.detail) for p in error_of(path).problems]


def test_every_unknown_field_is_reported_with_a_guess(tmp_path):
    text = (GOOD.replace("summary:", "sumary:").replace("next_review:", "next_reveiw:")
            .replace("owner: Team", "owner: Team\ncolour: red"))
    assert problems_of(write(tmp_path, text)) == [
        (3, "unknown front matter field 'sumary': did you mean 'summary'?"),
        (7, "unknown front matter field 'next_reveiw': did you mean 'next_review'?"),
        (9, "unknown front matter field 'colour' (known: title, summary, version, published, "
            "reviewed, next_review, owner, sources, key_points, keywords, link, "
            "translation_of, source_version, translation_status, translation_reviewer, "
            "translation_reviewed)"),
    ]


def test_a_list_item_with_a_colon_points_at_the_item(tmp_path):
    text = GOOD.replace("  - One source", "  - One source\n  - NHS: Motor neurone disease")
    assert problems_of(write(tmp_path, text)) == [
        (11, "item 2 of 'sources' has ': ' in it, which YAML reads as 'key: value': put the "
             "item in quotes: - \"NHS: Motor neurone disease\""),
    ]


def test_empty_and_yes_no_items(tmp_path):
    text = GOOD.replace("  - One source", "  - One source\n  -\n  - yes")
    assert problems_of(write(tmp_path, text)) == [
        (11, "item 2 of 'sources' is empty: write the item, or delete the line"),
        (12, "item 3 of 'sources' is read as true/false: put it in quotes: - \"yes\""),
    ]


def test_a_value_with_a_colon_says_put_it_in_quotes(tmp_path):
    error = error_of(write(tmp_path, GOOD.replace("title: A title", "title: Knee pain: help")))
    assert (error.line, error.detail) == (
        2, "a second ': ' on this line: put the value in quotes, e.g. title: \"Knee pain: help\"")


def test_tabs_say_indent_with_spaces(tmp_path):
    error = error_of(write(tmp_path, GOOD.replace("  - One source", "\t- One source")))
    assert (error.line, error.detail) == (
        10, "a tab in the indentation: indent with spaces, not tabs")


def test_a_date_that_does_not_exist(tmp_path):
    error = error_of(write(tmp_path, GOOD.replace("published: 2026-01-01",
                                                  "published: 2026-02-30")))
    assert (error.line, error.detail) == (
        5, "'published' is 2026-02-30, a date that does not exist: check the day and the month")


def test_a_duplicate_field_names_both_lines(tmp_path):
    error = error_of(write(tmp_path, GOOD.replace("owner: Team", "owner: Team\ntitle: Again")))
    assert (error.line, error.detail) == (
        9, "'title' is given more than once (lines 2 and 9): keep one; only the last would "
           "count")


def test_a_windows_1252_file_says_save_as_utf8(tmp_path):
    path = write(tmp_path, GOOD.replace("Body text.", "Café and crème – fine.").encode("cp1252"),
                 raw=True)
    error = error_of(path)
    assert error.line == 13
    assert error.detail == ("not valid UTF-8 text: save the file as UTF-8 (it looks like "
                            "Windows-1252 or Latin-1 text, such as 'Café and crème – fine.'; "
                            "in Notepad: Save As, Encoding: UTF-8)")


def test_all_problems_are_one_line_each_in_the_message(tmp_path):
    text = GOOD.replace("summary:", "sumary:").replace("owner: Team\n", "")
    path = write(tmp_path, text)
    lines = error_of(path).format_message().split("\n")
    # The missing summary is not reported: the typo that stands for it is.
    assert [line.split("en.md:")[1] for line in lines] == [
        "2: front matter field 'owner' is missing",
        "3: unknown front matter field 'sumary': did you mean 'summary'?"]
