"""Scaffolds: ``leaflet new`` (one leaflet) and ``leaflet init`` (a whole clinic folder)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import re
from pathlib import Path

from . import __version__
from .content import SLUG_RE
from .errors import LeafletError

PLACEHOLDER = "TODO"

LEAFLET_TEMPLATE = """\
---
title: {title}
summary: {todo} Say in one sentence what this leaflet is about and who it is for.
version: "0.1"
published: {today}
reviewed: {today}
next_review: {next_review}
owner: {todo} name of the team or author responsible
keywords: []
key_points:
  - {todo} the most important thing to know
  - {todo} the second most important thing
sources:
  - "{todo} a reference the facts come from (author, title, year, where to find it)"
---

## What is this?

{todo} Explain the condition or treatment in short sentences. Speak to the reader as
"you". Put one idea in each sentence.

## What can I do?

{todo} Say what the reader can do themselves.

- {todo} one thing to do
- {todo} another thing to do

!!! warning "When to get help"
    {todo} Say when to contact a doctor or nurse, and how.

## Where can I find out more?

{todo} Name a trusted place for more information.
"""

CONFIG_TEMPLATE = """\
# leaflet.toml: settings for {name}'s patient leaflets.
# Every key is optional. Unknown keys are reported as errors (usually typos).

[clinic]
name = "{name}"
address = ""            # shown in the contact block
phone = ""
email = ""
website = ""
feedback = ""           # how patients tell you what they think (PIF TICK asks for one)
# logo = "assets/logo.svg"   # an SVG or PNG inside this folder
brand_colour = "#005eb8"     # headings and boxes; must contrast with white (4.5:1)

[build]
paper = "{paper}"            # "a4" or "letter"
# region = "GB"             # your country: dates and numbers in its style (en: 15 October 2026)
languages = []               # empty: every language a leaflet has
layouts = ["standard", "booklet", "trifold", "large-print", "poster"]
# link = "https://example.org/leaflets/{{slug}}/{{lang}}/"   # QR code on posters

# [site]                     # the web version, written to dist/site/ by every build
# base_url = "https://example.org/leaflets/"   # where you publish dist/site/: the QR codes
#                                              # then lead to its pages (unless link says)

# A layout of your own: see "Your own layouts" in leaflet's README.
# [layouts.card]
# description = "A5 card: key points and contact"
# template = "card.html"     # templates/card.html
# stylesheet = "card.css"    # styles/card.css
# page = "a5"
# max_pages = 2

[check]
review_warning_days = 90     # warn this many days before a leaflet's next_review
readability_grade = 8        # target US school grade (or the language's equivalent)
"""

GITIGNORE = "dist/\npreview/\n"

DISTRIBUTION = "clinic-leaflets"  # leaflet's name on PyPI ("leaflet" is another project)
SHARDS = 4

CI_WORKFLOW = """\
# CI for these leaflets (GitHub Actions): check every leaflet, build them in {shards}
# parallel shards, then merge the shards' manifests into one.
#
# leaflet is installed by its PyPI name, {dist} (the package called "leaflet" on PyPI
# is an unrelated project), pinned to the version that wrote this file, with every
# library it needs pinned in .github/leaflet-constraints.txt, so CI builds the same PDFs
# as your computer. To install from source instead (or before {dist} is on PyPI),
# set LEAFLET below to a pinned commit:
#   LEAFLET: "{dist} @ git+https://<git host>/<leaflet repository>@<commit>"
name: leaflets
on: [push, pull_request]
env:
  LEAFLET: "{dist}=={version}"
jobs:
  check:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "$LEAFLET" -c .github/leaflet-constraints.txt
      - run: leaflet check
  build:
    needs: check
    runs-on: ubuntu-24.04
    strategy:
      fail-fast: false
      matrix:
        shard: [{shard_list}]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: |
          sudo apt-get update
          sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
      - run: pip install "$LEAFLET" -c .github/leaflet-constraints.txt
      # Font instances and web-font subsets leaflet derives once per font version.
      - uses: actions/cache@v4
        with:
          path: ~/.cache/leaflet
          key: leaflet-derived-${{{{ hashFiles('.github/leaflet-constraints.txt') }}}}
      # The last run's merged manifest: its build times split the work evenly. Every
      # runner must read the same one (merge-manifests warns if they did not).
      - uses: actions/cache/restore@v4
        with:
          path: durations
          key: leaflet-durations-${{{{ github.run_id }}}}
          restore-keys: leaflet-durations-
      # Each runner builds 1/{shards} of the outputs (by the recorded times when there are
      # some, else by a stable hash) and writes dist/manifest.shard-K-of-{shards}.json.
      - run: >-
          leaflet build --shard ${{{{ matrix.shard }}}}/{shards}
          --report junit-${{{{ matrix.shard }}}}.xml
          $( [ -f durations/manifest.json ] && echo --durations durations/manifest.json )
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: leaflets-${{{{ matrix.shard }}}}
          path: |
            dist/
            junit-${{{{ matrix.shard }}}}.xml
  merge:
    needs: build
    if: always()
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "$LEAFLET" -c .github/leaflet-constraints.txt
      - uses: actions/download-artifact@v4
        with:
          pattern: leaflets-*
          path: shards
      # Warns if a shard is missing (a runner that failed) or repeated.
      - run: >-
          leaflet merge-manifests shards/*/dist/manifest.shard-*-of-{shards}.json
          --out durations/manifest.json
      - uses: actions/upload-artifact@v4
        with:
          name: leaflets-manifest
          path: durations/manifest.json
      - uses: actions/cache/save@v4
        with:
          path: durations
          key: leaflet-durations-${{{{ github.run_id }}}}
"""


def ci_workflow(version: str | None = None, shards: int = SHARDS) -> str:
    """The CI example ``leaflet init`` writes, for this version of leaflet."""
    return CI_WORKFLOW.format(dist=DISTRIBUTION, version=version or __version__,
                              shards=shards, shard_list=", ".join(map(str, range(1, shards + 1))))


def pinned_requirements(dist: str = DISTRIBUTION) -> str:
    """``name==version`` for every library the installed ``dist`` needs, all the way down,
    as a pip constraints file: CI installs exactly what built the PDFs here."""
    pins: dict[str, str] = {}
    todo = [dist]
    while todo:
        name = todo.pop()
        try:
            meta = md.metadata(name)
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        key = _normalise(meta["Name"])
        if key in pins:
            continue
        pins[key] = meta["Version"]
        for requirement in requires:
            if "extra ==" in requirement:  # optional extras (tests, docs): not needed
                continue
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
            if match:
                todo.append(match.group(1))
    pins.pop(_normalise(dist), None)
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    return ("# Exact versions of the libraries leaflet used when this folder was made\n"
            "# (pip install -c this file). When you upgrade leaflet, 'leaflet init' in an\n"
            "# empty folder writes a fresh copy.\n"
            + "\n".join(lines) + "\n")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


OVERRIDE_README = """\
Files you put here replace the built-in {kind} of the same name, file by file.
Copy a built-in file here first, then edit it. See the README of leaflet.
"""


def new_leaflet(root: Path, slug: str, title: str | None = None,
                today: dt.date | None = None) -> Path:
    """Write ``content/<slug>/en.md`` with every required field and a skeleton body."""
    if not SLUG_RE.match(slug):
        raise LeafletError(f"{slug!r} is not a valid leaflet name: use lower-case letters, "
                           "digits and hyphens, e.g. 'knee-surgery'")
    path = root / "content" / slug / "en.md"
    if path.exists():
        raise LeafletError("already exists; not overwritten", path)
    today = today or dt.date.today()
    try:
        next_review = today.replace(year=today.year + 2)
    except ValueError:  # 29 February
        next_review = today.replace(year=today.year + 2, day=28)
    title = title or f"{PLACEHOLDER} " + slug.replace("-", " ").capitalize()
    text = LEAFLET_TEMPLATE.format(title=_yaml_text(title), today=today.isoformat(),
                                   next_review=next_review.isoformat(), todo=PLACEHOLDER)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def init_project(folder: Path, name: str = "Your clinic", paper: str = "a4",
                 today: dt.date | None = None) -> list[Path]:
    """Create a clinic folder that builds with the built-in templates straight away."""
    if (folder / "leaflet.toml").exists():
        raise LeafletError("already has a leaflet.toml; not overwritten", folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def write(relative: str, text: str) -> None:
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(path)

    write("leaflet.toml", CONFIG_TEMPLATE.format(name=name.replace('"', "'"), paper=paper))
    write(".gitignore", GITIGNORE)
    write(".github/workflows/leaflets.yml", ci_workflow())
    write(".github/leaflet-constraints.txt", pinned_requirements())
    write("templates/README.txt", OVERRIDE_README.format(kind="templates"))
    write("styles/README.txt", OVERRIDE_README.format(kind="styles"))
    if not (folder / "content" / "example" / "en.md").exists():
        written.append(new_leaflet(folder, "example", "Example leaflet", today))
    return written


def _yaml_text(value: str) -> str:
    """Quote a title when YAML would otherwise misread it."""
    if re.search(r"[:#\[\]{},&*!|>'\"%@`]", value) or value.strip() != value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value
