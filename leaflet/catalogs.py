"""Tooling for translators: extract template text, merge, check and compile the catalogs.

    python -m leaflet.catalogs update      # templates/ → locales/leaflet.pot → every .po
    python -m leaflet.catalogs init LANG   # start locales/LANG/LC_MESSAGES/leaflet.po
    python -m leaflet.catalogs check       # compile every .po, report untranslated text
    python -m leaflet.catalogs compile     # the same check (the build compiles in memory)

leaflet reads the ``.po`` files themselves and compiles them in memory at build time
(``i18n.load_catalog`` calls ``read_po_file`` here), so no ``.mo`` files are kept.
A broken catalog is an error naming the file and line, in a build and in ``check``.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from .errors import LeafletError, display_path

DOMAIN = "leaflet"
POT_NAME = f"{DOMAIN}.pot"
TRANSLATOR_TAG = "Translators:"
# The mapping used when a folder has no babel.cfg (e.g. a clinic's own templates/).
DEFAULT_MAPPING = ("[jinja2: templates/**.html]\ntrim_blocks = true\nlstrip_blocks = true\n"
                   "newstyle_gettext = true\nsilent = false\n")
# Babel's defaults follow an older ordering for Arabic; translators' tools (Weblate,
# Poedit) expect the CLDR order zero, one, two, few, many, other. Hindi counts 0 as one.
PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
          "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "hi": "nplurals=2; plural=(n > 1);",
}


# ------------------------------------------------------------------ reading a .po

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr\[(\d+)\]|msgstr)(?=[\s"])\s*(.*)$')
_QUOTED = re.compile(r'^"(?:[^"\\]|\\.)*"$')
_ESCAPE = re.compile(r'\\(.)')
_VALID_ESCAPES = set('ntr"\\')


def _syntax_problems(lines: list[str]) -> list[tuple[int, str]]:
    """Strict line-by-line PO syntax (Babel's reader skips what it cannot parse)."""
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str | None, str], int] = {}
    state = ""  # the last keyword seen in the current entry
    entry: dict = {}

    def finish():
        if "msgid" in entry and "msgstr" not in entry:
            problems.append((entry["msgid_line"], "msgid has no msgstr line"))
        if "msgid" in entry:
            key = (entry.get("msgctxt"), entry["msgid"])
            if key in seen:
                problems.append((entry["msgid_line"],
                                 f"msgid {entry['msgid']!r} is already defined on line "
                                 f"{seen[key]}"))
            else:
                seen[key] = entry["msgid_line"]

    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            continue  # comments, flags, references; obsolete (#~) entries are not read
        match = _KEYWORD.match(line)
        if match:
            keyword, rest = match.group(1), match.group(3)
            base = "msgstr" if keyword.startswith("msgstr") else keyword
            if base in ("msgctxt", "msgid") and state.startswith("msgstr"):
                finish()
                entry = {}
            if base == "msgid" and "msgid" in entry:
                problems.append((number, "second msgid before a msgstr"))
            if base == "msgstr" and "msgid" not in entry:
                problems.append((number, "msgstr without a msgid before it"))
            if keyword == "msgid_plural" and "msgid" not in entry:
                problems.append((number, "msgid_plural without a msgid before it"))
            problem = _string_problem(rest)
            if problem:
                problems.append((number, problem))
            elif base in ("msgctxt", "msgid"):
                entry[base] = _unquote(rest)
                if base == "msgid":
                    entry["msgid_line"] = number
            else:
                entry.setdefault("msgstr", True)
            state = keyword
            continue
        if line.startswith('"'):
            problem = _string_problem(line)
            if problem:
                problems.append((number, problem))
            elif not state:
                problems.append((number, "text in quotes outside any entry"))
            elif state in ("msgctxt", "msgid"):
                entry[state] = entry.get(state, "") + _unquote(line)
            continue
        word = line.split()[0]
        problems.append((number, f"unknown keyword {word[:30]!r} (a line must be a comment, "
                                 "msgid/msgstr or a \"quoted\" continuation)"))
    finish()
    return problems


def _string_problem(text: str) -> str:
    if not text.startswith('"'):
        return "the text must be in double quotes"
    if not _QUOTED.match(text):
        return "the quoted text is not closed (a \" inside the text must be written \\\")"
    for escape in _ESCAPE.findall(text[1:-1]):
        if escape not in _VALID_ESCAPES:
            return f"unknown escape \\{escape} (use \\n, \\t, \\\" or \\\\)"
    return ""


def _unquote(text: str) -> str:
    return _ESCAPE.sub(lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)),
                       text[1:-1])


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class _Recorder(dict):
    def __missing__(self, key):
        self.setdefault("\0unknown", []).append(key)
        return ""


def placeholder_problem(msgid: str, translated: str, plural_form: bool = False) -> str:
    """Why a translation would break Jinja's ``%`` formatting or lose a value, or ''."""
    wanted = _PLACEHOLDER.findall(msgid)
    values = _Recorder({name: "" for name in wanted})
    try:
        translated % values
    except (ValueError, TypeError):
        return ("has a % that is not a placeholder (write %% for a percent sign, and "
                "placeholders exactly as %(name)s)")
    unknown = values.get("\0unknown", [])
    if unknown:
        return (f"uses %({unknown[0]})s, which the template does not supply "
                f"(it supplies: {', '.join(f'%({n})s' for n in wanted) or 'nothing'})")
    missing = [n for n in wanted if f"%({n})s" not in translated]
    if missing and not plural_form:
        return f"leaves out %({missing[0]})s (keep every placeholder of the English text)"
    return ""


def read_po_file(path: Path, lang: str | None = None):
    """Read and check a ``.po`` file: a Babel catalog, or ``LeafletError`` at file:line."""
    from babel.messages.pofile import PoFileError, read_po

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LeafletError(f"catalog cannot be read: {exc.strerror or exc}", path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LeafletError("catalog is not UTF-8 text (save it as UTF-8)", path, line) \
            from None
    problems = _syntax_problems(text.split("\n"))
    if problems:
        line, message = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise LeafletError(f"broken catalog: {message}{more}", path, line)
    try:
        catalog = read_po(io.BytesIO(text.encode("utf-8")), locale=None, domain=DOMAIN,
                          abort_invalid=True)
    except PoFileError as exc:
        raise LeafletError(f"broken catalog: {exc}", path, exc.lineno + 1) from None
    except ValueError as exc:  # e.g. a Plural-Forms header Babel cannot parse
        raise LeafletError(f"broken catalog header: {exc}", path, _header_line(text)) \
            from None
    try:
        gettext.c2py(catalog.plural_expr)
    except (ValueError, SyntaxError, RecursionError):
        raise LeafletError(f"broken Plural-Forms header: {catalog.plural_expr!r}", path,
                           _header_line(text, "Plural-Forms")) from None
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) \
            else (message.string,)
        plural = len(ids) > 1
        for index, translated in enumerate(strings):
            if not translated:
                continue
            source = ids[min(index, len(ids) - 1)] if plural else ids[0]
            problem = placeholder_problem(source, translated, plural_form=plural)
            if problem:
                raise LeafletError(f"the translation of {ids[0]!r} {problem}", path,
                                   message.lineno)
    return catalog


def _header_line(text: str, name: str = "") -> int | None:
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith(f'"{name}') and (name or line.startswith('"')):
            return number
    return None


# ------------------------------------------------------------------ extraction

def _mapping(root: Path):
    from babel.messages.frontend import parse_mapping_cfg

    cfg = root / "babel.cfg"
    text = cfg.read_text(encoding="utf-8") if cfg.is_file() else DEFAULT_MAPPING
    try:
        method_map, options_map = parse_mapping_cfg(io.StringIO(text), str(cfg))
    except Exception as exc:  # noqa: BLE001 - configparser raises many kinds
        raise LeafletError(f"cannot read the extraction setup: {exc}", cfg) from None
    # Name Jinja's extractor directly rather than rely on its entry point being installed.
    method_map = [(pattern, "jinja2.ext:babel_extract" if method == "jinja2" else method)
                  for pattern, method in method_map]
    return method_map, options_map


def extract(root: Path):
    """Every translatable string of the templates under ``root`` as a ``.pot`` catalog."""
    import jinja2
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    from . import __version__

    method_map, options_map = _mapping(root)
    template = Catalog(project="leaflet", version=__version__, domain=DOMAIN,
                       msgid_bugs_address="", copyright_holder="the leaflet authors",
                       charset="utf-8", fuzzy=False)
    try:
        found = list(extract_from_dir(root, method_map, options_map, DEFAULT_KEYWORDS,
                                      comment_tags=(TRANSLATOR_TAG,), strip_comment_tags=True,
                                      directory_filter=_skip_hidden))
    except jinja2.TemplateSyntaxError as exc:
        raise LeafletError(f"template error: {exc.message}", root / (exc.filename or ""),
                           exc.lineno) from None
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(Path(filename).as_posix(), lineno)],
                     auto_comments=comments, context=context)
    return template


def _skip_hidden(dirpath: str) -> bool:
    name = Path(dirpath).name
    return not name.startswith((".", "_")) and name not in ("node_modules", "dist")


def po_files(locales: Path) -> list[Path]:
    return sorted(locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _render(catalog, **kwargs) -> bytes:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=76, **kwargs)
    return buffer.getvalue()


_DATE_LINE = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.M)


def _same_apart_from_dates(a: bytes, b: bytes) -> bool:
    return _DATE_LINE.sub(b"", a) == _DATE_LINE.sub(b"", b)


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write only real changes, so a re-run leaves no date-only diffs behind."""
    old = path.read_bytes() if path.is_file() else None
    if old is not None and _same_apart_from_dates(old, data):
        return False
    from .build import atomic_write

    atomic_write(path, data)
    return True


def update(root: Path, echo=click.echo) -> None:
    """Extract into ``locales/leaflet.pot`` and merge it into every ``.po`` file."""
    from babel.messages.pofile import read_po

    locales = root / "locales"
    template = extract(root)
    pot = locales / POT_NAME
    if pot.is_file():
        old = read_po(io.BytesIO(pot.read_bytes()))
        template.creation_date = old.creation_date
        if not _same_apart_from_dates(_render(template), pot.read_bytes()):
            template.creation_date = dt.datetime.now(dt.timezone.utc)
    changed = _write_if_changed(pot, _render(template))
    echo(f"{display_path(pot)}: {len(template)} strings"
         + ("" if changed else " (unchanged)"))
    for path in po_files(locales):
        catalog = read_po_file(path)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        changed = _write_if_changed(path, _render(catalog))
        echo(_status_line(path, catalog, template) + ("" if changed else " (unchanged)"))


def init(root: Path, lang: str, echo=click.echo) -> Path:
    """Start a catalog for a new language from the template."""
    from babel.core import Locale, UnknownLocaleError
    from babel.messages.catalog import Catalog

    try:
        locale = Locale.parse(lang, sep="-")
    except (UnknownLocaleError, ValueError):
        raise click.BadParameter(f"{lang!r} is not a language Babel knows (try e.g. pt-BR)") \
            from None
    path = root / "locales" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if path.exists():
        raise LeafletError("catalog exists already; run 'update' to merge new text", path)
    template = extract(root)
    catalog = Catalog(locale=locale, domain=DOMAIN, project="leaflet",
                      version=template.version, copyright_holder="the leaflet authors",
                      charset="utf-8", fuzzy=False)
    catalog.language_team = f"{locale.english_name} <{lang}@li.org>"
    catalog.update(template, no_fuzzy_matching=True)
    _set_plural_forms(catalog, lang)
    _write_if_changed(path, _render(catalog))
    echo(f"{display_path(path)}: created, {len(template)} strings to translate")
    return path


def _set_plural_forms(catalog, lang: str) -> None:
    forms = PLURAL_FORMS.get(lang.split("-")[0].split("_")[0])
    if forms:
        catalog.mime_headers = [("Plural-Forms", forms)]


# ------------------------------------------------------------------ checking

@dataclass
class Status:
    path: Path
    total: int
    untranslated: list[str]
    fuzzy: list[str]
    unmerged: list[str]  # in the template but not yet in this .po (run update)


def status(path: Path, template=None) -> Status:
    catalog = read_po_file(path)  # raises LeafletError on a broken catalog
    untranslated, fuzzy = [], []
    ids = set()
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        ids.add(msgid)
        strings = message.string if isinstance(message.string, (tuple, list)) \
            else (message.string,)
        if message.fuzzy:
            fuzzy.append(msgid)
        elif not all(strings):
            untranslated.append(msgid)
    unmerged = []
    if template is not None:
        for message in template:
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            if message.id and msgid not in ids:
                unmerged.append(msgid)
    return Status(path, len(ids), untranslated, fuzzy, unmerged)


def _status_line(path: Path, catalog, template) -> str:
    missing = sum(1 for m in catalog if m.id and (m.fuzzy or not (
        all(m.string) if isinstance(m.string, (tuple, list)) else m.string)))
    return f"{display_path(path)}: {len(template)} strings, {missing} untranslated"


def check(root: Path, strict: bool = False, echo=click.echo) -> int:
    """Compile every catalog; 0 when all compile (and, if ``strict``, are complete)."""
    from babel.messages.pofile import read_po

    locales = root / "locales"
    pot = locales / POT_NAME
    template = None
    failures = 0
    incomplete = 0
    if (root / "templates").is_dir():
        template = extract(root)
        if pot.is_file():
            old = {m.id for m in read_po(io.BytesIO(pot.read_bytes())) if m.id}
            new = {m.id for m in template if m.id}
            if old != new:
                echo(f"{display_path(pot)}: out of date with the templates "
                     f"({len(new - old)} new, {len(old - new)} gone): run "
                     "'python -m leaflet.catalogs update'", err=True)
                incomplete += 1
        else:
            echo(f"{display_path(pot)}: missing: run 'python -m leaflet.catalogs update'",
                 err=True)
            incomplete += 1
    for path in po_files(locales):
        try:
            s = status(path, template)
        except LeafletError as exc:
            echo(f"Error: {exc.format_message()}", err=True)
            failures += 1
            continue
        missing = len(s.untranslated) + len(s.fuzzy) + len(s.unmerged)
        parts = [f"{s.total - len(s.untranslated) - len(s.fuzzy)} of {s.total} translated"]
        if s.fuzzy:
            parts.append(f"{len(s.fuzzy)} fuzzy (not used until checked)")
        if s.unmerged:
            parts.append(f"{len(s.unmerged)} new in the templates (run update)")
        echo(f"{display_path(path)}: " + ", ".join(parts))
        todo = s.untranslated + s.fuzzy + s.unmerged
        for msgid in todo[:10]:
            echo(f"  untranslated: {msgid!r}")
        if len(todo) > 10:
            echo(f"  … and {len(todo) - 10} more")
        incomplete += bool(missing)
    if failures:
        echo(f"{failures} catalog(s) broken", err=True)
        return 1
    if strict and incomplete:
        echo(f"{incomplete} catalog(s) incomplete", err=True)
        return 1
    return 0


# ------------------------------------------------------------------ command line

_root_option = click.option(
    "--project", "-p", "root", type=click.Path(file_okay=False, path_type=Path), default=".",
    show_default=True, help="Folder holding templates/ and locales/ (and babel.cfg).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Keep the template text catalogs (locales/*/LC_MESSAGES/leaflet.po) up to date."""


@main.command("update")
@_root_option
def update_command(root: Path) -> None:
    """Extract template text into locales/leaflet.pot and merge it into every .po file.

    New strings arrive untranslated (empty), never guessed; strings the templates no
    longer use are kept at the end of each file as obsolete (#~) entries.
    """
    update(root.resolve())


@main.command("init")
@click.argument("lang")
@_root_option
def init_command(lang: str, root: Path) -> None:
    """Start a catalog for LANG (a BCP 47 tag such as pt-BR) from the template."""
    init(root.resolve(), lang)


def _check_options(func):
    func = click.option("--strict", is_flag=True,
                        help="Also fail when a catalog has untranslated or new strings.")(func)
    return _root_option(func)


@main.command("check")
@_check_options
def check_command(root: Path, strict: bool) -> None:
    """Compile every catalog as the build does; fail on a broken one (file:line)."""
    sys.exit(check(root.resolve(), strict))


@main.command("compile")
@_check_options
def compile_command(root: Path, strict: bool) -> None:
    """Compile every catalog in memory (the build reads .po files; no .mo is written)."""
    sys.exit(check(root.resolve(), strict))


if __name__ == "__main__":  # pragma: no cover
    main(prog_name="python -m leaflet.catalogs")
