"""Tooling for translators: extract template text, merge, check and compile the catalogs.

    python -m leaflet.catalogs update      # templates/ → locales/leaflet.pot → every .po
    python -m leaflet.catalogs init LANG   # start locales/LANG/LC_MESSAGES/leaflet.po
    python -m leaflet.catalogs check       # compile every .po, report untranslated text
    python -m leaflet.catalogs compile     # the same check (the build compiles in memory)

leaflet reads the ``.po`` files themselves and compiles them in memory at build time
(``i18n.load_catalog``, through ``po.read_po_file``), so no ``.mo`` files are kept.
A broken catalog is an error naming the file and line, in a build and in ``check``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from . import __version__
from .errors import LeafletError, display_path
from .po import DOMAIN, read_po_file
from .files import atomic_write
from .resources import builtin_dir

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


# ------------------------------------------------------------------ extraction

def _mapping(root: Path, default: str = DEFAULT_MAPPING):
    # Lazy, in every function here: Babel's message tools cost ~60 ms to import, and
    # `python -m leaflet.catalogs --help` needs none of them.
    from babel.messages.frontend import parse_mapping_cfg

    cfg = root / "babel.cfg"
    text = cfg.read_text(encoding="utf-8") if cfg.is_file() else default
    try:
        method_map, options_map = parse_mapping_cfg(io.StringIO(text), str(cfg))
    except Exception as exc:  # noqa: BLE001 - configparser raises many kinds
        raise LeafletError(f"cannot read the extraction setup: {exc}", cfg) from None
    # Name Jinja's extractor directly rather than rely on its entry point being installed.
    method_map = [(pattern, "jinja2.ext:babel_extract" if method == "jinja2" else method)
                  for pattern, method in method_map]
    return method_map, options_map


def _sources(root: Path) -> list[tuple[Path, str]]:
    """Where template text comes from: leaflet's own templates (and the text its code
    adds, such as the page counter), then the project's templates, if it is another
    folder (a clinic's, which overrides some templates or none)."""
    builtin = builtin_dir("templates").parent
    own = [(builtin, DEFAULT_MAPPING)]
    if not (builtin / "babel.cfg").is_file():  # an installed wheel: the code is beside it
        own.append((Path(__file__).resolve().parent, "[python: **.py]\n"))
    if builtin.resolve() == root.resolve():
        return own
    return [*own, (root, DEFAULT_MAPPING)]


def extract(root: Path):
    """Every translatable string of the templates (leaflet's and the project's) as a
    ``.pot`` catalog."""
    import jinja2  # lazy: see _mapping
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    template = Catalog(project="leaflet", version=__version__, domain=DOMAIN,
                       msgid_bugs_address="", copyright_holder="the leaflet authors",
                       charset="utf-8", fuzzy=False)
    for base, default in _sources(root):
        method_map, options_map = _mapping(base, default)
        try:
            found = list(extract_from_dir(base, method_map, options_map, DEFAULT_KEYWORDS,
                                          comment_tags=(TRANSLATOR_TAG,),
                                          strip_comment_tags=True,
                                          directory_filter=_skip_hidden))
        except jinja2.TemplateSyntaxError as exc:
            raise LeafletError(f"template error: {exc.message}", base / (exc.filename or ""),
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
    from babel.messages.pofile import write_po  # lazy: see _mapping

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
    atomic_write(path, data)
    return True


def update(root: Path, echo=click.echo) -> None:
    """Extract into ``locales/leaflet.pot`` and merge it into every ``.po`` file."""
    from babel.messages.pofile import read_po  # lazy: see _mapping

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
    from babel.core import Locale, UnknownLocaleError  # lazy: see _mapping
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
    from babel.messages.pofile import read_po  # lazy: see _mapping

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
