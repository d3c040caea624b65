"""Quality gate: the rules behind ``leaflet check`` — metadata, review dates, readability,
accessibility, links and translations — each with an id, a severity and a file and line.

The standards are the UK Patient Information Forum's PIF TICK (dates, 3-year review, sources,
owner, feedback route), RNIB/UKAAF clear print, WCAG AA contrast and health-literacy targets.
``run_checks`` checks a project; ``blocking_errors`` gives the error-level findings for one
content file (what ``leaflet build`` refuses to print).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import unquote, urlsplit

from . import content, fonts, i18n, images, readability
from .config import CONFIG_NAME, Clinic, Config
from .content import MAX_BYTES, Block, Leaflet, discover, \
    front_matter_lines, load_leaflet, naming_problems, refuse_outside, scan_body, \
    split_front_matter
from .errors import LeafletError, display_path, time_limit
from .files import local_path

SEVERITIES = ("error", "warning", "info")
REVIEW_SPAN_YEARS = 3  # PIF TICK: reviewed at least every three years
MIN_CONTRAST = 4.5  # WCAG 2 AA, normal-size text
PAGE_COLOUR = "#ffffff"  # every layout prints on white

# id → (severity, what it checks). The README's rule table is this table.
RULES: dict[str, tuple[str, str]] = {
    "config-invalid": ("error", "leaflet.toml cannot be read or has a bad setting"),
    "clinic-contact": ("error", "leaflet.toml names no clinic, or gives no phone number or email"),
    "feedback-route": ("error", "leaflet.toml has no clinic.feedback (how patients give feedback)"),
    "brand-contrast": ("error", f"clinic.brand_colour has less than {MIN_CONTRAST}:1 contrast "
                                "with the white page (WCAG AA)"),
    "file-name": ("error", "a folder under content/ that is not a leaflet name, or a file that "
                           "is not a language tag (not built; the message gives the name)"),
    "meta-invalid": ("error", "a content file cannot be read or its front matter is malformed"),
    "meta-missing": ("error", "a required front matter field is missing (title, summary, "
                              "version, published, reviewed, next_review, owner, sources)"),
    "meta-review-span": ("error", f"next_review is more than {REVIEW_SPAN_YEARS} years after "
                                  "reviewed"),
    "review-overdue": ("error", "next_review has passed"),
    "review-soon": ("warning", "next_review is within [check] review_warning_days (default 90)"),
    "readability-grade": ("warning", "the prose reads above the target US grade "
                                     "([check] readability_grade, default 8) or its equivalent"),
    "long-sentence": ("warning", f"a sentence has more than {readability.LONG_SENTENCE_WORDS} "
                                 "words"),
    "html-removed": ("warning", "raw HTML in the body that leaflets do not print (styles, "
                                "scripts, frames, forms, other links) was removed"),
    "img-alt": ("error", "an image has no alt text"),
    "img-too-large": ("error", f"an image has more than {images.MAX_IMAGE_PIXELS // 1_000_000} "
                               f"megapixels or {images.MAX_RESOURCE_BYTES // 1_000_000} MB: "
                               "the build refuses it"),
    "img-large": ("warning", f"an image is wider than any page prints at {images.PRINT_DPI} dpi "
                             "(it is scaled down in each PDF; a smaller file keeps the project "
                             "light)"),
    "file-missing": ("error", "an image or a linked local file does not exist"),
    "file-outside": ("error", "an image or a linked local file is outside the project folder"),
    "file-remote": ("warning", "an image on the web is not fetched while build.allow_network "
                               "is off"),
    "heading-skip": ("warning", "a heading skips a level, or the body has a level-1 heading "
                                "(the title is the only one)"),
    "placeholder": ("warning", "text still to be written: a TODO left by 'leaflet new' "
                               "or 'leaflet init'"),
    "large-print-emphasis": ("warning", "italics or underline for emphasis (large print "
                                        "avoids them)"),
    "translation-missing": ("warning", "a language in build.languages has no translation"),
    "translation-stale": ("warning", "a translation's source_version is not the source's "
                                     "version"),
    "translation-source-missing": ("warning", "translation_of names a language the leaflet "
                                              "does not have"),
    "translation-draft": ("info", "a translation is a draft, not yet checked by a translator"),
    "glyph-missing": ("error", "no font in the language's stack has a glyph for a character"),
    "font-unavailable": ("error", "a font package or font file the language needs is missing"),
    "catalog-invalid": ("error", "the language's template text catalog cannot be read"),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    path: Path | None
    line: int | None
    message: str

    def as_dict(self, root: Path) -> dict:
        return {"rule": self.rule, "severity": self.severity, "path": _relative(self.path, root),
                "line": self.line, "message": self.message}

    def text(self) -> str:
        """``file:line: severity id: message``."""
        where = display_path(self.path) if self.path is not None else CONFIG_NAME
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.severity} {self.rule}: {self.message}"


def finding(rule: str, path: Path | None, line: int | None, message: str) -> Finding:
    return Finding(rule, RULES[rule][0], path, line, message)


@dataclass(frozen=True)
class Readability:
    """One content file's readability (``score`` is None when it has no prose)."""

    slug: str
    lang: str
    path: Path
    score: readability.Score | None

    def as_dict(self, root: Path) -> dict:
        data = {"slug": self.slug, "lang": self.lang, "path": _relative(self.path, root)}
        data.update(self.score.as_dict() if self.score else {"formula": None})
        return data

    def text(self) -> str:
        where = f"{self.slug}/{self.lang}"
        if self.score is None:
            return f"{where}: no prose to score"
        s = self.score
        verdict = "ok" if s.ok else "above the target"
        counts = f"{_plural(s.sentences, 'sentence')}, {_plural(s.words, 'word')}"
        return f"{where}: {s.describe()}; {counts} — {verdict}"


@dataclass
class Report:
    root: Path
    today: dt.date
    target_grade: float
    findings: list[Finding] = field(default_factory=list)
    readability: list[Readability] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def failed(self, strict: bool = False) -> bool:
        failing = ("error", "warning") if strict else ("error",)
        return any(f.severity in failing for f in self.findings)

    def as_dict(self) -> dict:
        """The ``--format json`` document (schema version 1)."""
        return {
            "schema": 1,
            "today": self.today.isoformat(),
            "target_grade": self.target_grade,
            "summary": {s: self.count(s) for s in SEVERITIES},
            "findings": [f.as_dict(self.root) for f in self.findings],
            "readability": [r.as_dict(self.root) for r in self.readability],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def text_lines(self, quiet: bool = False, strict: bool = False) -> list[str]:
        """Findings grouped by file, then readability per language, then a summary."""
        shown = ("error", "warning") if strict else ("error",)
        lines: list[str] = []
        previous: object = ()
        for f in self.findings:
            if quiet and f.severity not in shown:
                continue
            if previous != () and f.path != previous:
                lines.append("")
            previous = f.path
            lines.append(f.text())
        if quiet:
            return lines
        if self.readability:
            if lines:
                lines.append("")
            lines.append(f"Readability (target: US grade {self.target_grade:g} or the "
                         "language's equivalent):")
            lines += [f"  {r.text()}" for r in self.readability]
        counts = ", ".join(_plural(self.count(s), s) if s != "info" else f"{self.count(s)} info"
                           for s in SEVERITIES)
        note = " (--strict: warnings count as errors)" if strict else ""
        lines += ["", f"{counts}{note}"]
        return lines


# ---------------------------------------------------------------- entry points

def run_checks(config: Config, slugs: Iterable[str] = (), langs: Iterable[str] = (),
               today: dt.date | None = None) -> Report:
    """Check the project: leaflet.toml, then every leaflet × language asked for."""
    run = _Run(config, today or dt.date.today())
    report = Report(config.root, run.today, config.readability_grade)
    langs, slugs = list(langs), list(slugs)
    found = discover(config.root)
    findings = list(project_findings(config))
    if not slugs:
        findings += [finding("file-name", path, None, message)
                     for path, message in naming_problems(config.root)]
    for slug in slugs or list(found):
        files = found.get(slug, {})
        results: dict[str, _FileResult] = {}
        for lang, path in files.items():
            if langs and lang not in langs:
                continue
            result = run.check_file(path, scores=True)
            results[lang] = result
            findings += result.findings
            report.readability.append(Readability(slug, lang, path, result.score))
        findings += _translation_findings(run, config.root, slug, files, results, langs)
    report.findings = _sorted(findings, config)
    return report


def blocking_errors(config: Config, leaflet_path: Path,
                    today: dt.date | None = None) -> list[Finding]:
    """Error-level findings for one content file: what must stop it being built.

    Covers the file's front matter, review dates, images and links, and glyphs (its own text
    and its language's template text). Project-wide errors (leaflet.toml) come from
    ``project_errors``.
    """
    run = _Run(config, today or dt.date.today())
    result = run.check_file(Path(leaflet_path), scores=False, errors_only=True)
    return [f for f in _sorted(result.findings, config) if f.severity == "error"]


def project_findings(config: Config) -> list[Finding]:
    """Rules about leaflet.toml: clinic contact, feedback route, brand colour contrast."""
    clinic = config.clinic
    toml = config.path or config.root / CONFIG_NAME
    found = []

    def line(key: str) -> int | None:
        return _toml_line(config.path, "clinic", key)

    if not clinic.name or clinic.name == Clinic.name:
        found.append(finding("clinic-contact", toml, line("name"),
                             "clinic.name is not set: a leaflet must say who publishes it"))
    if not (clinic.phone or clinic.email):
        found.append(finding("clinic-contact", toml, line("phone") or line("email"),
                             "no clinic.phone or clinic.email: patients need a way to contact "
                             "the clinic"))
    if not clinic.feedback:
        found.append(finding("feedback-route", toml, line("feedback"),
                             "no clinic.feedback: give patients a way to comment on the "
                             "leaflet (an email address, phone number or web page)"))
    ratio = contrast_ratio(clinic.brand_colour, PAGE_COLOUR)
    if ratio < MIN_CONTRAST:
        found.append(finding(
            "brand-contrast", toml, line("brand_colour"),
            f"brand colour {clinic.brand_colour} has a contrast of {ratio:.2f}:1 with the white "
            f"page; headings are printed in it and WCAG AA needs {MIN_CONTRAST}:1: "
            "choose a darker colour"))
    return found


def project_errors(config: Config) -> list[Finding]:
    return [f for f in project_findings(config) if f.severity == "error"]


def config_failure(root: Path, error: LeafletError, today: dt.date | None = None) -> Report:
    """A report for a project whose leaflet.toml cannot be loaded."""
    report = Report(root, today or dt.date.today(), Config(root=root, path=None)
                    .readability_grade)
    report.findings = [finding("config-invalid", p.path or root / CONFIG_NAME, p.line, p.detail)
                       for p in error.problems]
    return report


# ---------------------------------------------------------------- colour

def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# ---------------------------------------------------------------- one content file

@dataclass
class _FileResult:
    findings: list[Finding]
    leaflet: Leaflet | None
    score: readability.Score | None = None


class _Run:
    """One check run: the settings, the day, and fonts and catalogs loaded once per language."""

    def __init__(self, config: Config, today: dt.date):
        self.config = config
        self.root = config.root
        self.today = today
        self._fonts: dict[str, tuple] = {}
        self._markdown = None

    def check_file(self, path: Path, scores: bool, errors_only: bool = False) -> _FileResult:
        findings: list[Finding] = []
        leaflet, body, body_line = None, None, 1
        try:
            leaflet = load_leaflet(path)
            body, body_line = leaflet.body_markdown, leaflet.body_line
        except LeafletError as exc:
            _, body, body_line, _ = _front_matter(path)
            for problem in exc.problems:  # every problem the loader found, on its line
                key = _MISSING_KEY.fullmatch(problem.detail)
                if key:
                    findings.append(finding("meta-missing", problem.path or path, problem.line,
                                            _MISSING.get(key.group(1), problem.detail)))
                else:
                    findings.append(finding("meta-invalid", problem.path or path,
                                            problem.line, problem.detail))
        if not errors_only:
            findings += _placeholder_findings(path)
        if leaflet is not None:
            findings += self.review_findings(leaflet)
            if not errors_only:
                findings += [finding("html-removed", path, line, message)
                             for line, message in leaflet.removed_html]
        if body is not None:
            blocks = scan_body(body, body_line)
            findings += self.link_findings(path, blocks)
            if not errors_only:  # warning-only rules: the build need not pay for them
                findings += _heading_findings(path, blocks)
                findings += self.emphasis_findings(path, blocks)
        if leaflet is not None:
            findings += self.glyph_findings(leaflet)
        score = None
        if scores and body is not None:
            score = readability.score_body(body, body_line, path.stem,
                                           self.config.readability_grade)
            findings += _readability_findings(path, body_line, score)
        return _FileResult(findings, leaflet, score)

    # -------------------------------------------------------------- dates

    def review_findings(self, leaflet: Leaflet) -> Iterator[Finding]:
        path, line = leaflet.path, leaflet.line_of("next_review")
        due, reviewed = leaflet.next_review, leaflet.reviewed
        latest = _add_years(reviewed, REVIEW_SPAN_YEARS)
        if due > latest:
            yield finding("meta-review-span", path, line,
                          f"next_review {due} is more than {REVIEW_SPAN_YEARS} years after "
                          f"reviewed {reviewed} (latest allowed: {latest})")
        days = (due - self.today).days
        if days < 0:
            yield finding("review-overdue", path, line,
                          f"review overdue since {due}: review the leaflet, then update "
                          "reviewed and next_review")
        elif days <= self.config.review_warning_days:
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            yield finding("review-soon", path, line, f"review due on {due} ({when})")

    # -------------------------------------------------------------- images and links

    def link_findings(self, path: Path, blocks: list[Block]) -> Iterator[Finding]:
        for number, text in _text_lines(blocks):
            for kind, alt, url in _references(text):
                if kind == "image" and alt is not None and not alt.strip():
                    shown = f" {url}" if url else ""
                    yield finding("img-alt", path, number,
                                  f"image{shown} has no alt text: describe what it shows, "
                                  "e.g. ![Where the calf muscle is](calf.png)")
                if url:
                    yield from self._target(path, number, kind, url)

    def _target(self, path: Path, number: int, kind: str, url: str) -> Iterator[Finding]:
        url = url.strip()
        if not url or url.startswith("#"):
            return
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. "http://[oops": no address at all
            yield finding("file-missing", path, number, f"link {url} is not a valid address")
            return
        scheme = parts.scheme.lower()
        if scheme in ("http", "https") or url.startswith("//"):
            if kind == "image" and not self.config.allow_network:
                yield finding("file-remote", path, number,
                              f"image {url} is on the web and will not be fetched: save it in "
                              "the project, or set build.allow_network = true in leaflet.toml")
            return
        if scheme == "file":
            target = local_path(url)
        elif len(scheme) > 1 or not parts.path:
            return  # mailto:, tel:, data: …; a one-letter scheme is a Windows drive
        else:
            relative = Path(unquote(parts.path))
            target = relative if relative.is_absolute() else path.parent / relative
            try:
                target = target.resolve()
            except ValueError:  # a NUL (%00) in the name
                yield finding("file-missing", path, number, f"{url} is not a valid file name")
                return
            except (OSError, RuntimeError):
                target = None
        what = "image" if kind == "image" else "linked file"
        if target is None or not target.is_relative_to(self.root):
            yield finding("file-outside", path, number,
                          f"{what} {url} is outside the project folder: copy it into the "
                          "project")
        elif not _exists(target):
            yield finding("file-missing", path, number, f"{what} not found: {url}")
        elif kind == "image":
            yield from self.image_size_findings(path, number, url, target)

    def image_size_findings(self, path: Path, number: int, url: str, target: Path
                            ) -> Iterator[Finding]:
        """The limits the build enforces, and more pixels than any page prints."""
        try:
            size = target.stat().st_size
        except OSError:
            return
        pixels = images.file_pixels(target)
        megabytes = f"{size / 1e6:.1f} MB"
        if size > images.MAX_RESOURCE_BYTES:
            yield finding("img-too-large", path, number,
                          f"image {url} is {megabytes}, more than the "
                          f"{images.MAX_RESOURCE_BYTES // 1_000_000} MB a build reads: "
                          "save a smaller copy")
            return
        if pixels is None:
            return
        width, height = pixels
        if width * height > images.MAX_IMAGE_PIXELS:
            yield finding("img-too-large", path, number,
                          f"image {url} is {width}×{height} pixels ({width * height / 1e6:.0f} "
                          f"megapixels), more than the {images.MAX_IMAGE_PIXELS / 1e6:.0f} "
                          "a build decodes: scale it down (a full A4 page at 300 dpi needs "
                          "about 9)")
            return
        widest = self.widest_print_pixels()
        if widest and width > widest:
            yield finding("img-large", path, number,
                          f"image {url} is {width}×{height} pixels ({megabytes}), more than "
                          f"print needs: the widest page of your layouts is {widest} pixels "
                          f"at {images.PRINT_DPI} dpi; each PDF gets a copy scaled down to "
                          f"that, but a copy saved {widest} pixels wide keeps the project and "
                          "every build light")

    def widest_print_pixels(self) -> int | None:
        """Pixels across the widest page of the configured layouts, at 300 dpi."""
        widths = [self.config.registry[name].page_size(self.config.paper)[0]
                  for name in self.config.layouts if name in self.config.registry]
        return images.print_pixels(max(widths)) if widths else None

    # -------------------------------------------------------------- emphasis

    def emphasis_findings(self, path: Path, blocks: list[Block]) -> Iterator[Finding]:
        if self._markdown is None:
            import markdown  # lazy: only this rule needs the converter itself

            self._markdown = markdown.Markdown()
        for number, text in _text_lines(blocks):
            if not any(c in text for c in "*_<"):
                continue
            try:
                # Same bound as the build's conversion: a pathological line (a 1 MB run
                # of "*a") must not hang the check; loading the file already reports it.
                with time_limit(content.MARKDOWN_SECONDS, "too slow", path):
                    rendered = self._markdown.reset().convert(text.strip())
            except LeafletError:
                continue
            italic = [_plain(m.group(2)) for m in _ITALIC.finditer(rendered)]
            underlined = [_plain(m.group(1)) for m in _UNDERLINE.finditer(rendered)]
            if italic:
                yield finding("large-print-emphasis", path, number,
                              f"italic text ({_quote_list(italic)}): large print avoids italics "
                              "(RNIB, UKAAF) and the large-print layout prints it bold; use "
                              "**bold** for emphasis, or plain text")
            if underlined:
                yield finding("large-print-emphasis", path, number,
                              f"underlined text ({_quote_list(underlined)}): large print avoids "
                              "underlining (RNIB, UKAAF); use **bold** for emphasis")

    # -------------------------------------------------------------- glyphs

    def language_fonts(self, lang: str) -> tuple[list, object, list[Finding]]:
        """(faces, catalog, problems) for a language, loaded once per run."""
        if lang not in self._fonts:
            faces, catalog, problems = [], None, []
            try:
                faces = fonts.font_stack(lang, self.config.fonts)
            except LeafletError as exc:
                problems.append(finding("font-unavailable", exc.path, exc.line, exc.detail))
            try:
                catalog = i18n.load_catalog(lang, self.root)
            except LeafletError as exc:
                problems.append(finding("catalog-invalid", exc.path, exc.line, exc.detail))
            self._fonts[lang] = (faces, catalog, problems)
        return self._fonts[lang]

    def glyph_findings(self, leaflet: Leaflet) -> list[Finding]:
        # The very check the build runs (fonts.check_glyphs), every problem listed.
        faces, catalog, problems = self.language_fonts(leaflet.lang)
        if problems or catalog is None:
            return list(problems)
        try:
            found = fonts.glyph_problems(leaflet, catalog, faces)
        except LeafletError as exc:
            return [finding("font-unavailable", exc.path, exc.line, exc.detail)]
        return [finding("glyph-missing", p.path, p.line, fonts.no_glyph_message(p.char, faces))
                for p in found]


_MISSING_KEY = re.compile(r"front matter field '(\w+)' is missing")
_MISSING = {
    "sources": "no sources listed: add 'sources:' with the evidence the leaflet is based on "
               "(PIF TICK)",
    "owner": "no owner named: add 'owner:' with the team responsible for the leaflet (PIF TICK)",
    "published": "no publication date: add 'published: YYYY-MM-DD'",
    "reviewed": "no review date: add 'reviewed: YYYY-MM-DD'",
    "next_review": "no next review date: add 'next_review: YYYY-MM-DD' (at most 3 years after "
                   "reviewed)",
}


def _exists(target: Path) -> bool:
    try:
        return target.exists()
    except (OSError, ValueError):  # e.g. a name longer than the file system allows
        return False


def _readable(path: Path) -> bool:
    """Never read a content file that links out of the project, nor an oversized one."""
    try:
        refuse_outside(path)
        return path.stat().st_size <= MAX_BYTES
    except (LeafletError, OSError):
        return False


def _front_matter(path: Path) -> tuple[dict | None, str | None, int, dict[str, int]]:
    """Best effort for a file that failed to load: its front matter and body, if readable."""
    if not _readable(path):
        return None, None, 1, {}
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
        meta, body, body_line, front = split_front_matter(text, path)
    except (OSError, UnicodeDecodeError, LeafletError):
        return None, None, 1, {}
    if "\x00" in text:
        return None, None, 1, {}
    return meta, body, body_line, front_matter_lines(front)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


_PLACEHOLDER = re.compile(r"\bTODO\b")


def _placeholder_findings(path: Path) -> Iterator[Finding]:
    """Every line, front matter included, that still holds a TODO for the author."""
    if not _readable(path):
        return
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return
    for number, line in enumerate(text.split("\n"), 1):
        if _PLACEHOLDER.search(line):
            snippet = " ".join(line.split())
            snippet = snippet if len(snippet) <= 70 else snippet[:69] + "…"
            yield finding("placeholder", path, number, f"still to be written: {snippet!r}")


def _text_lines(blocks: list[Block]) -> Iterator[tuple[int, str]]:
    """Lines a reader sees (not code, not comments)."""
    for block in blocks:
        if block.kind not in ("code", "comment"):
            yield from block.lines


_CODE_SPAN = re.compile(r"`+[^`]*`+")
_INLINE_REF = re.compile(  # [text](url "title") and ![alt](url), a title optional
    r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^\s)>]*)>?"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_REF_IMAGE = re.compile(r"!\[([^\]]*)\]\[[^\]]*\]")
_REF_DEFINITION = re.compile(r"^\s{0,3}\[[^\]^]+\]:\s*<?([^\s>]+)>?")
_HTML_TAG = re.compile(r"<(img|a)\b([^>]*)>", re.IGNORECASE)
_HTML_ATTR = re.compile(r"([\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))")


def _references(text: str) -> Iterator[tuple[str, str | None, str]]:
    """``(kind, alt, url)`` for every image and link on a line; alt is None for links."""
    text = _CODE_SPAN.sub("", text)
    for match in _INLINE_REF.finditer(text):
        if match.group(1):
            yield "image", match.group(2), match.group(3)
        else:
            yield "link", None, match.group(3)
    for match in _REF_IMAGE.finditer(text):
        yield "image", match.group(1), ""
    match = _REF_DEFINITION.match(text)
    if match:
        yield "link", None, match.group(1)
    for match in _HTML_TAG.finditer(text):
        attrs = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                 for m in _HTML_ATTR.finditer(match.group(2))}
        if match.group(1).lower() == "img":
            yield "image", attrs.get("alt", ""), attrs.get("src", "")
        elif "href" in attrs:
            yield "link", None, attrs["href"]


def _heading_findings(path: Path, blocks: list[Block]) -> Iterator[Finding]:
    previous = 1  # the template prints the title as the only level-1 heading
    for block in blocks:
        if block.kind != "heading":
            continue
        level = block.level
        if level == 1:
            yield finding("heading-skip", path, block.line,
                          "a level-1 heading in the body: the title is the leaflet's only "
                          "level-1 heading; start sections at level 2 ('## ')")
        elif level > previous + 1:
            yield finding("heading-skip", path, block.line,
                          f"heading level {level} follows level {previous}: use level "
                          f"{previous + 1} ('{'#' * (previous + 1)} ') so screen readers and "
                          "the PDF outline keep the structure")
        previous = level


_ITALIC = re.compile(r"<(em|i)\b[^>]*>(.*?)</\1>", re.DOTALL)
_UNDERLINE = re.compile(r"<u\b[^>]*>(.*?)</u>", re.DOTALL)


def _plain(html_text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html_text).split())


def _quote_list(items: list[str]) -> str:
    shown = ", ".join(f'"{item}"' for item in items[:3])
    return shown + (f" and {len(items) - 3} more" if len(items) > 3 else "")


def _readability_findings(path: Path, body_line: int,
                          score: readability.Score | None) -> Iterator[Finding]:
    if score is None:
        return
    if not score.ok:
        yield finding("readability-grade", path, body_line,
                      f"reads at about US grade {score.grade:.1f}, above the target of "
                      f"{score.target_grade:g}: {score.describe()}; use shorter sentences and "
                      "everyday words")
    for sentence in score.long_sentences:
        preview = sentence.text if len(sentence.text) <= 70 else sentence.text[:67] + "..."
        yield finding("long-sentence", path, sentence.line,
                      f"sentence of {sentence.words} words (more than "
                      f"{readability.LONG_SENTENCE_WORDS}): \"{preview}\"")


# ---------------------------------------------------------------- translations

def _translation_findings(run: _Run, root: Path, slug: str, files: dict[str, Path],
                          results: dict[str, _FileResult], langs: list[str]
                          ) -> Iterator[Finding]:
    folder = root / "content" / slug
    for lang in run.config.languages:
        if lang not in files and (not langs or lang in langs):
            yield finding("translation-missing", folder, None,
                          f"no {lang} translation ({_language_name(lang)}): build.languages "
                          f"in leaflet.toml asks for it; add content/{slug}/{lang}.md")
    loaded: dict[str, Leaflet | None] = {lang: r.leaflet for lang, r in results.items()}

    def get(lang: str) -> Leaflet | None:
        if lang not in loaded:  # a source outside --lang, needed to compare versions
            try:
                loaded[lang] = load_leaflet(files[lang]) if lang in files else None
            except LeafletError:
                loaded[lang] = None
        return loaded[lang]

    for lang, result in results.items():
        leaflet = result.leaflet
        if leaflet is None or not leaflet.is_translation:
            continue
        if leaflet.is_draft:
            yield finding("translation-draft", leaflet.path,
                          leaflet.line_of("translation_status"),
                          "draft translation: not yet checked by a qualified translator "
                          "(its PDFs carry a draft mark)")
        if leaflet.translation_of not in files:
            yield finding("translation-source-missing", leaflet.path,
                          leaflet.line_of("translation_of"),
                          f"translation_of is {leaflet.translation_of!r} but there is no "
                          f"content/{slug}/{leaflet.translation_of}.md")
            continue
        source = get(leaflet.translation_of)
        if source is not None and source.version != leaflet.source_version:
            yield finding("translation-stale", leaflet.path, leaflet.line_of("source_version"),
                          f"translated from {leaflet.source_version}, source is now "
                          f"{source.version} ({display_path(source.path)}): update the "
                          "translation, then source_version")


def _language_name(lang: str) -> str:
    return i18n.language_name(lang, "en")


# ---------------------------------------------------------------- helpers

def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _relative(path: Path | None, root: Path) -> str | None:
    """Paths in JSON are relative to the project folder (stable across machines)."""
    if path is None:
        return None
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _toml_line(path: Path | None, section: str, key: str) -> int | None:
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    current = ""
    for number, text in enumerate(lines, 1):
        header = re.match(r"^\s*\[([^\[\]]+)\]", text)
        if header:
            current = header.group(1).strip()
        elif current == section and re.match(rf"^\s*{re.escape(key)}\s*=", text):
            return number
    return None


def _sorted(findings: list[Finding], config: Config) -> list[Finding]:
    """Unique findings, leaflet.toml first, then by file, line and severity."""
    unique = list(dict.fromkeys(findings))
    toml = (config.path or config.root / CONFIG_NAME).resolve()

    def key(f: Finding):
        path = f.path.resolve() if f.path is not None else toml
        return (path != toml, str(path), f.line or 0, SEVERITIES.index(f.severity), f.rule)

    return sorted(unique, key=key)
