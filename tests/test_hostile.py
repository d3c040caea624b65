"""Hostile and broken input, faults mid-build: nothing crashes, leaks, hangs or corrupts.

Property tests (Hypothesis) throw random front matter, bytes and Markdown at the loader
and the `check` command; fixed cases cover what must never be read (files outside the
project, the network), bounded resources (pages, time, image size), machine faults (a
full disk, a missing font package, a killed worker, SIGTERM) and two builds at once.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from leaflet import build as build_module
from leaflet import content, fonts, i18n
from leaflet.content import OPTIONAL, REQUIRED, load_leaflet
from leaflet.errors import LeafletError, display_path

from test_fetch import Listener

FEW = settings(max_examples=30, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture])

GOOD = {
    "title": "A title", "summary": "One sentence.", "version": "1.0",
    "published": "2026-01-01", "reviewed": "2026-01-02", "next_review": "2027-01-02",
    "owner": "Team", "sources": ["One source"],
}
FRONT = "---\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in GOOD.items()) + "---\n"
SECRET = "SECRET-7f3a9c-DO-NOT-LEAK"

# A time limit's alarm that lands in a gc callback or a __del__ is printed and dropped by
# Python, then raised again (errors.time_limit). Hypothesis installs a gc callback that runs
# around every collection, so tests where a limit fires run without it: on time, quietly.
NO_GC_CALLBACKS = pytest.mark.usefixtures("no_gc_callbacks")
# A time limit's alarm may go off while a finalizer runs (WeasyPrint's
# FontConfiguration.__del__): Python prints and drops that exception, and time_limit raises
# it again (test_a_time_limit_survives_its_alarm_being_dropped); pytest would report the
# dropped one as a warning.
ALARM_MAY_HIT_A_FINALIZER = pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def no_gc_callbacks():
    import gc

    saved = gc.callbacks[:]
    gc.callbacks.clear()
    yield
    gc.callbacks[:] = saved


# ---------------------------------------------------------------- helpers

class TooSlow(BaseException):
    """A BaseException: nothing under test may swallow it with ``except Exception``."""


@contextlib.contextmanager
def within(seconds: float):
    """Fail the test if the body takes longer than ``seconds``."""
    def alarm(signum, frame):
        raise TooSlow()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TooSlow:
        pytest.fail(f"took longer than {seconds} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load_or_error(path: Path, seconds: float = 10):
    """``load_leaflet``: a Leaflet, or a LeafletError of one line per problem, each naming
    the file."""
    with within(seconds):
        try:
            return load_leaflet(path)
        except LeafletError as exc:
            # Every problem found is one line naming the file.
            for message in exc.format_message().split("\n"):
                assert message.startswith(display_path(path)), message
            return exc


def add_leaflet(project: Path, slug: str, body: str = "Short text.", front: str = FRONT,
                lang: str = "en") -> Path:
    folder = project / "content" / slug
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{lang}.md"
    path.write_text(front + "\n" + body + "\n", encoding="utf-8")
    return path


def build(run, project, *args):
    return run(["--project", project, "build", "-j", "1", *args])


def manifest(out: Path, name: str = "manifest.json") -> dict[str, dict]:
    return {o["path"]: o for o in json.loads((out / name).read_text())["outputs"]}


def assert_consistent(out: Path) -> None:
    """Every PDF whole; the manifest and the cache agree with the files on disk."""
    assert not list(out.rglob("*.tmp-*"))
    for pdf in out.rglob("*.pdf"):
        assert len(PdfReader(pdf).pages) >= 1
    for path, entry in manifest(out).items():
        if entry["status"] in ("built", "cached"):
            assert hashlib.sha256((out / path).read_bytes()).hexdigest() == entry["sha256"]
    cache = json.loads((out / build_module.CACHE_NAME).read_text())
    for path, entry in cache.items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == entry["sha256"]


def all_output_text(out: Path) -> bytes:
    """Every byte written to ``out``, with every compressed PDF stream inflated."""
    blobs = []
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            blobs.append(data)
            for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
                with contextlib.suppress(zlib.error):
                    blobs.append(zlib.decompress(match.group(1)))
    return b"\n".join(blobs)


def _audit_hook():
    """An audit hook recording the paths passed to ``open``, and the switch for it.

    Built with ``exec`` over a globals dict of its own: a hook lives until the very end of
    the interpreter, and one defined here would keep this module (and through it the
    build's worker state) alive past the point where WeasyPrint can clean up.
    """
    state: dict = {"opened": None}
    namespace = {"state": state}
    exec("def hook(event, args):\n"
         "    opened = state['opened']\n"
         "    if opened is not None and event == 'open' and isinstance(args[0], (str, bytes)):\n"
         "        opened.append(args[0])\n", namespace)
    sys.addaudithook(namespace["hook"])
    return state


_AUDIT = _audit_hook()


@contextlib.contextmanager
def opened_files():
    """Every path this process opens inside the block."""
    opened: list = []
    _AUDIT["opened"] = opened
    try:
        yield opened
    finally:
        _AUDIT["opened"] = None


def opened_inside(opened: list, folder: Path) -> list[str]:
    folder = folder.resolve()
    found = []
    for name in map(os.fsdecode, opened):
        with contextlib.suppress(OSError, ValueError):
            if Path(name).resolve().is_relative_to(folder):
                found.append(name)
    return found


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder next to the project holding secrets the renderer must never read."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET)
    (folder / "secret.css").write_text(f"/* {SECRET} */ body {{ background: red; }}")
    (folder / "secret.html").write_text(f"<p>{SECRET}</p>")
    # What `leaflet check` would quote back: italic text, a missing image's name.
    (folder / "secret.md").write_text(FRONT + f"\n{SECRET} *{SECRET}* ![x]({SECRET}.png)\n")
    (folder / "secret.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg"><text id="a">{SECRET}</text></svg>')
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(folder / "secret.png")
    return folder


# ---------------------------------------------------------------- 1. no traceback, any input

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**40, max_value=10**40),
    st.floats(), st.text(max_size=40), st.dates(), st.datetimes(), st.binary(max_size=8),
    st.sampled_from(["2026-02-30", "2026-1-1", "yes", "null", "~", "1.10", "", " ", "-",
                     "2026-01-01T10:00:00Z", "draft", "reviewed", "[x]", "{a: 1}"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=6) | st.integers(), inner, max_size=3), max_leaves=12)
KEYS = st.sampled_from([*REQUIRED, *OPTIONAL, "Title", "extra", ""]) | st.integers()


@FEW
@given(changes=st.dictionaries(KEYS, VALUES, max_size=5),
       removed=st.sets(st.sampled_from(REQUIRED), max_size=2))
def test_random_front_matter_loads_or_fails_in_one_line(tmp_path, changes, removed):
    meta: dict = {k: v for k, v in GOOD.items() if k not in removed}
    meta.update(changes)
    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\nBody.\n"
    path = tmp_path / "content" / "leaf" / "en.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    load_or_error(path)


def _laughs(key: str) -> str:
    """A "billion laughs" alias bomb as the value of ``key``: 10^9 items if expanded."""
    nest = '&b0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'
    for i in range(1, 10):
        nest = f"&b{i} [{nest}, " + ", ".join([f"*b{i - 1}"] * 8) + "]"
    return f"{key}: {nest}"


NASTY_YAML = {
    "python-object": "title: !!python/object/apply:os.system ['touch {pwned}']",
    "python-name": "title: !!python/name:os.system",
    "python-module": "title: !!python/module:os",
    "huge-int": "version: " + "1" * 5000,
    "huge-hex": "published: 0x" + "f" * 5000,
    "bad-date": "published: 2026-13-45",
    "bad-datetime": "published: 2026-02-30 10:00:00",
    "bad-timestamp-tag": "published: !!timestamp xyz",
    "bad-float-tag": "version: !!float abc",
    "bad-int-tag": "version: !!int abc",
    "surrogate": 'title: "\\ud800"',
    "nul-escape": 'title: "a\\0b"',
    "bell-escape": 'sources: ["\\a"]',
    "deep-flow": "title: " + "[" * 1000 + "]" * 1000,
    "deep-block": "title:\n" + "".join("  " * i + "-\n" for i in range(1, 400)),
    "list-key": "? [a, b]\n: 1",
    "undefined-alias": "title: *nowhere",
    "binary": "title: !!binary aGVsbG8=",
    "set": "title: !!set {a: null}",
    "mixed-keys": "1: one\nnull: two\n2026-01-01: three",
    "year-1": "published: 0001-01-01",
    "year-9999": "reviewed: 9999-01-01\nnext_review: 9999-12-31",
    "infinite": "version: .inf",
    "not-a-mapping": "- a\n- b",
    "plain-text": "just some words",
    "tab-indent": "title:\n\t- x",
    "duplicate-keys": "title: one\ntitle: two",
    "merge-keys": "base: &b {x: 1}\ntitle: {<<: [*b, *b]}",
    **{f"laughs-{key}": _laughs(key) for key in
       ("title", "published", "translation_status", "sources", "keywords", "version",
        "unknown")},
}


@pytest.mark.parametrize("name", list(NASTY_YAML))
def test_nasty_yaml_is_refused_in_one_line_and_runs_nothing(tmp_path, name):
    pwned = tmp_path / "pwned"
    extra = NASTY_YAML[name].replace("{pwned}", str(pwned))
    lines = [f"{k}: {json.dumps(v)}" for k, v in GOOD.items()
             if not re.search(rf"^{k}:", extra, re.M)]
    path = tmp_path / "content" / "leaf" / "en.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\n" + "\n".join([*lines, extra]) + "\n---\nBody.\n")
    result = load_or_error(path, seconds=5)
    assert not pwned.exists()
    if name.startswith(("python", "laughs", "huge", "bad", "surrogate", "nul", "bell",
                        "year", "deep", "mixed", "not-a", "plain", "undefined")):
        assert isinstance(result, LeafletError), name


@FEW
@given(data=st.binary(max_size=3000), prefix=st.sampled_from(
    [b"", b"\xef\xbb\xbf", FRONT.encode(), b"\xef\xbb\xbf" + FRONT.encode(), b"---\n",
     FRONT.encode().replace(b"\n", b"\r\n"), FRONT.encode() + b"\xff\xfe"]))
def test_any_bytes_load_or_fail_in_one_line(tmp_path, data, prefix):
    path = tmp_path / "content" / "leaf" / "en.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(prefix + data)
    load_or_error(path)


@pytest.mark.parametrize("raw,expected", [
    (b"", "must start with a '---' line"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    (FRONT.encode() + b"caf\xe9\n", "not valid UTF-8 text"),
    (FRONT.encode() + b"x" * (content.MAX_BYTES + 1), "larger than 2 MB"),
    (b"---\ntitle: x\n", "no closing '---'"),
])
def test_files_that_are_not_leaflets(tmp_path, raw, expected):
    path = tmp_path / "content" / "leaf" / "en.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(raw)
    result = load_or_error(path)
    assert isinstance(result, LeafletError) and expected in result.detail


def test_bom_crlf_and_front_matter_only_load(tmp_path):
    path = tmp_path / "content" / "leaf" / "en.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbf" + FRONT.encode().replace(b"\n", b"\r\n"))
    leaflet = load_leaflet(path)
    assert leaflet.title == "A title" and leaflet.body_html == ""


MEGA = 1_000_000


@st.composite
def bodies(draw):
    """Markdown that is deep, long or built to make parsers backtrack."""
    depth = draw(st.integers(1, 300))
    size = draw(st.sampled_from([10, 1000, 20_000, MEGA]))
    pieces = draw(st.lists(st.sampled_from([
        "\n".join("  " * i + "- item" for i in range(depth)),
        "\n".join(">" * i + " quote" for i in range(1, depth)),
        ">" * depth + " deep",
        "<div>" * depth + "x" + "</div>" * depth,
        "| a | b |\n|---|---|\n" + "| c | d |\n" * depth,
        "!!! warning\n" + "".join("    " * i + "!!! note\n" for i in range(1, depth % 20 + 2)),
        "```\nunclosed fence",
        "<!-- unclosed comment",
        "word " * (size // 5),
        "*a" * (size // 2),
        "[" * size,
        "<a " * (size // 3),
        "`a" * (size // 2),
        "x" * size,
        "<script>alert(1)</script><style>@import 'x.css';</style>",
        "\u202e\u200f\ufeff\U0001f600 \x07\x1b",
    ]), min_size=1, max_size=3))
    return "\n\n".join(pieces)[: content.MAX_BYTES - 1000]


@NO_GC_CALLBACKS
@FEW
@given(body=bodies())
@example(body="*a" * (MEGA // 2))  # quadratic in Python-Markdown: stopped by the limit
@example(body="word " * (MEGA // 5))  # a 1 MB line of prose converts
@example(body="\n".join("  " * i + "- item" for i in range(800)))
@example(body=">" * 5000 + " deep")
def test_hostile_markdown_converts_or_fails_within_the_limit(tmp_path, monkeypatch, body):
    monkeypatch.setattr(content, "MARKDOWN_SECONDS", 0.3)
    path = tmp_path / "content" / "leaf" / "en.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FRONT + body, encoding="utf-8")
    result = load_or_error(path, seconds=5)
    if isinstance(result, LeafletError):
        assert "Markdown" in result.detail, result.detail
    with within(5):
        content.scan_body(body, 10)


@NO_GC_CALLBACKS
def test_markdown_time_limit_is_remembered_per_file_version(tmp_path, monkeypatch):
    monkeypatch.setattr(content, "MARKDOWN_SECONDS", 0.3)
    path = tmp_path / "content" / "leaf" / "en.md"
    path.parent.mkdir(parents=True)
    path.write_text(FRONT + "*a" * 300_000)
    first = load_or_error(path, seconds=5)
    assert "Markdown took longer than 0.3 s to convert" in first.detail
    start = time.perf_counter()
    again = load_or_error(path, seconds=5)
    assert again.detail == first.detail and time.perf_counter() - start < 0.1


@pytest.fixture(scope="module")
def check_project(tmp_path_factory):
    dest = tmp_path_factory.mktemp("check") / "basic"
    shutil.copytree(Path(__file__).parent / "fixtures" / "basic", dest)
    return dest


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(changes=st.dictionaries(KEYS, VALUES, max_size=3),
       body=st.lists(st.sampled_from([
           "## Heading", "# Title again", "###### deep", "Some *italic* and _under_ text.",
           "![](missing.png)", "![x](file:///etc/passwd)", "[link](../../../../etc/passwd)",
           "<img src='http://127.0.0.1:9/x.png'>", "- a\n  - b\n    - c\n      - d",
           "> > > quoted", "| a |\n|---|\n| b |", "\U0001f600 \u0000 \ufffd", "word " * 2000,
           "<u>under</u>", "!!! danger\n    help", ": orphan definition", "```\ncode"]),
           max_size=6))
def test_check_command_never_crashes(check_project, changes, body):
    from click.testing import CliRunner

    from leaflet.cli import main

    meta: dict = {**GOOD, **changes}
    path = check_project / "content" / "sample" / "en.md"
    path.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
                    + "---\n\n" + "\n\n".join(body) + "\n", encoding="utf-8")
    with within(20):
        result = CliRunner().invoke(main, ["--project", str(check_project), "check"],
                                    catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- 1b. hostile but valid, built

HOSTILE_BODIES = {
    "front-matter-only": "",
    "nested-lists": "\n".join("    " * i + "- level" for i in range(25)),
    "nested-quotes": "\n".join(">" * i + " quoted" for i in range(1, 40)),
    "nested-divs": "<div>" * 300 + "deep" + "</div>" * 300,
    "wide-table": "|" + "c|" * 60 + "\n|" + "-|" * 60 + "\n|" + "x|" * 60,
    "active-html": "<script>document.write('x')</script><form><input value=a></form>"
                   "<meta http-equiv=refresh content='0;url=http://127.0.0.1:9/'>"
                   "<base href='file:///etc/'><img src='passwd' alt='via base'>",
    "controls": "bidi \u202e reversed \u202c, zero-width \u200b\u200d, soft\u00adhyphen",
    "emoji": "A face \U0001f600 no font covers.",
    "unclosed": "<table><tr><td>open <b>bold <i>italic ```fence",
}


@pytest.mark.usefixtures("unsanitized")
def test_hostile_but_valid_leaflets_build_or_fail_in_one_line(project, run):
    for name, body in HOSTILE_BODIES.items():
        add_leaflet(project, name, body)
    crlf = project / "content" / "bom-crlf" / "en.md"
    crlf.parent.mkdir()
    crlf.write_bytes(b"\xef\xbb\xbf" + (FRONT + "\nText.\n").encode().replace(b"\n", b"\r\n"))
    with within(60):
        result = build(run, project, "--no-check", "--timeout", "20")
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert result.exit_code == (1 if errors else 0), result.output
    for line in errors:
        assert re.match(r"Error: \S+/content/[a-z-]+/en\.md(:\d+)?: ", line), line
    assert len(errors) == 2
    assert "emoji/en.md:12: no font has a glyph for U+1F600" in errors[0]
    assert "nested-divs/en.md: nested too deeply to lay out" in errors[1]
    outputs = manifest(project / "dist")
    assert len(outputs) == len(HOSTILE_BODIES) + 2
    assert_consistent(project / "dist")
    warnings = outputs["active-html/active-html.en.standard.pdf"]["warnings"]
    assert any("refused to read file:///etc/passwd: outside the project" in w
               for w in warnings), warnings  # <base href> does not get around the fetcher


# ---------------------------------------------------------------- 2. nothing outside, no network

def assert_nothing_leaked(project: Path, outside: Path, opened: list[str]) -> None:
    assert opened_inside(opened, outside) == []
    assert SECRET.encode() not in all_output_text(project / "dist")


def test_content_file_symlinked_out_of_the_project_is_not_read(project, run, outside):
    (project / "content" / "leak").mkdir()
    (project / "content" / "leak" / "en.md").symlink_to(outside / "secret.md")
    (project / "content" / "folder").symlink_to(outside, target_is_directory=True)
    shutil.copy(outside / "secret.md", outside / "fr.md")
    with opened_files() as opened:
        result = build(run, project)
    assert result.exit_code == 1
    assert "1 built, 0 cached, 2 failed" in result.output
    for name in ("leak/en.md", "folder/fr.md"):
        assert display_path(project / "content" / name) in result.output
    assert result.output.count("points outside the project (symlink?): not read") == 2
    assert SECRET not in result.output
    assert_nothing_leaked(project, outside, opened)
    # `leaflet check` reports it too, and shows nothing of the file.
    result = run(["--project", project, "check"])
    assert result.exit_code == 1 and SECRET not in result.output
    assert "points outside the project" in result.output


@pytest.mark.parametrize("kind", ["template", "templates-folder", "stylesheet", "styles-folder"])
def test_template_and_style_overrides_symlinked_out_are_refused(project, run, outside, kind):
    (outside / "standard.html").write_text(
        '{% extends "base.html" %}{% block body %}' + SECRET + "{% endblock %}")
    (outside / "standard.css").write_text(f"body::before {{ content: '{SECRET}'; }}")
    if kind == "template":
        (project / "templates").mkdir()
        (project / "templates" / "standard.html").symlink_to(outside / "standard.html")
    elif kind == "templates-folder":
        (project / "templates").symlink_to(outside, target_is_directory=True)
    elif kind == "stylesheet":
        (project / "styles").mkdir()
        (project / "styles" / "standard.css").symlink_to(outside / "standard.css")
    else:
        (project / "styles").symlink_to(outside, target_is_directory=True)
    with opened_files() as opened:
        result = build(run, project)
    assert result.exit_code == 1, result.output
    what = "template" if kind.startswith("template") else "stylesheet"
    assert f"{what} points outside the project (symlink?)" in result.output
    assert_nothing_leaked(project, outside, opened)


def test_catalog_symlinked_out_of_the_project_is_refused(fixture_project, run, outside):
    project = fixture_project("i18n-sample")
    builtin = Path(i18n.__file__).parent.parent / "locales" / "es" / "LC_MESSAGES" / "leaflet.po"
    (outside / "leaflet.po").write_text(builtin.read_text().replace(
        'msgstr "Página %(page)s de %(pages)s"', f'msgstr "{SECRET} %(page)s %(pages)s"'))
    assert SECRET in (outside / "leaflet.po").read_text()
    folder = project / "locales" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "leaflet.po").symlink_to(outside / "leaflet.po")
    for check in ([], ["--no-check"]):  # the check and the build both refuse it
        with opened_files() as opened:
            result = run(["--project", project, "build", "-j", "1", "--lang", "es", *check])
        assert result.exit_code == 1
        assert "catalog points outside the project (symlink?): not read" in result.output
        assert_nothing_leaked(project, outside, opened)
    with opened_files() as opened:
        result = run(["--project", project, "check", "--lang", "es"])
    assert "catalog points outside the project (symlink?): not read" in result.output
    assert_nothing_leaked(project, outside, opened)


@pytest.mark.usefixtures("unsanitized")
def test_hostile_html_and_css_read_nothing_outside_and_open_no_socket(project, run, outside):
    listener = Listener()
    port = listener.port
    svg = ("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' "
           "xmlns:xlink='http://www.w3.org/1999/xlink'><image width='5' height='5' "
           f"xlink:href='{(outside / 'secret.png').as_uri()}'/></svg>")
    body = f"""
<style>
@import url("{(outside / 'secret.css').as_uri()}");
@import "../../../outside/secret.css";
@import url("http://127.0.0.1:{port}/style.css");
@font-face {{ font-family: x; src: url("{(outside / 'secret.txt').as_uri()}"); }}
h2 {{ background: url("/{outside.relative_to('/')}/secret.png"); }}
</style>
<link rel="stylesheet" href="{(outside / 'secret.css').as_uri()}">
<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">
<p style="background: url('../../../outside/secret.png')">inline file</p>
<p style="background-image: url(http://127.0.0.1:{port}/bg.png)">inline http</p>
<p style="list-style-image: url(https://127.0.0.1:{port}/li.png)">https</p>
<iframe src="../../../outside/secret.html"></iframe>
<object data="{(outside / 'secret.svg').as_uri()}"></object>
<embed src="http://127.0.0.1:{port}/e.svg">
<svg width="20" height="20" xmlns:xlink="http://www.w3.org/1999/xlink">
  <image width="10" height="10" href="{(outside / 'secret.png').as_uri()}"/>
  <use xlink:href="{(outside / 'secret.svg').as_uri()}#a"/>
</svg>
<img src="{svg}" alt="svg that points out">
<img src="file://localhost{outside / 'secret.png'}" alt="localhost">
<img src="//127.0.0.1:{port}/scheme-relative.png" alt="no scheme">
<a href="{(outside / 'secret.txt').as_uri()}">a plain link is only a link</a>
"""
    add_leaflet(project, "hostile", body)
    try:
        with opened_files() as opened:
            result = build(run, project, "--no-check")
    finally:
        listener.close()
    assert result.exit_code == 0, result.output
    assert listener.connections == 0
    assert_nothing_leaked(project, outside, opened)
    assert "refused to read" in result.output and "network access is off" in result.output


@pytest.mark.usefixtures("unsanitized")
def test_attachments_are_refused_even_for_project_files(project, run):
    add_leaflet(project, "attach", """
<link rel="attachment" href="../../leaflet.toml" title="config">
<a rel="attachment" href="../../leaflet.toml" download="x.toml">the config</a>
<a rel="attachment" href="data:text/plain,hello">inline</a>
""")
    result = build(run, project, "--no-check")
    assert result.exit_code == 0, result.output
    assert "refused 1 file attachment (<link rel=attachment>)" in result.output
    assert "(<a rel=attachment>): leaflets do not embed files" in result.output
    pdf = project / "dist" / "attach" / "attach.en.standard.pdf"
    reader = PdfReader(pdf)
    assert "/Names" not in reader.trailer["/Root"]
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            assert annot.get_object().get("/Subtype") != "/FileAttachment"
    assert b"[clinic]" not in all_output_text(project / "dist")


class _Redirector(http.server.BaseHTTPRequestHandler):
    targets: dict[str, str] = {}

    def do_GET(self):  # noqa: N802 - the http.server API
        self.send_response(302)
        self.send_header("Location", self.targets.get(self.path, "/"))
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.usefixtures("unsanitized")
def test_redirects_are_not_followed_even_with_network_on(project, run, outside):
    listener = Listener()  # where the redirects lead: must never be reached
    _Redirector.targets = {
        "/file.png": (outside / "secret.png").as_uri(),
        "/http.png": f"http://127.0.0.1:{listener.port}/img.png",
        "/http.css": f"http://127.0.0.1:{listener.port}/style.css",
    }
    server = http.server.HTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    config = project / "leaflet.toml"
    config.write_text(config.read_text() + "allow_network = true\n")
    add_leaflet(project, "redirect", f"""
<img src="{base}/file.png" alt="to a file">
<img src="{base}/http.png" alt="to another host">
<style>@import url("{base}/http.css");</style>
""")
    try:
        with opened_files() as opened:
            result = build(run, project, "--no-check")
    finally:
        server.shutdown()
        listener.close()
    assert result.exit_code == 0, result.output
    assert listener.connections == 0
    assert result.output.count("refused to follow the redirect from") == 3
    assert_nothing_leaked(project, outside, opened)


# ---------------------------------------------------------------- 3. bounded resources

def _huge_png(path: Path, width: int, height: int) -> Path:
    """A PNG that claims ``width`` x ``height``: tiny on disk, huge once decoded."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
    return path


@pytest.mark.usefixtures("unsanitized")
def test_hundreds_of_pages_and_huge_images_fail_only_their_output(project, run):
    from PIL import Image

    add_leaflet(project, "pages", "\n".join('<p style="break-after: page">x</p>'
                                            for _ in range(120)))
    folder = project / "content"
    Image.new("1", (20000, 20000)).save(folder / "sample" / "real.png")  # 48 KB on disk
    add_leaflet(project, "real-image", "![A huge image](../sample/real.png)")
    _huge_png(folder / "sample" / "liar.png", 100_000, 100_000)
    add_leaflet(project, "liar-image", "![A lying header](../sample/liar.png)")
    import base64

    inline = base64.b64encode(_huge_png(project / "x.png", 9000, 9000).read_bytes()).decode()
    add_leaflet(project, "inline-image", f'<img alt="inline" src="data:image/png;base64,{inline}">')
    with within(60):
        result = build(run, project, "--no-check")
    assert result.exit_code == 1
    assert "1 built, 0 cached, 4 failed" in result.output
    def where(*parts):
        return display_path(project.joinpath("content", *parts))

    assert re.search(re.escape(f"{where('pages', 'en.md')}: does not fit the standard layout: "
                               "needs ") + r"12\d pages, the limit is 40 \(8\d pages over\)",
                     result.output)
    assert (f"{where('real-image', 'en.md')}: image {where('sample', 'real.png')} is "
            "20000×20000 pixels (400 megapixels), more than the 50 allowed: scale it down"
            ) in result.output
    assert (f"{where('liar-image', 'en.md')}: image {where('sample', 'liar.png')} is "
            "100000×100000 pixels") in result.output
    assert (f"{where('inline-image', 'en.md')}: an inline (data:) image is 9000×9000 pixels"
            ) in result.output
    assert "Traceback" not in result.output and "DecompressionBomb" not in result.output
    assert statuses(project)["sample/sample.en.standard.pdf"] == "built"


def test_a_resource_too_large_to_read_fails_its_output(project, run, monkeypatch):
    from PIL import Image

    from leaflet import fetch

    monkeypatch.setattr(fetch, "MAX_RESOURCE_BYTES", 3_000_000)  # the fonts are smaller
    Image.frombytes("L", (2000, 2000), os.urandom(4_000_000)).save(project / "noise.png",
                                                                  compress_level=0)
    add_leaflet(project, "big-file", "![Noise](../../noise.png)")
    result = build(run, project, "--no-check", "big-file")
    assert result.exit_code == 1
    assert "noise.png is larger than 3 MB" in result.output


def statuses(project: Path) -> dict[str, str]:
    return {path: entry["status"] for path, entry in manifest(project / "dist").items()}


GIANT_TABLE = "| a | b | c |\n|---|---|---|\n" + "".join(f"| {i} | cell | more |\n"
                                                         for i in range(3000))


@NO_GC_CALLBACKS
@ALARM_MAY_HIT_A_FINALIZER
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_timeout_fails_the_slow_output_and_keeps_the_rest(project, run, jobs):
    add_leaflet(project, "giant", GIANT_TABLE)
    add_leaflet(project, "small")
    start = time.perf_counter()
    # A worker's start-up is paid before its limit starts (Renderer.warm_up); the extra
    # half second for -j 2 is room for two workers sharing two busy cores.
    limit = "1" if jobs == "1" else "1.5"
    result = run(["--project", project, "build", "-j", jobs, "--no-check", "--timeout", limit])
    assert time.perf_counter() - start < 12
    assert result.exit_code == 1, result.output
    assert "2 built, 0 cached, 1 failed" in result.output
    giant = display_path(project / "content" / "giant" / "en.md")
    assert (f"Error: {giant}: took longer than {limit} s (--timeout) to build "
            "giant.en.standard.pdf") in result.output
    assert not (project / "dist" / "giant").exists()
    assert_consistent(project / "dist")


@NO_GC_CALLBACKS
def test_timeout_also_bounds_the_check_before_the_build(project, run, monkeypatch):
    from leaflet import check

    real = check.blocking_errors

    def slow(config, path, today=None):
        if path.parent.name == "stuck":
            time.sleep(30)
        return real(config, path, today)

    monkeypatch.setattr(check, "blocking_errors", slow)
    add_leaflet(project, "stuck")
    with within(10):
        result = build(run, project, "stuck", "--timeout", "0.5")
    assert result.exit_code == 1
    stuck = display_path(project / "content" / "stuck" / "en.md")
    assert f"{stuck}: checking it took longer than 0.5 s (--timeout); not built" in result.output
    assert "0 built, 0 cached, 1 failed" in result.output


class _SlowToDelete:
    def __del__(self):
        time.sleep(0.3)  # the first alarm lands here, and Python drops what it raises


@NO_GC_CALLBACKS
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_time_limit_survives_its_alarm_being_dropped():
    from leaflet.errors import time_limit

    start = time.perf_counter()
    with pytest.raises(LeafletError, match="too slow"), within(5):
        with time_limit(0.1, "too slow"):
            _SlowToDelete()  # deleted at once: its __del__ runs past the limit
            while time.perf_counter() - start < 4:
                pass
    assert time.perf_counter() - start < 1.5


@NO_GC_CALLBACKS
def test_a_time_limit_is_not_swallowed_by_except_exception():
    from leaflet.errors import time_limit

    start = time.perf_counter()
    with pytest.raises(LeafletError, match="too slow"), within(5):
        with time_limit(0.1, "too slow"):
            while time.perf_counter() - start < 3:
                try:  # as WeasyPrint does around each image and stylesheet
                    sum(range(1000))
                except Exception:  # noqa: BLE001, S110
                    pass


def test_timeout_must_be_positive(project, run):
    result = build(run, project, "--timeout", "0")
    assert result.exit_code == 2 and "--timeout" in result.output


# ---------------------------------------------------------------- 4. faults

def test_output_folder_that_cannot_be_written(project, run):
    (project / "dist").write_text("a file, not a folder")
    result = build(run, project)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "cannot write to the output folder" in result.output

    (project / "dist").unlink()
    add_leaflet(project, "other")
    (project / "dist" / "sample").mkdir(parents=True)
    (project / "dist" / "sample").rmdir()
    (project / "dist" / "sample").write_text("in the way")  # the output's own folder
    result = build(run, project, "--report", project / "dist" / "sample" / "junit.xml")
    assert result.exit_code == 1
    assert "cannot write" in result.output and "Traceback" not in result.output
    assert (project / "dist" / "other" / "other.en.standard.pdf").is_file()
    assert "sample/sample.en.standard.pdf" not in json.loads(
        (project / "dist" / build_module.CACHE_NAME).read_text())
    (project / "dist" / "sample").unlink()
    result = build(run, project)
    assert result.exit_code == 0 and "1 built, 1 cached" in result.output


@pytest.fixture
def disk_full(monkeypatch):
    """``full(predicate)``: writes to temporaries whose final name matches fail, ENOSPC."""
    real_fsync = os.fsync
    rule = {"match": lambda name: False}

    def fsync(fd):
        name = os.readlink(f"/proc/self/fd/{fd}")
        if rule["match"](Path(name).name.split(build_module.TMP_MARK)[0]):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)

    def full(predicate):
        rule["match"] = predicate

    return full


def test_disk_full_never_leaves_a_partial_pdf_or_cache(project, run, disk_full):
    out = project / "dist"
    build(run, project)
    pdf = out / "sample" / "sample.en.standard.pdf"
    good = pdf.read_bytes()
    source = project / "content" / "sample" / "en.md"
    source.write_text(source.read_text() + "\nOne more line.\n")

    disk_full(lambda name: name.endswith(".pdf"))
    result = build(run, project)
    assert result.exit_code == 1
    assert "cannot write" in result.output and "No space left on device" in result.output
    assert pdf.read_bytes() == good and not list(out.rglob("*.tmp-*"))

    cache_before = (out / build_module.CACHE_NAME).read_text()
    disk_full(lambda name: name.endswith(".json"))
    result = build(run, project)
    assert result.exit_code == 1
    assert "cannot write the cache or manifest: No space left on device" in result.output
    assert "Traceback" not in result.output
    assert (out / build_module.CACHE_NAME).read_text() == cache_before  # old or new, never half

    disk_full(lambda name: False)
    result = build(run, project)
    assert result.exit_code == 0, result.output
    assert "1 built, 0 cached" in result.output  # the cache never listed the new PDF
    assert_consistent(out)


@pytest.mark.parametrize("check", ["--check", "--no-check"])  # found by the check, or the build
def test_a_missing_font_package_names_it_and_the_pip_command(fixture_project, run, monkeypatch,
                                                              check):
    project = fixture_project("i18n-sample")
    monkeypatch.setitem(sys.modules, "fontpkg_noto_sans_arabic", None)  # import fails
    fonts.package_faces.cache_clear()
    args = [check] if check == "--no-check" else []
    try:
        result = run(["--project", project, "build", "-j", "1", "--lang", "ar", "--lang", "en",
                      *args])
    finally:
        fonts.package_faces.cache_clear()
    assert result.exit_code == 1
    assert "font package fontpkg-noto-sans-arabic is not installed: run " \
           "'pip install fontpkg-noto-sans-arabic'" in result.output
    assert display_path(project / "content" / "sample" / "ar.md") in result.output
    assert "Traceback" not in result.output
    assert statuses(project)["sample/sample.en.standard.pdf"] == "built"


_KILL: dict = {}


def _dying_run_job(job, key):
    """``_run_job`` whose worker SIGKILLs itself on extra-1, ``times`` times in all."""
    deaths = _KILL["deaths"]
    if job.slug == "extra-1":
        count = len(deaths.read_text()) if deaths.exists() else 0
        if count < _KILL["times"]:
            deaths.write_text("x" * (count + 1))
            os.kill(os.getpid(), signal.SIGKILL)
    return _KILL["real"](job, key)


@pytest.mark.parametrize("times", [1, 99])
def test_a_worker_killed_mid_build(project, run, monkeypatch, tmp_path, times):
    """SIGKILL of a worker (the out-of-memory killer): retried; if it dies every time, only
    that output fails; the next run recovers by itself."""
    for i in range(4):
        add_leaflet(project, f"extra-{i}")
    deaths = tmp_path / "deaths"
    _KILL.update(deaths=deaths, times=times, real=build_module._run_job)
    # Workers are forked: they see the patched function.
    monkeypatch.setattr(build_module, "_run_job", _dying_run_job)
    with within(60):
        result = run(["--project", project, "build", "-j", "2"])
    out = project / "dist"
    if times == 1:
        assert result.exit_code == 0, result.output
        assert "5 built, 0 cached, 0 failed" in result.output
    else:
        assert result.exit_code == 1
        assert "4 built, 0 cached, 1 failed" in result.output
        assert ("the build worker stopped while building extra-1.en.standard.pdf, every time "
                "it was tried (killed, or out of memory?)") in result.output
        assert len(deaths.read_text()) == 3  # in a pool, again in a pool, then alone
    assert_consistent(out)
    monkeypatch.setattr(build_module, "_run_job", _KILL["real"])
    result = build(run, project)
    assert result.exit_code == 0
    assert ("0 built, 5 cached" if times == 1 else "1 built, 4 cached") in result.output


def test_sigterm_during_an_in_process_build_stops_it_consistently(project):
    add_leaflet(project, "a-first")
    add_leaflet(project, "b-slow", GIANT_TABLE)
    for i in range(3):
        add_leaflet(project, f"c-{i}")
    out = project / "dist"
    proc = subprocess.Popen([sys.executable, "-m", "leaflet", "--project", str(project), "build",
                             "-j", "1", "--no-check"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 30
    while time.time() < deadline and not list(out.rglob("a-first*.pdf")):
        time.sleep(0.05)
    time.sleep(0.3)  # inside the giant table now
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, output
    assert "(interrupted)" in output and "Traceback" not in output
    assert not list(out.rglob("c-*.pdf")), "SIGTERM must stop the build, not one output"
    assert_consistent(out)
    assert statuses(project) == {"a-first/a-first.en.standard.pdf": "built"}


def test_corrupt_cache_and_manifest_are_rebuilt(project, run):
    out = project / "dist"
    build(run, project)
    cache_path = out / build_module.CACHE_NAME
    cache = json.loads(cache_path.read_text())
    cache["sample/sample.en.standard.pdf"]["warnings"] = 5  # key and hash still match
    for garbage in [json.dumps(cache).encode(), b"\x00\xff garbage", b"[" * 100_000,
                    b'{"sample/sample.en.standard.pdf": 5}', '{"\xe9": '.encode("latin-1")]:
        cache_path.write_bytes(garbage)
        (out / "manifest.json").write_bytes(garbage)
        result = build(run, project)
        assert result.exit_code == 0, (garbage[:40], result.output)
        assert "1 built, 0 cached" in result.output, garbage[:40]
        assert_consistent(out)


# ---------------------------------------------------------------- 5. two builds at once

def test_two_builds_into_one_folder_take_turns(project, tmp_path):
    for i in range(2):
        add_leaflet(project, f"extra-{i}")
    out = project / "dist"
    out.mkdir()
    logs, procs = [], []
    with build_module.OutputLock(out):  # a third build holds the folder: both must wait
        for n in range(2):
            log = tmp_path / f"build-{n}.log"
            logs.append(log)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "leaflet", "--project", str(project), "build", "-j", "1"],
                stdout=subprocess.DEVNULL, stderr=log.open("w")))
        deadline = time.time() + 30
        while time.time() < deadline and not all(
                "waiting for another build" in log.read_text() for log in logs):
            time.sleep(0.05)
        assert all("waiting for another build" in log.read_text() for log in logs)
    for proc in procs:
        assert proc.wait(timeout=60) == 0, [log.read_text() for log in logs]
    assert len(list(out.glob("*/*.pdf"))) == 3  # (the web version in site/ has copies)
    assert set(statuses(project).values()) == {"cached"}  # the second found the first's work
    assert_consistent(out)


@ALARM_MAY_HIT_A_FINALIZER
def test_check_does_not_hang_on_a_pathological_line(project, run, monkeypatch):
    from leaflet import content

    monkeypatch.setattr(content, "MARKDOWN_SECONDS", 0.3)
    source = project / "content" / "sample" / "en.md"
    source.write_text(source.read_text() + "\n" + "*a" * 300_000 + "\n")
    started = time.monotonic()
    result = run(["--project", project, "check"])
    assert time.monotonic() - started < 15
    assert result.exit_code == 1
    assert "Markdown took longer than 0.3 s to convert" in result.output


# ---------------------------------------------------------------- found in review

def test_warm_up_reads_nothing_outside_the_project(project, outside):
    """The worker's first render (Renderer.warm_up) applies the project's stylesheets:
    through the confined fetcher, like every render."""
    from leaflet import render
    from leaflet.config import load_config

    (project / "styles").mkdir()
    base = (render.builtin_dir("styles") / "base.css").read_text()
    (project / "styles" / "base.css").write_text(
        base + f'\nhtml {{ background-image: url("{(outside / "secret.png").as_uri()}"); }}\n')
    warm = render._WARM[0]
    render._WARM[0] = False
    try:
        with opened_files() as opened:
            render.Renderer(load_config(project)).warm_up()
    finally:
        render._WARM[0] = warm
    assert opened_inside(opened, outside) == []


@pytest.mark.parametrize("markdown, message", [
    ("[x](http://[oops/x)", "link http://[oops/x is not a valid address"),
    ("[x](form%00.pdf)", "form%00.pdf is not a valid file name"),
])
def test_a_malformed_link_is_one_error_and_the_other_leaflets_build(project, run, markdown,
                                                                     message):
    add_leaflet(project, "bad", f"See {markdown}.")
    result = run(["--project", project, "build", "-j", "1", "--no-site"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.output
    assert "1 built, 0 cached, 1 failed" in result.output  # the sample is built


def test_the_lang_of_content_is_a_language_tag_or_nothing(project, run):
    """A lang attribute reaches CSS selectors in the web version: nothing else gets in."""
    add_leaflet(project, "lang", 'A <span lang="en) { } main, h1 { display: none } '
                                 ':lang(en">word</span> and <span lang="fr">mot</span>.')
    assert run(["--project", project, "build", "-j", "1"]).exit_code == 0
    css = (project / "dist" / "site" / "_static" / "site.css").read_text()
    assert "display: none } :lang" not in css and "main, h1 { display: none }" not in css
    page = (project / "dist" / "site" / "lang" / "en" / "index.html").read_text()
    assert 'lang="fr"' in page and "display: none" not in page


def test_a_translated_page_counter_cannot_end_the_style_element():
    from leaflet.render import counter_text

    css = counter_text('x</style><style>main{display:none}"%(page)s')
    assert "<" not in css and ">" not in css and css.count('"') == 2
    assert css.endswith("counter(page)")


@pytest.mark.parametrize("link", ["file:///C:/Windows/System32/calc.exe",
                                  "javascript:alert(1)", "clinic.example/page"])
def test_a_leaflets_link_must_be_a_web_address(project, run, link):
    front = FRONT.replace("---\n", f"---\nlink: {json.dumps(link)}\n", 1)
    add_leaflet(project, "linked", front=front)
    result = run(["--project", project, "check"])
    assert "'link' must be a web address starting with https:// (or http://)" in result.output


@pytest.mark.parametrize("setting, message", [
    ('[build]\nlink = "https://x.example/{slug.x}/"',
     "build.link may only use the placeholders {slug} and {lang}"),
    ('[build]\nlink = "file:///{slug}"', "build.link must be a web address"),
    ('[site]\nbase_url = "https://x.example/a}b/"', "plain folder address without ?, # or {}"),
    ('[clinic]\nlogo = "a\\u0000b.svg"', "clinic.logo 'a\\x00b.svg' is not a file name"),
    ('[layouts.card]\nextends = "standard"\nstylesheet = "../../../etc/passwd"',
     "layouts.card.stylesheet must be a file name in styles/ (no folders)"),
    ('[layouts.pocket]\nextends = "trifold"\nimpose = "saddle-stitch"\npage = "a5"\n'
     'sheet = "a4 landscape"', "a saddle-stitched booklet has a multiple of 4 pages"),
])
def test_leaflet_toml_mistakes_are_error_lines_not_tracebacks(project, run, setting, message):
    (project / "leaflet.toml").write_text(setting + "\n")
    result = run(["--project", project, "build", "-j", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert message in result.output


def test_yaml_explicit_keys_are_read_not_a_traceback(project, run):
    front = FRONT.replace('version: "1.0"\n', '? version\n: "1.0"\n')
    assert '? version' in front
    add_leaflet(project, "explicit", front=front)
    result = run(["--project", project, "list"])
    assert "Traceback" not in result.output and "explicit" in result.output


def test_a_symlink_loop_in_a_leaflet_folder_is_left_alone(project, run):
    (project / "content" / "sample" / "loop").symlink_to(project / "content" / "sample" / "loop")
    result = run(["--project", project, "build", "-j", "1", "--no-site"])
    assert result.exit_code == 0, result.output


def test_a_leaflet_named_twice_is_built_once(project, run):
    result = run(["--project", project, "build", "-j", "1", "--no-site", "sample", "sample",
                  "--lang", "en", "--lang", "en", "--layout", "standard", "--layout",
                  "standard"])
    assert result.exit_code == 0 and "1 built" in result.output
    assert len(manifest(project / "dist")) == 1
