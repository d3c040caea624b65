"""Stage 3: Jinja2 (project templates first, built-ins second) → HTML → WeasyPrint → PDF."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import logging
import os
import re
from html.parser import HTMLParser
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from . import __version__, engine, fonts, i18n, qr, typeset
from .config import Config
from .content import Leaflet
from .errors import LeafletError, display_path
from .fetch import Fetched, make_fetcher
from .files import PROJECT_URL, project_url, shorten
from .images import PRINT_DPI
from .layouts import Layout, page_bleed_mm
from .options import RenderOptions, bleed_mm, output_intent
from .resources import builtin_dir


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)


class _ProjectLoader(jinja2.FileSystemLoader):
    """A file loader that never reads a template resolving outside ``within`` (a symlinked
    template, or a symlinked ``templates/`` folder): checked before the file is opened."""

    def __init__(self, searchpath: str, within: Path):
        super().__init__(searchpath)
        self.within = within.resolve()

    def get_source(self, environment, template):
        path = Path(self.searchpath[0], *jinja2.loaders.split_template_path(template))
        if path.is_file() and not path.resolve().is_relative_to(self.within):
            raise LeafletError("template points outside the project (symlink?)", path)
        return super().get_source(environment, template)


def template_dirs(root: Path) -> list[Path]:
    return [root / "templates", builtin_dir("templates")]


def style_path(root: Path, name: str) -> Path:
    """A stylesheet from the project's ``styles/`` if it has one, else the built-in one."""
    for base in (root / "styles", builtin_dir("styles")):
        path = base / name
        if path.is_file():
            resolved = path.resolve()
            # The project folder, not styles/: a symlinked styles/ folder is outside too.
            if base == root / "styles" and not resolved.is_relative_to(root.resolve()):
                raise LeafletError("stylesheet points outside the project (symlink?)", path)
            return path
    raise LeafletError(f"stylesheet {name} not found in styles/ or the built-in styles")


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for the process, keyed by template file and source checksum:
    a process that renders for several projects (a test run, a long-lived worker) compiles
    each built-in template once. An edited template has another checksum. Only for the
    environments ``make_environment`` makes, which all compile alike."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        code = self.store.get(bucket.key)
        if code is not None:  # Jinja checks its checksum: a changed source compiles again
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        if len(self.store) > 256:
            self.store.clear()
        self.store[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def make_environment(root: Path) -> SandboxedEnvironment:
    # Sandboxed: a template override from any contributor cannot reach Python internals.
    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader([
            _ProjectLoader(str(folder), within)
            for folder, within in zip(template_dirs(root), (root, builtin_dir("templates")))]),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_COMPILED,
    )
    return env


def render_template(env, name: str, context: dict, catalog: i18n.Catalog) -> str:
    """A template rendered with a language's catalog; every Jinja error a ``LeafletError``
    naming the template (a clinic's override can hold any mistake)."""
    env.install_gettext_callables(catalog.gettext, catalog.ngettext, newstyle=True)
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise LeafletError(f"template error: {exc.message}", exc.filename, exc.lineno) \
            from None
    except jinja2.TemplateNotFound as exc:
        raise LeafletError(f"template {exc.name} not found in templates/ or the built-ins") \
            from None
    except jinja2.UndefinedError as exc:
        raise LeafletError(f"template {name}: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise LeafletError(f"template {name} is not allowed to: {exc}") from None


def counter_text(template: str) -> str:
    """``"Page %(page)s of %(pages)s"`` → CSS ``content`` with page counters.

    The text comes from a translator's catalog and lands in a ``<style>`` element: every
    character that could end the string or the element is a CSS escape.
    """
    parts = re.split(r"(%\((?:page|pages)\)s)", template)
    out = []
    for part in parts:
        if part == "%(page)s":
            out.append("counter(page)")
        elif part == "%(pages)s":
            out.append("counter(pages)")
        elif part:
            out.append('"%s"' % "".join(f"\\{ord(c):X} " if c in '\\"<>&\n\r' else c
                                        for c in part))
    return " ".join(out) or '""'


def first_callout(body_html: str, kinds: tuple[str, ...] = ("warning", "danger")) -> str:
    """The first call-out box (admonition) of one of ``kinds`` in the body HTML, or ''.

    The poster shows "when to get help" only: that is the first warning or danger box.
    """
    starts = [0]  # offset of each line; HTMLParser counts lines by "\n" only
    for line in body_html.split("\n"):
        starts.append(starts[-1] + len(line) + 1)

    class Finder(HTMLParser):
        start = end = -1
        depth = 0

        def here(self) -> int:
            line, col = self.getpos()
            return starts[line - 1] + col

        def handle_starttag(self, tag, attrs):
            if tag != "div" or self.end >= 0:
                return
            if self.depth:
                self.depth += 1
            elif self.start < 0:
                classes = (dict(attrs).get("class") or "").split()
                if "admonition" in classes and any(k in classes for k in kinds):
                    self.start, self.depth = self.here(), 1

        def handle_endtag(self, tag):
            if tag == "div" and self.depth:
                self.depth -= 1
                if not self.depth:
                    self.end = body_html.index(">", self.here()) + 1

    finder = Finder(convert_charrefs=True)
    finder.feed(body_html)
    finder.close()
    return body_html[finder.start:finder.end] if finder.end > 0 else ""


def language_helpers(lang: str, original_lang: str = "", region: str = "",
                     for_print: bool = False) -> dict:
    """What the shared templates (``_blocks.html``) need to write text in ``lang``; the
    PDFs and the web version both render them with these. Dates and numbers follow the
    clinic's region (``[build] region``); ``for_print`` adds the marks that steer line
    breaks in addresses (typeset.py), which a web page must not carry."""
    direction = i18n.direction(lang)
    return {
        "lang": lang,
        "dir": direction,
        # The language of text a translation does not translate (the clinic's details
        # from leaflet.toml, cited sources): the one it was translated from.
        "original_lang": original_lang or lang,
        "date": lambda d: i18n.format_date(d, lang, region) if d else "",
        "number": lambda n: i18n.format_number(n, lang, region),
        "english": lambda s: s,  # marks text deliberately shown in English too
        "text_dir": lambda s: i18n.text_direction(str(s), direction),
        # Print typography (typeset.py): where a line may break in addresses, phone
        # numbers, numbers with units and dates, and titles that end in no runt.
        "typeset": lambda s: Markup(typeset.text_html(str(s), for_print)),
        "phone": lambda s: Markup.escape(typeset.keep_together(str(s), for_print)),
        "nowrap": lambda s: Markup(typeset.nowrap_html(str(s))) if s else "",
        "heading": lambda s: Markup(typeset.heading_html(str(s), for_print)),
    }


@functools.lru_cache(maxsize=64)
def print_body(body_html: str) -> str:
    """The body HTML as the PDFs set it (typeset.py): once per body, not per fit pass."""
    return typeset.typeset_html(body_html)


def source_date_epoch(leaflet: Leaflet) -> int:
    """Timestamps inside the PDF come from the content, never from the clock."""
    day = max(leaflet.published, leaflet.reviewed)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


@contextlib.contextmanager
def _env_var(name: str, value: str):
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


# Whether this process has paid the one-time costs (Renderer.warm_up): a process that
# builds for many projects (a test run, an embedding) pays them once.
_WARM = [False]


class Renderer:
    """Renders leaflets for one project; one per worker process, reused between documents.

    Keeps what is costly to rebuild: the Jinja environment, the font configuration and
    parsed stylesheets (keyed on file contents, so an edit is always seen).
    """

    def __init__(self, config: Config):
        self.config = config
        self.root = config.root
        self.env = make_environment(self.root)
        self._font_config = None
        self._css_cache: dict[tuple, object] = {}
        self.fetched = Fetched([], {})  # what the last document read (for `build -vv`)

    def warm_up(self) -> None:
        """Pay a process's one-time costs now, so that no output's time limit counts them:
        importing WeasyPrint and Markdown, Pango's font set-up and a first layout, the
        configured layouts' templates and stylesheets, and the source language's fonts."""
        # Lazy: WeasyPrint costs 0.35 s to import; this is where a worker pays it.
        import markdown  # noqa: F401
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration

        if self._font_config is None:
            self._font_config = FontConfiguration()
        if _WARM[0]:
            return  # this process (or the one it was forked from) has paid them already
        _WARM[0] = True
        # The confined fetcher here too: the project's stylesheets are applied below.
        fetcher = make_fetcher(self.allowed_roots(), self.config.allow_network,
                               project=self.root)
        HTML(string="<p>warm</p>", url_fetcher=fetcher).render(font_config=self._font_config)
        try:
            sheets = [("fonts", fonts.font_face_css(self.faces(i18n.SOURCE_LANG)), None)]
            for name in self.config.layouts:
                layout = self.config.layout(name)
                self.env.get_template(layout.template)
                sheets += [(n, *self._read_style(n)) for n in ("base.css", layout.stylesheet)]
            for name, text, base in sheets:
                if (name, text) not in self._css_cache:
                    self._css_cache[(name, text)] = CSS(
                        string=text, base_url=base, url_fetcher=fetcher,
                        font_config=self._font_config)
            # Shape, hyphenate (Pyphen loads its dictionary) and subset the fonts once.
            HTML(string=f'<html lang="{i18n.SOURCE_LANG}"><p style="hyphens: auto; width: 5mm">'
                        "Information hyphenation <b>bold</b> <i>italic</i></p></html>",
                 url_fetcher=fetcher).render(font_config=self._font_config,
                          stylesheets=[self._css_cache[(n, t)] for n, t, _ in sheets]
                          ).write_pdf()
        except Exception:  # noqa: BLE001 - a broken template or font fails its outputs, not
            pass  # the worker: each output reports it with its file

    # -------------------------------------------------------------- HTML

    def context(self, leaflet: Leaflet, layout: Layout, catalog: i18n.Catalog,
                options: RenderOptions, body_pt: float) -> dict:
        lang = leaflet.lang
        clinic = self.config.clinic
        printed = dataclasses.replace(leaflet, body_html=print_body(leaflet.body_html))
        link = leaflet.link or (
            self.config.link.format(slug=leaflet.slug, lang=lang) if self.config.link else ""
        )
        return {
            # The body with its addresses, phone numbers and headings marked for print.
            "leaflet": printed,
            "clinic": clinic,
            "layout": layout,
            "paper": self.config.paper,
            "body_pt": body_pt,
            "link": link,
            "logo": project_url(clinic.logo, self.root) if clinic.logo else "",
            "draft": leaflet.is_draft,
            "language_name": i18n.language_name(lang),
            "version": __version__,
            **language_helpers(lang, leaflet.translation_of, self.config.region,
                               for_print=True),
            # Translators: at the foot of every page, e.g. "Page 2 of 4".
            "page_counter": counter_text(catalog.gettext("Page %(page)s of %(pages)s")),
            "qr_svg": qr.svg(link),  # '' without a link: no QR code, never a broken one
            "callout": first_callout(printed.body_html),
            "options": options,
        }

    def render_html(self, leaflet: Leaflet, layout: Layout, catalog: i18n.Catalog,
                    options: RenderOptions = RenderOptions(), body_pt: float | None = None,
                    extra: dict | None = None) -> str:
        context = self.context(leaflet, layout, catalog, options, body_pt or layout.body_pt)
        context.update(extra or {})
        return render_template(self.env, layout.template, context, catalog)

    # -------------------------------------------------------------- PDF

    def page_css(self, leaflet: Leaflet, layout: Layout, body_pt: float,
                 options: RenderOptions = RenderOptions()) -> str:
        width, height = layout.page_size(self.config.paper)
        faces = self.faces(leaflet.lang)
        stack = ", ".join(f'"{f}"' for f in fonts.families(faces))
        bleed, page_bleed = "", 0.0
        if options.is_print_ready(layout):
            page_bleed = bleed_mm(options, self.config.paper)
            if options.impose and layout.impose:
                # Imposed pieces get their marks on the sheet (impose.py); each page
                # bleeds far enough to fill its slot there, and the sheet's bleed.
                page_bleed = page_bleed_mm(layout, self.config.paper, page_bleed)
                bleed = f" bleed: {page_bleed}mm;"
            else:
                bleed = f" bleed: {page_bleed}mm; marks: crop;"
        # Hyphenate prose where Pyphen has the language's dictionary (WeasyPrint picks it
        # from <html lang>) and the layout allows it; never headings, the summary, table
        # cells, links or addresses (base.css), never a short word or fewer than three
        # letters on either side ("un-til", "high-er"), and only where the line would
        # otherwise end more than 12 % short (ragged text needs few hyphens).
        hyphens = "auto" if layout.hyphenate and i18n.can_hyphenate(leaflet.lang) else "manual"
        return (
            f"@page {{ size: {width}mm {height}mm;{bleed} }}\n"
            f":root {{ --brand: {self.config.clinic.brand_colour}; "
            # --bleed: how far a band that touches the page edge extends past it.
            f"--body-size: {body_pt}pt; --bleed: {page_bleed:g}mm; font-family: {stack}; }}\n"
            # U+2010, WeasyPrint's default, is missing from Atkinson Hyperlegible.
            f"p, li, dd {{ hyphens: {hyphens}; hyphenate-character: \"-\"; "
            "hyphenate-limit-chars: 6 3 3; hyphenate-limit-zone: 12%; }\n"
        )

    def faces(self, lang: str) -> list[fonts.FontFace]:
        return fonts.font_stack(lang, self.config.fonts)

    def _stylesheets(self, leaflet: Leaflet, layout: Layout, fetcher, body_pt: float,
                     options: RenderOptions = RenderOptions()) -> list:
        from weasyprint import CSS  # lazy: WeasyPrint costs 0.35 s to import
        from weasyprint.text.fonts import FontConfiguration

        if self._font_config is None:
            self._font_config = FontConfiguration()
        sheets = []
        font_css = fonts.font_face_css(fonts.render_faces(leaflet.lang, self.config.fonts))
        for name, text, base in (
            ("fonts", font_css, None),
            *((n, *self._read_style(n)) for n in ("base.css", layout.stylesheet)),
        ):
            key = (name, text)
            if key not in self._css_cache:
                self._css_cache[key] = CSS(string=text, base_url=base, url_fetcher=fetcher,
                                           font_config=self._font_config)
            sheets.append(self._css_cache[key])
        # The page size, brand colour and font stack change per output: a tiny sheet.
        sheets.append(CSS(string=self.page_css(leaflet, layout, body_pt, options),
                          font_config=self._font_config))
        return sheets

    def _read_style(self, name: str) -> tuple[str, str]:
        path = style_path(self.root, name)
        try:
            return path.read_text(encoding="utf-8"), project_url(path, self.root)
        except (OSError, UnicodeDecodeError) as exc:
            raise LeafletError(f"stylesheet cannot be read: {exc}", path) from None

    def allowed_roots(self) -> list[Path]:
        extra = [f.path.parent for f in self.config.fonts]
        return [self.root, builtin_dir("styles"), builtin_dir("templates"),
                *fonts.font_roots(), fonts.instances_dir(), *extra]

    def render_document(self, leaflet: Leaflet, layout: Layout, catalog: i18n.Catalog,
                        options: RenderOptions, body_pt: float, extra: dict | None = None):
        """HTML → laid-out WeasyPrint document, with every warning collected."""
        # Lazy, here and below: WeasyPrint costs 0.35 s to import (--help must not pay it).
        from weasyprint import HTML
        from weasyprint.logger import LOGGER

        # Before the first render in this process: WeasyPrint 70.0 fixes (engine.py).
        fixes = engine.apply()
        refused: list[str] = []
        fatal: list[str] = []
        # Raster images are resampled to 300 dpi of the page width, the widest any image
        # can be placed, once per process (every fit pass and output reuses the copy).
        self.fetched = Fetched([], {})
        fetcher = make_fetcher(self.allowed_roots(), self.config.allow_network, refused, fatal,
                               image_width_mm=layout.page_size(self.config.paper)[0],
                               fetched=self.fetched, project=self.root)
        html_text = self.render_html(leaflet, layout, catalog, options, body_pt, extra)
        collect = _Collect()
        LOGGER.addHandler(collect)
        try:
            sheets = self._stylesheets(leaflet, layout, fetcher, body_pt, options)
            html = HTML(string=html_text, base_url=project_url(leaflet.path, self.root),
                        url_fetcher=fetcher)
            # dpi: each raster image is embedded at no more than 300 dpi of the size it
            # is placed at (WeasyPrint scales it down when the PDF is written).
            document = html.render(font_config=self._font_config, stylesheets=sheets,
                                   output_intent=output_intent(options, layout),
                                   dpi=PRINT_DPI)
        finally:
            LOGGER.removeHandler(collect)
        if fatal:
            raise LeafletError(fatal[0], leaflet.path)
        refused += _drop_attachments(document)
        # Images printed below 150 dpi are the proof's to report (proof.py), once per PDF.
        source = display_path(leaflet.path)
        warnings = [f"{source}: {m}" for m in refused] + [
            m for m in collect.messages if not _duplicate_refusal(m)]
        if len(fixes) < len(engine.NAMES):
            warnings.append(f"{source}: {engine.off_message(fixes)}")
        return document, warnings

    def write(self, document, leaflet: Leaflet, **pdf_options) -> bytes:
        from weasyprint.logger import LOGGER  # lazy: WeasyPrint costs 0.35 s to import

        collect = _Collect()
        LOGGER.addHandler(collect)
        try:
            with _env_var("SOURCE_DATE_EPOCH", str(source_date_epoch(leaflet))):
                return document.write_pdf(**pdf_options)
        finally:
            LOGGER.removeHandler(collect)


def _drop_attachments(document) -> list[str]:
    """No file attachments from content: WeasyPrint embeds the file behind ``<link
    rel=attachment>`` or ``<a rel=attachment>`` whole, and the fetcher allows every project
    file (leaflet.toml, .git/config …). Dropped before the PDF is written, so never read."""
    refused = []
    count = len(document.metadata.attachments)
    if count:
        document.metadata.attachments = []
        refused.append(f"refused {count} file attachment{'s' if count > 1 else ''} "
                       "(<link rel=attachment>): leaflets do not embed files")
    for page in document.pages:
        for link in [link for link in page.links if link[0] == "attachment"]:
            page.links.remove(link)
            message = (f"refused to attach {shorten(link[1])} (<a rel=attachment>): "
                       "leaflets do not embed files")
            if message not in refused:
                refused.append(message)
        # A link to a file of the project leads nowhere in a printed or e-mailed PDF (the
        # web version links its own copy): the words stay, the link goes.
        for link in [link for link in page.links
                     if link[0] == "external" and str(link[1]).startswith("file:")]:
            page.links.remove(link)
            name = unquote(str(link[1]).removeprefix(PROJECT_URL))
            message = (f"the link to the file {shorten(name)} is left out of the PDF: a "
                       "printed or e-mailed leaflet cannot open it (its words stay)")
            if message not in refused:
                refused.append(message)
    return refused


def _duplicate_refusal(message: str) -> bool:
    # The fetcher already recorded why; WeasyPrint's own "Failed to load" line repeats it.
    return "outside the project" in message or "network access is off" in message \
        or "not found:" in message
