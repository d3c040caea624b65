"""Stage 1: front matter + Markdown → ``Leaflet``; the only place that parses Markdown."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import nh3
import yaml

from .errors import LeafletError, raise_all, time_limit
from .files import web_address

CONTENT_DIR = "content"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_BYTES = 2_000_000
# Python-Markdown is quadratic on some inputs (a 1 MB line of "*a", deep list nesting):
# a content file that takes longer than this to convert is refused, not waited for.
MARKDOWN_SECONDS = 20.0
MARKDOWN_EXTENSIONS = ["tables", "attr_list", "sane_lists", "admonition", "def_list"]
TRANSLATION_STATUSES = ("draft", "reviewed")
YEARS = (1900, 2999)  # the dates a leaflet may carry

REQUIRED = ("title", "summary", "version", "published", "reviewed", "next_review", "owner",
            "sources")
OPTIONAL = ("key_points", "keywords", "link", "translation_of", "source_version",
            "translation_status", "translation_reviewer", "translation_reviewed")
_DATES = ("published", "reviewed", "next_review", "translation_reviewed")


@dataclass(frozen=True)
class Leaflet:
    """One leaflet in one language, ready for templates."""

    slug: str
    lang: str
    path: Path
    title: str
    summary: str
    version: str
    published: dt.date
    reviewed: dt.date
    next_review: dt.date
    owner: str
    sources: tuple[str, ...]
    body_markdown: str
    body_html: str
    body_line: int  # line of the file where the Markdown body starts
    key_points: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    link: str = ""
    translation_of: str = ""
    source_version: str = ""
    translation_status: str = ""
    translation_reviewer: str = ""
    translation_reviewed: dt.date | None = None
    field_lines: dict[str, int] = field(default_factory=dict, compare=False)
    # What the sanitizer took out of the body: (line, message), for `leaflet check`.
    removed_html: tuple[tuple[int, str], ...] = ()

    @property
    def is_translation(self) -> bool:
        return bool(self.translation_of)

    @property
    def is_draft(self) -> bool:
        return self.translation_status == "draft"

    def line_of(self, key: str) -> int | None:
        return self.field_lines.get(key)


def discover(root: Path) -> dict[str, dict[str, Path]]:
    """``{slug: {lang: path}}`` for every ``content/<slug>/<lang>.md``, sorted.

    Only valid slugs and language tags Babel knows are listed; ``naming_problems`` says
    what else is there and what it should be called, so nothing is silently ignored.
    """
    found: dict[str, dict[str, Path]] = {}
    base = root / CONTENT_DIR
    if not base.is_dir():
        return found
    for folder in sorted(base.iterdir()):
        if not folder.is_dir() or not SLUG_RE.match(folder.name):
            continue
        langs = {p.stem: p for p in sorted(folder.glob("*.md"))
                 if language_tag_problem(p.stem) is None}
        if langs:
            found[folder.name] = langs
    return found


def naming_problems(root: Path) -> list[tuple[Path, str]]:
    """``(path, what to do)`` for every folder or file under ``content/`` that is not
    built because of its name: a folder that is not a slug, a file that is not a
    language tag (or not a language Babel knows), a leaflet file outside a folder."""
    base = root / CONTENT_DIR
    if not base.is_dir():
        return []
    problems = []
    for entry in sorted(base.iterdir()):
        if entry.is_file() and entry.suffix.lower() in (".md", ".markdown"):
            problems.append((entry, "a leaflet is a folder with one file per language: move "
                                    f"it to content/{slugify(entry.stem) or 'name'}/en.md"))
            continue
        if not entry.is_dir() or entry.name.startswith("."):
            continue
        if not SLUG_RE.match(entry.name):
            better = slugify(entry.name)
            fix = f"rename the folder to {better!r}" if better else "rename the folder"
            problems.append((entry, f"{entry.name!r} is not a leaflet name (lower-case "
                                    f"letters, digits and hyphens): {fix}; until then "
                                    "nothing in it is built"))
            continue
        for file in sorted(entry.iterdir()):
            if not file.is_file() or file.name.startswith("."):
                continue
            if file.suffix.lower() in (".md", ".markdown") and file.suffix != ".md":
                problems.append((file, f"rename the file to {file.stem}.md (leaflets are "
                                       "read from .md files); until then it is not built"))
            elif file.suffix == ".md" and (why := language_tag_problem(file.stem)):
                problems.append((file, why + "; until then it is not built"))
    return problems


def slugify(name: str) -> str:
    """``Flu Vaccine 2026`` → ``flu-vaccine-2026``: what a folder name should be."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


@functools.lru_cache(maxsize=512)
def language_tag_problem(tag: str) -> str | None:
    """None for a language tag leaflet can use (BCP 47, a language Babel has locale data
    for, written as ``es``, ``pt-BR``, ``zh-Hans``), else what is wrong and the likely
    intended name."""
    canonical = canonical_tag(tag.replace("_", "-")) if LANG_RE.match(
        tag.replace("_", "-")) else None
    if canonical is not None and _babel_knows(canonical):
        if canonical == tag:
            return None
        if "_" in tag:
            return (f"{tag!r} is not a language tag (tags use '-', not '_'): rename the file "
                    f"to {canonical}.md")
        return f"language tags are written {canonical!r}: rename the file to {canonical}.md"
    guess = _language_from_name(tag)
    if guess:
        return f"{tag!r} is not a language tag: rename the file to {guess}.md"
    if canonical is None:
        return (f"{tag!r} is not a language tag: name the file by its language, e.g. en.md, "
                "es.md or pt-BR.md")
    return (f"{tag!r} is not a language leaflet knows (there is no locale data for it in "
            "Babel/CLDR, which gives dates, direction and fonts): name the file by its "
            "language, e.g. en.md, es.md or pt-BR.md")


def canonical_tag(tag: str) -> str:
    """BCP 47 casing: language lower case, script title case, region upper case."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def _babel_knows(tag: str) -> bool:
    from babel import Locale, UnknownLocaleError  # lazy: Babel's locale data costs ~50 ms

    parts = tag.split("-")
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        # CLDR has no data for every pairing (Arabic as written in the UK: ar-GB): a
        # language it knows, in a real region, is still a language.
        base = parts[:1] + [p for p in parts[1:]
                            if not (len(p) == 2 or (len(p) == 3 and p.isdigit()))]
        regions = [p for p in parts[1:] if p not in base]
        return len(base) < len(parts) and _babel_knows("-".join(base)) and all(
            r in Locale("en").territories for r in regions)
    # Babel fills in likely subtags ("und" → en_US, "en-ZZ" → en_US): only what was
    # written counts.
    scripts = [p for p in parts[1:] if len(p) == 4 and p.isalpha()]
    regions = [p for p in parts[1:] if len(p) == 2 or (len(p) == 3 and p.isdigit())]
    return (locale.language == parts[0] and (not scripts or locale.script == scripts[0])
            and (not regions or locale.territory == regions[0]))


def _language_from_name(name: str) -> str | None:
    """``english`` → ``en``, ``Español`` → ``es``: a language written out by name."""
    from babel import Locale, localedata  # lazy: see _babel_knows

    names = {}
    for code, text in Locale("en").languages.items():
        if "_" not in code and localedata.exists(code):
            names.setdefault(text.lower(), code)
    word = name.lower().replace("_", " ").replace("-", " ")
    if word in names:
        return names[word]
    for code in ("en", "es", "fr", "pl", "ar", "hi", "de", "it", "pt", "zh", "ur", "bn",
                 "pa", "gu", "ta", "so", "ro", "tr", "ru", "uk", "fa"):
        native = (Locale(code).get_display_name(code) or "").lower()
        if word == native:
            return code
    close = difflib.get_close_matches(word, list(names), n=1, cutoff=0.85)
    return names[close[0]] if close else None


def project_root(path: Path) -> Path:
    """The project folder of ``<root>/content/<slug>/<lang>.md``."""
    return path.absolute().parent.parent.parent


def refuse_outside(path: Path) -> None:
    """A content file (or its folder) that is a symlink out of the project is never read."""
    try:
        inside = path.resolve().is_relative_to(project_root(path).resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise LeafletError("points outside the project (symlink?): not read", path)


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` (no tags that build objects) whose every failure is a YAMLError.

    SafeLoader itself lets ValueError and friends escape for values such as a
    5000-digit number, ``2026-13-45`` or ``!!timestamp xyz``.
    """

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, AttributeError, OverflowError, IndexError,
                KeyError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value ({_preview(str(exc), 60)})",
                node.start_mark) from None

    def _timestamp(self, node):
        # A date that does not exist (2026-02-30) stays text, so the field's own check
        # can say so, instead of the whole front matter being "not valid YAML".
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_timestamp(self, node)
        except (ValueError, OverflowError):
            return node.value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader._timestamp)


def split_front_matter(text: str, path: Path) -> tuple[dict, str, int, list[str]]:
    """``text -> (meta, body, body_line, front_matter_lines)``; YAML via ``safe_load`` only."""
    # `leaflet check` reads a file that failed to load again, for what it can still
    # report: the same limits apply, so nothing from outside or oversized gets through.
    refuse_outside(path)
    if len(text) > MAX_BYTES:
        raise LeafletError(f"file is larger than {MAX_BYTES // 1_000_000} MB", path)
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise LeafletError("must start with a '---' line, then the front matter", path, 1)
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise LeafletError("front matter has no closing '---' line", path, 1)
    front = lines[1:end]
    try:
        meta = yaml.load("\n".join(front), Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, front, path) from None
    except RecursionError:
        raise LeafletError("front matter is nested too deeply", path, 2) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise LeafletError("front matter must be 'key: value' lines", path, 2)
    body = "\n".join(lines[end + 1:])
    return meta, body, end + 2, front


def _yaml_error(exc: yaml.YAMLError, front: list[str], path: Path) -> LeafletError:
    """What the author should do about a YAML error, on its line."""
    for number, text in enumerate(front, 2):
        indent = text[:len(text) - len(text.lstrip())]
        if "\t" in indent and text.strip():
            return LeafletError("a tab in the indentation: indent with spaces, not tabs",
                                path, number)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 2 if mark is not None else 1
    problem = getattr(exc, "problem", None) or "cannot be read"
    if problem == "mapping values are not allowed here" and 2 <= line < len(front) + 2:
        text = front[line - 2].strip()
        item = text.startswith("- ")
        key, _, value = text[2:].partition(": ") if item else text.partition(": ")
        example = (f'- "{text[2:]}"' if item else f'{key}: "{value}"').replace("\"\"", "\"")
        return LeafletError(f"a second ': ' on this line: put the {'item' if item else 'value'}"
                            f" in quotes, e.g. {example}", path, line)
    return LeafletError(f"front matter is not valid YAML: {problem}", path, line)


def _structure(front: list[str]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """The lines of every top-level key (a key given twice has two) and of each item of
    every list, from the YAML node tree (aliases are not expanded)."""
    try:
        node = yaml.compose("\n".join(front), Loader=_Loader)  # noqa: S506 - a SafeLoader
    except (yaml.YAMLError, RecursionError):
        return {}, {}
    keys: dict[str, list[int]] = {}
    items: dict[str, list[int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            keys.setdefault(key.value, []).append(key.start_mark.line + 2)
            if isinstance(value, yaml.SequenceNode):
                items[key.value] = [item.start_mark.line + 2 for item in value.value]
    return keys, items


def read_text(path: Path) -> str:
    """A content file's text (UTF-8, a BOM allowed, any line ends), within the limits."""
    refuse_outside(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LeafletError(f"cannot read: {exc.strerror or exc}", path) from None
    if len(raw) > MAX_BYTES:
        raise LeafletError(f"file is larger than {MAX_BYTES // 1_000_000} MB", path)
    if b"\x00" in raw:
        raise LeafletError("not a text file (contains NUL bytes)", path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        sample = raw.split(b"\n")[line - 1].decode("cp1252", errors="replace").strip()
        sample = sample if len(sample) <= 50 else sample[:49] + "…"
        raise LeafletError("not valid UTF-8 text: save the file as UTF-8 (it looks like "
                           f"Windows-1252 or Latin-1 text, such as {sample!r}; in Notepad: "
                           "Save As, Encoding: UTF-8)", path, line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


FIELDS = REQUIRED + OPTIONAL


def load_leaflet(path: Path, convert: bool = True) -> Leaflet:
    """Read and validate ``content/<slug>/<lang>.md``; every problem is reported at once
    (``LeafletErrors``), each on its own line.

    ``convert=False`` reads the front matter only (``body_html`` stays empty): listing
    eighty leaflets need not convert eighty bodies to HTML.
    """
    slug, lang = path.parent.name, path.stem
    text = read_text(path)
    meta, body, body_line, front = split_front_matter(text, path)
    keys, item_lines = _structure(front)
    lines = {**front_matter_lines(front), **{k: v[-1] for k, v in keys.items()}}
    problems: list[LeafletError] = []

    def fail(key: str, message: str, line: int | None = None) -> None:
        problems.append(LeafletError(message, path, line or lines.get(key, 2)))

    for key, found in keys.items():
        if len(found) > 1:
            where = ", ".join(map(str, found[:-1])) + f" and {found[-1]}"
            fail(key, f"{key!r} is given more than once (lines {where}): keep one; "
                      "only the last would count", found[-1])
    # Keys may be numbers, dates or null as well as text: never compare them directly.
    suggested = set()
    for key in sorted((k for k in meta if k not in FIELDS), key=str):
        shown = _preview(key, 40)
        guess = _did_you_mean(shown, FIELDS)
        if guess:
            suggested.add(guess)
            fail(shown, f"unknown front matter field {shown!r}: did you mean {guess!r}?")
        else:
            fail(shown, f"unknown front matter field {shown!r} (known: {', '.join(FIELDS)})")
    for key in REQUIRED:
        if meta.get(key) in (None, "", []) and key not in suggested:
            fail(key, f"front matter field {key!r} is missing")

    values: dict = {}
    for key in ("title", "summary", "owner", "link", "translation_of", "translation_reviewer"):
        if key in meta and meta[key] is not None:
            value = meta[key]
            if not isinstance(value, str) or not value.strip():
                fail(key, f"{key!r} must be text, not {_kind(value)}")
            elif key == "link" and not web_address(value):
                # Printed as a link and a QR code: a web page, never a file or a script.
                fail(key, "'link' must be a web address starting with https:// (or http://), "
                          f"not {_shown(value)}")
            elif _check_text(value, key, fail):
                values[key] = " ".join(value.split())
    for key in ("version", "source_version"):
        if key in meta and meta[key] is not None:
            value = meta[key]
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                fail(key, f"{key!r} must be a version such as \"1.0\", not {_kind(value)}")
                continue
            # YAML reads 1.10 as the number 1.1: take the text as written instead.
            version = _raw_scalar(front, lines.get(key)) or str(value)
            if _check_text(version, key, fail):
                values[key] = version
    for key in _DATES:
        if key in meta and meta[key] is not None:
            day = _date(meta[key], key, fail)
            if day is not None:
                values[key] = day
    for key in ("sources", "key_points", "keywords"):
        if key in meta and meta[key] is not None:
            items = _list(meta[key], key, front, item_lines.get(key, []), fail)
            if items is not None:
                values[key] = items
    status = meta.get("translation_status")
    if status is not None:
        if status not in TRANSLATION_STATUSES:
            fail("translation_status", "translation_status must be 'draft' or 'reviewed', "
                                       f"not {_shown(status)}")
        else:
            values["translation_status"] = status
    if values.get("translation_of"):
        for key in ("source_version", "translation_status"):
            if key not in meta:
                fail("translation_of", f"a translation needs {key!r} as well as translation_of")
        if values.get("translation_status") == "reviewed" and not (
            values.get("translation_reviewer") and values.get("translation_reviewed")
        ):
            fail("translation_status", "a reviewed translation needs translation_reviewer "
                                       "and translation_reviewed (the date)")
    if "next_review" in values and "reviewed" in values and \
            values["next_review"] < values["reviewed"]:
        fail("next_review", "next_review is before reviewed")
    raise_all(sorted(problems, key=lambda p: p.line or 0))

    body_html, removed = _converted(body, path, body_line) if convert else ("", [])
    return Leaflet(
        slug=slug,
        lang=lang,
        path=path,
        body_markdown=body,
        body_html=body_html,
        body_line=body_line,
        field_lines=lines,
        removed_html=locate_removals(removed, body, body_line),
        **values,
    )


def _did_you_mean(word: str, known: tuple[str, ...]) -> str | None:
    """The known name a typo most likely meant: ``sumary`` → ``summary``."""
    lowered = word.lower().replace("-", "_").replace(" ", "_")
    if lowered in known:
        return lowered
    close = difflib.get_close_matches(lowered, known, n=1, cutoff=0.75)
    return close[0] if close else None


def _list(value: object, key: str, front: list[str], item_lines: list[int], fail
          ) -> tuple[str, ...] | None:
    """A list field's items as text; a bad item is reported on its own line."""
    if isinstance(value, str) and key == "keywords":
        value = [k.strip() for k in value.split(",") if k.strip()]
    if not isinstance(value, list):
        fail(key, f"{key!r} must be a list of text items ('- item' lines)")
        return None
    good = True
    for index, item in enumerate(value):
        line = item_lines[index] if index < len(item_lines) else None
        raw = front[line - 2].strip() if line and line - 2 < len(front) else ""
        raw = raw[2:].strip() if raw.startswith("- ") else raw
        where = f"item {index + 1} of {key!r}"
        if isinstance(item, dict) and raw and ": " in raw:
            fail(key, f"{where} has ': ' in it, which YAML reads as 'key: value': put the item "
                      f"in quotes: - \"{raw.replace(chr(34), chr(39))}\"", line)
        elif item is None or item == "":
            fail(key, f"{where} is empty: write the item, or delete the line", line)
        elif isinstance(item, bool):
            fail(key, f"{where} is read as true/false: put it in quotes: - \"{raw}\"", line)
        elif not isinstance(item, (str, int, float)):
            fail(key, f"{where} must be text, not {_kind(item)}: write it on one line "
                      "after '- ', in quotes if it has a colon", line)
        elif _check_text(str(item), key, fail):
            continue
        good = False
    return tuple(" ".join(str(i).split()) for i in value) if good else None


def load_cached(path: Path, cache: dict) -> Leaflet:
    """``load_leaflet`` once per file version, for a process that builds many outputs."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in cache:
        if len(cache) > 256:
            cache.clear()
        cache[key] = load_leaflet(path)
    return cache[key]


def markdown_to_html(text: str, path: Path | None = None, line: int = 1) -> str:
    """Markdown (tables, attribute lists, sane lists, call-outs) → HTML, as written:
    raw HTML passes through. ``body_html`` is this after ``sanitize_html``."""
    import markdown  # lazy: ~40 ms to import, and `leaflet list` and planning never convert

    try:
        return markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    except RecursionError:
        raise LeafletError("Markdown is nested too deeply", path, line) from None


_SLOW: set[tuple] = set()


def _converted(body: str, path: Path, line: int) -> tuple[str, list[Removal]]:
    """The body as sanitized HTML within ``MARKDOWN_SECONDS``, and what was removed; a
    file too slow to convert is remembered (per version), so the build, the check and the
    plan wait for it once."""
    try:
        stat = path.stat()
        key = (str(path.absolute()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    message = (f"Markdown took longer than {MARKDOWN_SECONDS:g} s to convert: look for very "
               "long lines, deep nesting or long runs of * _ [ < ` characters")
    if key in _SLOW:
        raise LeafletError(message, path)
    try:
        with time_limit(MARKDOWN_SECONDS, message, path):
            return sanitize_html(markdown_to_html(body, path, line))
    except LeafletError as exc:
        if key is not None and exc.detail == message:
            _SLOW.add(key)
        raise


# ---------------------------------------------------------------- sanitizing

# Markdown passes raw HTML through, and text pasted from Word or a web page carries
# inline styles: the body is cut down to what a leaflet needs by an allow-list sanitizer
# (nh3, the binding of the Rust `ammonia` crate), never by regular expressions.
# Call-out types (`!!! warning "..."`) whose class survives; the styles know these.
CALLOUT_TYPES = ("note", "tip", "hint", "info", "important", "warning", "caution",
                 "attention", "danger", "error")
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col",
    "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
})
# Removed with everything inside them: their content is code, or not meant to be read.
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "template", "iframe", "frame", "frameset", "noscript", "noembed",
    "noframes", "title", "textarea", "select", "svg", "math", "xmp",
})
ALLOWED_ATTRIBUTES = {
    "*": {"id", "lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt"},
    # Markdown writes a table column's alignment as style="text-align: …": the only
    # style kept anywhere (filtered to that one property below).
    "th": {"style", "colspan", "rowspan", "scope"},
    "td": {"style", "colspan", "rowspan"},
    "col": {"span"}, "colgroup": {"span"},
    "ol": {"start", "reversed", "type"}, "li": {"value"},
    "time": {"datetime"},
}
ALLOWED_CLASSES = {"div": {"admonition", *CALLOUT_TYPES}, "p": {"admonition-title"}}
LINK_SCHEMES = ("https", "http", "mailto", "tel")


@dataclass(frozen=True)
class Removal:
    """Something the sanitizer took out: what to tell the author, and the text to look
    for in the Markdown source to find its line."""

    message: str
    needle: str
    tag: str = ""  # for an attribute: its element, written as raw HTML or not


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    scheme = urlsplit(value).scheme.lower() if attribute in ("href", "src") else ""
    if scheme == "data":
        # Inline images only: a data: link or a data: document is not an image.
        return value if tag == "img" and value[5:].lstrip().lower().startswith("image/") \
            else None
    if attribute == "dir":
        return value if value.lower() in ("ltr", "rtl", "auto") else None
    if attribute == "lang":
        # A language tag, nothing else: the value reaches CSS selectors (:lang()) in the
        # web version and /Lang in the PDF.
        return value if LANG_RE.match(value) else None
    return value


def sanitize_html(html: str) -> tuple[str, list[Removal]]:
    """The allow-listed part of ``html``, and each thing that was removed."""
    clean = nh3.clean(
        html, tags=set(ALLOWED_TAGS), clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter, strip_comments=True, link_rel=None,
        url_schemes={*LINK_SCHEMES, "data"}, allowed_classes=ALLOWED_CLASSES,
        filter_style_properties={"text-align"})
    return clean, _removals(html, clean) if clean != html else []


class _Elements(HTMLParser):
    """Start tags with their attributes, in order; what is inside a tag the sanitizer
    drops with its content is not listed (it goes with its container)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.inside: list[str] = []

    def handle_starttag(self, tag, attrs):
        if not self.inside:
            self.found.append((tag, {k: v or "" for k, v in attrs}))
        if tag in DROPPED_WITH_CONTENT:
            self.inside.append(tag)

    def handle_startendtag(self, tag, attrs):
        if not self.inside:
            self.found.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        if self.inside and tag == self.inside[-1]:
            self.inside.pop()


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def _removals(before: str, after: str) -> list[Removal]:
    """What the sanitizer removed, found by comparing the elements before and after."""
    old, new = _elements(before), _elements(after)
    matcher = difflib.SequenceMatcher(None, [t for t, _ in old], [t for t, _ in new],
                                      autojunk=False)
    removed: list[Removal] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for (tag, attrs), (_, kept) in zip(old[i1:i2], new[j1:j2]):
                removed += _attribute_removals(tag, attrs, kept)
        elif op in ("delete", "replace"):
            # An allowed element the HTML parser only moved (a table's missing <tbody>
            # is added, say) is not a removal.
            removed += [_element_removal(tag) for tag, _ in old[i1:i2]
                        if tag not in ALLOWED_TAGS]
    return removed


_WHY_ELEMENT = [
    ({"style", "link"}, "a leaflet's look comes from the layout's stylesheets, not from "
                        "the content"),
    ({"script", "noscript"}, "a PDF runs no scripts"),
    ({"iframe", "frame", "frameset", "noframes", "object", "embed", "applet", "portal"},
     "a leaflet embeds no frames, objects or other documents: use an image "
     "(![what it shows](picture.png))"),
    ({"form", "input", "button", "select", "textarea", "option", "label", "fieldset",
      "legend", "output", "datalist", "optgroup"}, "a printed leaflet has no forms"),
    ({"meta", "base", "head", "html", "body", "title"}, "it would change how the page is "
                                                        "read, not what it says"),
    ({"svg", "math"}, "inline drawings are not kept: save the drawing as an .svg file and "
                      "add it as an image"),
]


def _element_removal(tag: str) -> Removal:
    why = next((text for tags, text in _WHY_ELEMENT if tag in tags),
               "leaflets do not use this element: its text is kept, its effect is not")
    return Removal(f"removed <{tag}>: {why}", f"<{tag}")


def _attribute_removals(tag: str, attrs: dict[str, str], kept: dict[str, str]
                        ) -> list[Removal]:
    removed = []
    for name, value in attrs.items():
        if name in kept and _same_value(name, kept[name], value):
            continue
        if name == "class":
            lost = [c for c in value.split() if c not in kept.get("class", "").split()]
            removed += [Removal(f"removed the class {c!r} from <{tag}>: only the call-out "
                                "classes are kept (admonition, " + ", ".join(CALLOUT_TYPES)
                                + ")", c) for c in lost]
        elif name == "style":
            if tag in ("td", "th") and name in kept:
                message = (f"removed the style of <{tag}> except its text-align: cells "
                           "keep the layout's size, colour and position")
            else:
                message = (f"removed the style attribute of <{tag}>: text keeps the "
                           "layout's size, colour and position")
            removed.append(Removal(message, "style=", tag))
        elif name.startswith("on"):
            removed.append(Removal(f"removed the {name} attribute of <{tag}>: a PDF runs no "
                                   "scripts", f"{name}=", tag))
        elif name in ("href", "src"):
            what = "link" if name == "href" else "image source"
            shown = value if len(value) <= 60 else value[:57] + "..."
            allowed = ", ".join(LINK_SCHEMES[:-1]) + " and " + LINK_SCHEMES[-1]
            why = (f"only {allowed} links and files in the project are kept" if name == "href"
                   else "an image must be a file in the project (or on the web, with "
                        "build.allow_network)")
            removed.append(Removal(f"removed the {what} {shown!r}: {why}", value[:40], tag))
        else:
            removed.append(Removal(f"removed the {name} attribute of <{tag}>: leaflets do "
                                   "not use it", f"{name}=", tag))
    return removed


def _same_value(name: str, kept: str, value: str) -> bool:
    if name == "style":  # the sanitizer rewrites "text-align: left;" as "text-align:left"
        return re.sub(r"[\s;]", "", kept) == re.sub(r"[\s;]", "", value)
    return kept == value


def locate_removals(removed: list[Removal], body: str, body_line: int
                    ) -> tuple[tuple[int, str], ...]:
    """Each removal with the line of the Markdown source it came from, once per line.

    Removals come in the order of the source, so each is looked for from the line of
    the one before (then from the top); code blocks are skipped, as Markdown escapes
    their HTML. Not found (text rewritten by Markdown): the first line of the body.
    """
    if not removed:
        return ()
    code = {number for block in scan_body(body, body_line) if block.kind == "code"
            for number, _ in block.lines}
    lines = [(number, re.sub(r"\s*=\s*", "=", text.lower()))
             for number, text in enumerate(body.split("\n"), body_line) if number not in code]
    found: dict[tuple[int, str], None] = {}
    start = 0
    order = [*range(len(lines))]
    for removal in removed:
        needle, tag = removal.needle.lower(), f"<{removal.tag}"
        search = order[start:] + order[:start]
        index = next((i for i in search if needle in lines[i][1] and tag in lines[i][1]),
                     None) if removal.tag else None
        if index is None:
            index = next((i for i in search if needle in lines[i][1]), None)
        if index is not None:
            start = index
        line = lines[index][0] if index is not None else body_line
        found[(line, removal.message)] = None
    return tuple(found)


def front_matter_lines(front: list[str]) -> dict[str, int]:
    lines = {}
    for i, text in enumerate(front):
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", text)
        if match and match.group(1) not in lines:
            lines[match.group(1)] = i + 2  # +1 for 1-based, +1 for the opening '---'
    return lines


def _raw_scalar(front: list[str], line: int | None) -> str:
    if not line or ":" not in front[line - 2]:  # e.g. YAML's "? key" explicit-key form
        return ""
    value = front[line - 2].split(":", 1)[1].split(" #", 1)[0].strip()
    return value.strip("\"'")


def _date(value: object, key: str, fail) -> dt.date | None:
    day = None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", value.strip()):
                fail(key, f"{key!r} is {value.strip()}, a date that does not exist: check the "
                          "day and the month")
                return None
    if day is None:
        fail(key, f"{key!r} must be a date written YYYY-MM-DD, not {_shown(value)}")
        return None
    # A typo such as 0026 or 9026: date sums (review spans, PDF timestamps) stay in range.
    if not YEARS[0] <= day.year <= YEARS[1]:
        fail(key, f"{key!r} must be a date between the years {YEARS[0]} and {YEARS[1]}, "
                  f"not {day}")
        return None
    return day


def _preview(value: object, limit: int) -> str:
    """A short text for a value in a message, never expanding a nested one: an alias bomb
    ("billion laughs") is a few lines of YAML but a list of 10^9 items as text."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, (bool, float, dt.date)) or value is None:
        return str(value)[:limit]
    if isinstance(value, int):
        return str(value)[:limit] if value.bit_length() < 256 else "a very large number"
    return _kind(value)


def _shown(value: object) -> str:
    """A value as a message shows it: text quoted, numbers as written, else its kind."""
    if isinstance(value, str):
        return repr(value[:40])
    if isinstance(value, (bool, int, float, dt.date)) or value is None:
        return _preview(value, 40)
    return _kind(value)


def _check_text(value: str, key: str, fail) -> bool:
    # YAML escapes can write what no UTF-8 file holds: lone surrogates, NUL and
    # other control characters. They break the PDF writer and mean nothing to a reader.
    for char in value:
        if (0xD800 <= ord(char) <= 0xDFFF) or (ord(char) < 32 and char not in "\t\n\r"):
            fail(key, f"{key!r} contains the invalid character U+{ord(char):04X}")
            return False
    return True


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {int: "a number", float: "a number", list: "a list", dict: "a table",
            str: "empty text"}.get(type(value), type(value).__name__)


# ---------------------------------------------------------------- body structure for checks

@dataclass(frozen=True)
class Block:
    """A block of the Markdown body with the file line of each of its lines.

    ``kind`` is ``heading``, ``title`` (a call-out's title), ``paragraph``, ``item`` (one
    list item, marker removed), ``table``, ``code``, ``html``, ``comment`` or ``rule``;
    ``level`` is the heading level. Read by ``leaflet check`` (headings, prose, links);
    the PDF is made from ``body_html``, not from this.
    """

    kind: str
    lines: tuple[tuple[int, str], ...]
    level: int = 0

    @property
    def line(self) -> int:
        return self.lines[0][0]

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.lines)


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_ATX = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_ADMONITION = re.compile(r"^\s*!!!\s+[\w-]+(?:\s+\"(.*)\")?\s*$")
_HTML_BLOCK = re.compile(
    r"^\s{0,3}<(!--|/?(?:address|aside|blockquote|details|div|dl|figure|footer|h[1-6]|header|hr"
    r"|ol|p|pre|section|script|style|table|ul)[\s>/])", re.IGNORECASE)
_ATTR_LIST = re.compile(r"\s*\{:?[^}]*\}\s*$")


def scan_body(body: str, body_line: int) -> list[Block]:
    """The body as blocks, each line numbered as in the file (``body_line`` is line 1)."""
    blocks: list[Block] = []
    current: list[tuple[int, str]] = []
    kind = ""

    def close():
        nonlocal current, kind
        if current:
            blocks.append(Block(kind, tuple(current)))
        current, kind = [], ""

    lines = body.split("\n")
    fence = ""
    for index, raw in enumerate(lines):
        number = body_line + index
        if fence:
            current.append((number, raw))
            if raw.strip().startswith(fence):
                fence = ""
                close()
            continue
        match = _FENCE.match(raw)
        if match:
            close()
            fence, kind, current = match.group(1), "code", [(number, raw)]
            continue
        stripped = raw.strip()
        if kind == "comment":
            current.append((number, raw))
            if "-->" in raw:
                close()
            continue
        if not stripped:
            close()
            continue
        if kind in ("html", "table"):
            current.append((number, raw))
            continue
        if match := _ATX.match(raw):
            close()
            blocks.append(Block("heading", ((number, _ATTR_LIST.sub("", match.group(2) or "")),),
                                len(match.group(1))))
            continue
        if (match := _SETEXT.match(raw)) and kind == "paragraph" and len(current) == 1:
            line, text = current[0]
            current, kind = [], ""
            blocks.append(Block("heading", ((line, _ATTR_LIST.sub("", text.strip())),),
                                1 if match.group(1)[0] == "=" else 2))
            continue
        if _RULE.match(raw):
            close()
            blocks.append(Block("rule", ((number, raw),)))
            continue
        if match := _ADMONITION.match(raw):
            close()
            blocks.append(Block("title", ((number, match.group(1) or ""),)))
            continue
        if not current and (match := _HTML_BLOCK.match(raw)):
            # Raw HTML runs to a blank line; a comment runs to its end, blank lines or not.
            comment = match.group(1) == "!--"
            kind, current = ("comment" if comment else "html"), [(number, raw)]
            if comment and "-->" in raw[raw.index("<!--") + 4:]:
                close()
            continue
        if stripped.startswith("|") or (
            "|" in stripped and index + 1 < len(lines) and _TABLE_SEP.match(lines[index + 1])
            and "-" in lines[index + 1]
        ):
            close()
            kind, current = "table", [(number, raw)]
            continue
        if match := _ITEM.match(raw):
            close()
            kind, current = "item", [(number, match.group(1))]
            continue
        if stripped.startswith(": "):  # a definition list's definition
            close()
            kind, current = "paragraph", [(number, stripped[2:])]
            continue
        if not kind:
            kind = "paragraph"
        current.append((number, stripped))
    close()
    return blocks
