"""Stage 6: the web version — accessible static pages from the same leaflets as the PDFs."""

from __future__ import annotations

import base64
import importlib.metadata as md
import functools
import hashlib
import io
import json
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import escape as xml_escape


from . import __version__, fonts, i18n
from .check import contrast_ratio
from .config import Config
from .content import LANG_RE, Leaflet, discover, load_leaflet
from .errors import LeafletError, display_path
from .fetch import MAX_IMAGE_PIXELS, MAX_RESOURCE_BYTES, image_pixels, local_path, shorten
from .files import TMP_MARK, atomic_write, hash_tree, read_json, sha256_file
from .inputs import shared_key
from .manifest import Result
from .options import RenderOptions
from .render import language_helpers, render_template, style_path

SITE_DIR = "site"  # OUT/site/: copy this folder to any static web host
STATE_NAME = ".leaflet-site.json"  # OUT/, not OUT/site/: it is not for publishing
STATIC = "_static"  # slugs cannot start with "_" and language tags cannot hold one
# Bump when the site's own output format changes, so every page is rendered again.
FORMAT = "1"
# Screens: a column of ~44rem is ~800 CSS px; twice that serves high-density phones.
MAX_IMAGE_WIDTH = 1600
# Inline SVG (data: URLs) never sits on the site as a file a browser could open and run;
# beyond this an SVG image is refused rather than bloating every page that shows it.
MAX_INLINE_SVG = 512_000
# Files a leaflet may link to that a browser will not run as a page of the clinic's site
# (no .html, .svg, .xml, .js): copied into the site like images.
LINKABLE = frozenset(".pdf .txt .csv .rtf .doc .docx .odt .ods .odp .xls .xlsx .ppt .pptx .epub "
                     ".png .jpg .jpeg .gif .webp .mp3 .m4a .ogg .wav .mp4 .webm".split())
# Always in every font subset: list markers, separators and digits the CSS or the
# browser draws (list numbers, "·" between dates) that are not in any text node.
BASE_CHARS = frozenset("0123456789.,:;()%·•–-/ ")
# No JavaScript, no external request of any kind, whatever the content holds: the browser
# itself refuses scripts, frames, plug-ins, inline styles and anything not from the site.
# The language index's title (templates/site/index.html), shown under each language on the
# front page in that language. Not a gettext call here: the template is its source.
INDEX_TITLE = "Patient information leaflets"
CSP = ("default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'none'")


# ------------------------------------------------------------------ results

@dataclass
class PageResult:
    """One document of the site (a leaflet page, an index or the sitemap)."""

    path: str  # relative to the output folder, e.g. site/als-twitching/en/index.html
    kind: str  # leaflet, index (one language), root (choose a language), sitemap
    slug: str = ""
    lang: str = ""
    status: str = "built"  # built (written), cached (unchanged, not rewritten), failed
    sha256: str = ""
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def manifest_entry(self) -> dict:
        return {"kind": self.kind, "slug": self.slug, "lang": self.lang, "path": self.path,
                "sha256": self.sha256, "bytes": self.bytes, "status": self.status,
                "warnings": self.warnings, "error": self.error}


@dataclass
class SiteSummary:
    pages: list[PageResult]
    folder: Path
    base_url: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> list[PageResult]:
        return [p for p in self.pages if p.status == "failed"]

    def count(self, status: str) -> int:
        return sum(1 for p in self.pages if p.status == status)

    def line(self) -> str:
        text = (f"web version: {len(self.pages)} pages ({self.count('built')} written, "
                f"{self.count('cached')} unchanged")
        if self.failed:
            text += f", {len(self.failed)} failed"
        return text + f") in {display_path(self.folder)}/"

    def manifest(self) -> dict:
        return {"folder": SITE_DIR, "base_url": self.base_url,
                "pages": [p.manifest_entry() for p in
                          sorted(self.pages, key=lambda p: (p.slug, p.lang, p.kind, p.path))]}


# ------------------------------------------------------------------ the stage

def page_path(slug: str, lang: str) -> str:
    """A leaflet page in the site: the path the QR link pattern names (``{slug}/{lang}/``)."""
    return f"{slug}/{lang}/index.html"


def write_site(config: Config, results: Iterable[Result], out: Path,
               base_url: str = "") -> SiteSummary:
    """Write (or bring up to date) ``out/site/`` from the build's results.

    A page is written for each leaflet and language with at least one PDF built or up to
    date in this run; pages from earlier runs stay while their content file does. A page
    whose PDFs all failed in this run keeps its previous version (as the PDFs do). Files
    are rewritten only when their bytes change; nothing outside the project or the font
    packages is read, nothing is fetched.
    """
    start = time.perf_counter()
    out = out.resolve()
    writer = _Writer(out)
    writer.sweep()
    state = read_json(out / STATE_NAME)
    site = _Site(config, out, writer, state, base_url)
    try:
        (out / SITE_DIR).mkdir(exist_ok=True)
        pages = site.run(list(results))
    except (LeafletError, OSError) as exc:  # e.g. site/ is a file, or the disk is full
        pages = [PageResult(f"{SITE_DIR}/index.html", "root", status="failed",
                            error=_message(exc, f"cannot write the web version in {out}"))]
    except Exception as exc:  # noqa: BLE001 - the PDFs are built: report, never a traceback
        pages = [PageResult(f"{SITE_DIR}/index.html", "root", status="failed",
                            error=f"web version: internal error: {type(exc).__name__}: {exc}")]
    return SiteSummary(pages, out / SITE_DIR, base_url, time.perf_counter() - start)


class _Writer:
    """Atomic writes that leave a file alone when its bytes are unchanged."""

    def __init__(self, out: Path):
        self.out = out
        self.kept: set[str] = set()  # every site file (relative to out) of this run

    def put(self, rel: str, data: bytes) -> str:
        """``built`` (written) or ``cached`` (already those bytes)."""
        self.kept.add(rel)
        path = self.out / rel
        try:
            if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
                return "cached"
        except OSError:
            pass
        atomic_write(path, data)
        return "built"

    def sweep(self) -> None:
        """Temporaries of an interrupted run (only names ``atomic_write`` makes)."""
        site = self.out / SITE_DIR
        if site.is_dir() and not site.is_symlink():
            for tmp in site.rglob(f"*{TMP_MARK}*"):
                try:
                    tmp.unlink()
                except OSError:
                    pass


@dataclass
class _Page:
    slug: str
    lang: str
    source: Path
    pdfs: dict[str, dict]
    old: dict | None
    in_run: bool  # this (slug, lang) was in the build's matrix
    built_now: bool  # at least one of its PDFs was built or found up to date now
    leaflet: Leaflet | None = None
    entry: dict | None = None  # the state entry after this run

    @property
    def rel(self) -> str:
        return f"{SITE_DIR}/{page_path(self.slug, self.lang)}"


class _Site:
    def __init__(self, config: Config, out: Path, writer: _Writer, state: dict, base_url: str):
        self.config = config
        self.root = config.root
        self.out = out
        self.writer = writer
        self.state = state
        self.base_url = base_url
        self.env = None
        self.media_state: dict = {k: v for k, v in _dict(state.get("media")).items()
                                  if _media_entry(v)}
        self.font_state: dict = _dict(state.get("fonts"))
        self.new_media: dict = {}
        self.new_fonts: dict = {}
        self._logo: str | None = None

    # -------------------------------------------------------------- plan

    def plan(self, results: list) -> dict[tuple[str, str], _Page]:
        found = discover(self.root)
        old_pages = _dict(self.state.get("pages"))
        pages: dict[tuple[str, str], _Page] = {}
        wanted = set(self.config.languages)
        for key, entry in sorted(old_pages.items()):
            if not isinstance(entry, dict) or "/" not in key:
                continue
            slug, lang = key.split("/", 1)
            source = found.get(slug, {}).get(lang)
            if source is None or (wanted and lang not in wanted):
                continue  # the content file is gone: so is its page
            # Only the build's own output names: the state is a file, not a trusted one;
            # and only layouts still built by default (one dropped from build.layouts would
            # leave a PDF of older content linked beside the new text).
            pdfs = {layout: info for layout, info in _dict(entry.get("pdfs")).items()
                    if _pdf_info(info) and info["path"] == f"{slug}/{slug}.{lang}.{layout}.pdf"
                    and layout in self.config.layouts}
            pages[(slug, lang)] = _Page(slug, lang, source, pdfs, entry, False, False)
        for r in sorted(results, key=lambda r: r.job.name):
            job = r.job
            if job.slug not in found or job.lang not in found[job.slug]:
                continue
            page = pages.get((job.slug, job.lang))
            if page is None:
                page = pages[(job.slug, job.lang)] = _Page(
                    job.slug, job.lang, found[job.slug][job.lang], {}, None, True, False)
            page.in_run = True
            if r.status in ("built", "cached") and r.sha256:
                page.built_now = True
                page.pdfs[job.layout] = {"path": job.output.as_posix(), "sha256": r.sha256,
                                         "pages": r.pages, "bytes": r.bytes}
            else:  # failed or refused now: never link a PDF of older content
                page.pdfs.pop(job.layout, None)
        # In this run's matrix but nothing built: the previous page (if any) stays as it is.
        return {k: p for k, p in pages.items() if p.built_now or p.old is not None}

    # -------------------------------------------------------------- run

    def run(self, results: list) -> list[PageResult]:
        outcome: list[PageResult] = []
        try:
            pages = self.plan(results)
            shared = hashlib.sha256(
                f"{FORMAT};{shared_key(self.config, RenderOptions(), site=True)};"
                f"{self.base_url};"
                f"{_versions()}".encode()).hexdigest()
        except (LeafletError, OSError) as exc:
            return [PageResult(f"{SITE_DIR}/index.html", "root", status="failed",
                               error=_message(exc))]
        langs_of: dict[str, list[str]] = {}
        for slug, lang in sorted(pages):
            langs_of.setdefault(slug, []).append(lang)

        # Which pages change: anything of their leaflet folder, the tool, templates,
        # styles, catalogs, config, fonts, their PDFs or the languages beside them.
        todo: list[tuple[_Page, str]] = []
        for key in sorted(pages):
            page = pages[key]
            try:
                page_key = self.page_key(shared, page, langs_of[page.slug])
            except OSError as exc:
                outcome.append(self.failed(page, _message(exc)))
                continue
            old = page.old or {}
            if (old.get("key") == page_key and _same_file(self.out / page.rel, old.get("sha256"))
                    and self.media_present(old)):
                page.entry = old
                outcome.append(PageResult(page.rel, "leaflet", page.slug, page.lang, "cached",
                                          old.get("sha256", ""), int(old.get("bytes", 0)),
                                          list(old.get("warnings", []))))
            elif page.in_run and not page.built_now:
                page.entry = old  # its PDFs failed now; their errors say why
            else:
                todo.append((page, page_key))

        for page, page_key in todo:
            try:
                page.leaflet = load_leaflet(page.source)
            except LeafletError as exc:
                outcome.append(self.failed(page, exc.format_message()))
                page.entry = page.old
        # Pages that could be loaded, or that stay from before, are the site's pages.
        live = {k: p for k, p in pages.items() if p.entry is not None or p.leaflet is not None}
        langs_of = {}
        for slug, lang in sorted(live):
            langs_of.setdefault(slug, []).append(lang)
        # A link to another leaflet's text leads to its page, if it has one.
        sources = {p.source.resolve(): p for p in live.values()}
        for page, page_key in todo:
            if page.leaflet is None:
                continue
            try:
                outcome.append(self.render_page(page, page_key, langs_of[page.slug], live,
                                                sources))
            except LeafletError as exc:
                outcome.append(self.failed(page, exc.format_message()))
                page.entry = page.old
            except OSError as exc:
                outcome.append(self.failed(page, _message(exc, f"cannot write {page.rel}")))
                page.entry = page.old
            except Exception as exc:  # noqa: BLE001 - one broken page must not stop the rest
                outcome.append(self.failed(page, f"{display_path(page.source)}: internal "
                                                 f"error: {type(exc).__name__}: {exc}"))
                page.entry = page.old
        live = {k: p for k, p in live.items() if p.entry is not None}
        for page in live.values():
            self.writer.kept.add(page.rel)
            self.keep_files(page.entry)

        outcome += self.shared_pages(live)
        try:
            self.collect_garbage(live)
        except OSError as exc:
            # The pages are written; without the state the next run compares bytes again.
            outcome.append(PageResult(STATE_NAME, "state", status="failed",
                                      error=_message(exc, f"cannot write {STATE_NAME}")))
        return outcome

    def failed(self, page: _Page, error: str) -> PageResult:
        return PageResult(page.rel, "leaflet", page.slug, page.lang, "failed", error=error)

    def page_key(self, shared: str, page: _Page, langs: list[str]) -> str:
        h = hashlib.sha256(shared.encode())
        h.update(f"{page.slug};{page.lang};{','.join(langs)};".encode())
        h.update(json.dumps(page.pdfs, sort_keys=True).encode())
        # Every file of the leaflet's folder: its text in this and the other languages (the
        # stale-translation rule compares versions), and the images beside it.
        hash_tree(h, page.source.parent, inside=self.root.resolve())
        return h.hexdigest()

    def media_present(self, entry: dict) -> bool:
        """Are the files a page uses (its PDFs, images, linked files) all still there?"""
        files = list(entry.get("files", []))
        for digest in entry.get("media", []):
            known = self.media_state.get(digest)
            if not isinstance(known, dict):
                return False
            if known.get("file"):
                files.append(known["file"])
        return all((self.out / rel).is_file() for rel in files)

    def keep_files(self, entry: dict) -> None:
        for rel in entry.get("files", []):
            self.writer.kept.add(rel)
        for digest in entry.get("media", []):
            known = self.media_state.get(digest)
            if isinstance(known, dict):
                self.new_media[digest] = known
                if known.get("file"):
                    self.writer.kept.add(known["file"])

    # -------------------------------------------------------------- one leaflet page

    def environment(self):
        if self.env is None:
            # One per project and process, so a long-lived process compiles each template
            # once. Jinja reloads a template whose file changed, but would not notice a
            # project override appearing beside a built-in one: the key lists them.
            folder = self.root / "templates"
            overrides = tuple(sorted((p.relative_to(folder).as_posix(), p.stat().st_mtime_ns)
                                     for p in folder.rglob("*") if p.is_file())
                              ) if folder.is_dir() else ()
            key = (self.root, overrides)
            if key not in _ENVIRONMENTS:
                from .render import make_environment

                if len(_ENVIRONMENTS) > 16:
                    _ENVIRONMENTS.clear()
                _ENVIRONMENTS[key] = make_environment(self.root)
            self.env = _ENVIRONMENTS[key]
        return self.env

    def render_page(self, page: _Page, page_key: str, langs: list[str],
                    live: dict[tuple[str, str], _Page],
                    sources: dict[Path, _Page]) -> PageResult:
        leaflet = page.leaflet
        assert leaflet is not None
        lang = page.lang
        up = "../../"
        warnings: list[str] = []
        media: set[str] = set()
        files: list[str] = []

        body = self.web_body(leaflet, up, warnings, media, live, sources)
        pdfs = []
        for layout, info in sorted(page.pdfs.items(), key=lambda kv: _layout_order(kv[0])):
            name = Path(info["path"]).name
            rel = f"{SITE_DIR}/{page.slug}/{lang}/{name}"
            self.copy_pdf(info, rel)
            files.append(rel)
            pdfs.append({"layout": layout, "href": name, "pages": int(info["pages"]),
                         "size": _file_size(int(info["bytes"]), lang)})
        alternates = []
        for other in langs:
            alternates.append({
                "lang": other, "dir": i18n.direction(other), "name": native_name(other),
                "href": "index.html" if other == lang else f"../{other}/index.html",
                "url": self.url(f"{page.slug}/{other}/"), "current": other == lang})
        source_lang = next((other for other in langs if not _is_translation(live, page.slug,
                                                                             other)), "")
        context = self.base_context(lang, up, "leaflet", leaflet.translation_of)
        context.update(
            leaflet=leaflet, body=body, pdfs=pdfs, alternates=alternates,
            draft=leaflet.is_draft, canonical=self.url(f"{page.slug}/{lang}/"),
            x_default=self.url(f"{page.slug}/{source_lang}/") if source_lang else "",
            home=f"{up}{lang}/index.html")
        html = self.render("site/leaflet.html", context, lang)
        data = html.encode("utf-8")
        status = self.writer.put(page.rel, data)
        sha = hashlib.sha256(data).hexdigest()
        page.entry = {
            "key": page_key, "sha256": sha, "bytes": len(data), "title": leaflet.title,
            "summary": leaflet.summary, "draft": leaflet.is_draft,
            "translation_of": leaflet.translation_of, "reviewed": leaflet.reviewed.isoformat(),
            "pdfs": page.pdfs, "files": files, "media": sorted(media),
            "chars": chars_by_lang(html, lang), "warnings": warnings,
        }
        return PageResult(page.rel, "leaflet", page.slug, lang, status, sha, len(data), warnings)

    def base_context(self, lang: str, up: str, kind: str, original_lang: str = "") -> dict:
        return {
            "clinic": self.config.clinic, "kind": kind, "up": up,
            "static": f"{up}{STATIC}/", "root_href": f"{up}index.html",
            "logo": self.logo(up), "version": __version__, "csp": CSP,
            # As the PDFs' templates get them.
            **language_helpers(lang, original_lang, self.config.region),
            "language_name": native_name,
        }

    def render(self, template_name: str, context: dict, lang: str) -> str:
        return render_template(self.environment(), template_name, context,
                               i18n.load_catalog(lang, self.root))

    def url(self, path: str) -> str:
        """An absolute URL under ``[site] base_url``, or '' when none is set."""
        return self.base_url + path if self.base_url else ""

    # -------------------------------------------------------------- body HTML

    def web_body(self, leaflet: Leaflet, up: str, warnings: list[str], media: set[str],
                 live: dict, sources: dict) -> str:
        """``Leaflet.body_html`` for the web: images and linked files copied into the site
        (confined to the project like the PDF's), nothing that could load from elsewhere."""
        where = display_path(leaflet.path)
        base = leaflet.path.resolve().as_uri()

        def note(message: str) -> None:
            warnings.append(f"{where}: {message} (web version)")

        def image(src: str) -> tuple[str, tuple[int, int] | None] | None:
            url = urljoin(base, src.strip())
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                if len(url) > MAX_RESOURCE_BYTES:
                    note("an inline (data:) image is too large: left out")
                    return None
                return url, None
            if scheme != "file":
                note(f"image {shorten(src)} is not on the site and the web version makes no "
                     "external requests: its alt text is shown instead")
                return None
            path = self.confined(url, note, "image")
            if path is None:
                return None
            return self.image_file(path, up, note, media)

        def link(href: str) -> str | None:
            stripped = href.strip()
            if stripped.startswith("#"):
                return stripped
            url = urljoin(base, stripped)
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme in ("http", "https", "mailto", "tel"):
                return stripped  # the reader's own navigation, not a request of the page
            if scheme != "file":
                note(f"link {shorten(href)} removed: not a web, mailto: or tel: address")
                return None
            path = self.confined(url, note, "linked file")
            if path is None:
                return None
            fragment = f"#{parts.fragment}" if parts.fragment else ""
            target = sources.get(path)
            if target is not None:  # another leaflet's text: link to its page
                return f"{up}{page_path(target.slug, target.lang)}{fragment}"
            if path.suffix.lower() not in LINKABLE:
                note(f"linked file {shorten(href)} is not copied to the web version: a "
                     "browser could run it as a page of the site (link a PDF, image or "
                     "document instead)")
                return None
            rel = self.copy_file(path, media)
            return f"{up}{rel.removeprefix(SITE_DIR + '/')}{fragment}"

        return rewrite_body(leaflet.body_html, image, link)

    def confined(self, url: str, note, what: str) -> Path | None:
        """The project file a URL names, or None (with a warning) when it is refused: the
        same rule as the PDFs' fetcher, and no hidden files or the settings themselves."""
        path = local_path(url)
        root = self.root.resolve()
        shown = shorten(url.removeprefix(root.as_uri() + "/"))
        if path is None or not path.is_relative_to(root):
            note(f"refused to copy {what} {shown}: outside the project")
            return None
        inside = path.relative_to(root)
        if any(part.startswith(".") for part in inside.parts) or (
                self.config.path is not None and path == self.config.path.resolve()):
            note(f"refused to copy {what} {shown}: a hidden or settings file")
            return None
        if not path.is_file():
            note(f"{what} not found: {shown}")
            return None
        return path

    def image_file(self, path: Path, up: str, note, media: set[str]):
        try:
            data = path.read_bytes() if path.stat().st_size <= MAX_RESOURCE_BYTES else None
        except OSError as exc:
            note(f"image {path.name} cannot be read: {exc.strerror or exc}")
            return None
        if data is None:
            note(f"image {path.name} is larger than {MAX_RESOURCE_BYTES / 1e6:g} MB")
            return None
        digest = hashlib.sha256(data).hexdigest()
        name = f"{SITE_DIR}/{STATIC}/img/{_safe_stem(path.stem)}-{digest[:12]}"
        known = self.media_state.get(digest)
        if isinstance(known, dict) and known.get("kind") == "image":
            # Reused only under the name this image gets now (a renamed file gets its new
            # name, as a clean build would give it: the site never depends on its history).
            if known.get("data_url") or (str(known.get("file", "")).startswith(name + ".")
                                         and (self.out / known["file"]).is_file()):
                return self.use_media(digest, known, up, media)
        if _is_svg(path, data):
            if len(data) > MAX_INLINE_SVG:
                note(f"SVG image {path.name} is larger than {MAX_INLINE_SVG // 1000} KB: save "
                     "it as PNG for the web version")
                return None
            entry = {"kind": "image", "data_url": "data:image/svg+xml;base64,"
                                                  + base64.b64encode(data).decode("ascii")}
            return self.use_media(digest, entry, up, media)
        pixels = image_pixels(data)
        if pixels is None:
            note(f"{path.name} is not an image a browser can show: left out")
            return None
        if pixels[0] * pixels[1] > MAX_IMAGE_PIXELS:
            note(f"image {path.name} is {pixels[0]}×{pixels[1]} pixels, more than "
                 f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels: left out")
            return None
        try:
            web, suffix, size = screen_image(data)
        except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds on bad files
            note(f"image {path.name} cannot be read: {exc}")
            return None
        rel = name + suffix
        self.writer.put(rel, web)
        entry = {"kind": "image", "file": rel, "width": size[0], "height": size[1]}
        return self.use_media(digest, entry, up, media)

    def use_media(self, digest: str, entry: dict, up: str, media: set[str]):
        self.media_state[digest] = entry
        self.new_media[digest] = entry
        media.add(digest)
        if entry.get("data_url"):
            return entry["data_url"], None
        self.writer.kept.add(entry["file"])
        size = (entry["width"], entry["height"]) if entry.get("width") else None
        return up + entry["file"].removeprefix(SITE_DIR + "/"), size

    def copy_file(self, path: Path, media: set[str]) -> str:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        rel = (f"{SITE_DIR}/{STATIC}/files/{_safe_stem(path.stem)}-{digest[:12]}"
               f"{path.suffix.lower()}")
        self.writer.put(rel, data)
        self.media_state[digest + ":file"] = self.new_media[digest + ":file"] = {
            "kind": "file", "file": rel}
        media.add(digest + ":file")
        return rel

    def copy_pdf(self, info: dict, rel: str) -> None:
        """The site carries its own copy of each PDF (a hard link where the disk allows)."""
        source = self.out / info["path"]
        target = self.out / rel
        self.writer.kept.add(rel)
        if not source.is_file():
            raise LeafletError(f"{info['path']} is missing from the output folder: build it "
                               "again (--force)", self.out)
        try:
            if target.is_file() and (os.path.samefile(source, target) or (
                    target.stat().st_size == info["bytes"]
                    and sha256_file(target) == info["sha256"])):
                return
        except OSError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + TMP_MARK + "link")
        try:
            os.link(source, tmp)
        except OSError:
            atomic_write(target, source.read_bytes())
            return
        os.replace(tmp, target)

    def logo(self, up: str) -> str:
        """The clinic's logo for a page ``up`` folders below the site's top ('' if none)."""
        logo = self.config.clinic.logo
        if logo is None:
            return ""
        if self._logo is None:
            found = self.image_file(logo, "", lambda message: None, set())
            self._logo = found[0] if found else ""
        if not self._logo or self._logo.startswith("data:"):
            return self._logo
        return up + self._logo

    # -------------------------------------------------------------- indexes, fonts, css

    def shared_pages(self, live: dict[tuple[str, str], _Page]) -> list[PageResult]:
        """The language indexes, the root index, the sitemap, the stylesheet and fonts."""
        results: list[PageResult] = []
        entries = {key: page.entry for key, page in live.items()}
        langs = sorted({lang for _, lang in entries})
        root_lang = _root_language(entries)
        chars: dict[str, set[str]] = {}
        for entry in entries.values():
            for lang, text in _dict(entry.get("chars")).items():
                chars.setdefault(lang, set()).update(str(text))

        def attempt(rel: str, kind: str, lang: str, make) -> None:
            try:
                data, found = make()
                status = self.writer.put(rel, data)
                results.append(PageResult(rel, kind, "", lang, status,
                                          hashlib.sha256(data).hexdigest(), len(data)))
                for char_lang, text in (found or {}).items():
                    chars.setdefault(char_lang, set()).update(text)
            except LeafletError as exc:
                self.writer.kept.add(rel)  # the previous one stays
                results.append(PageResult(rel, kind, "", lang, "failed",
                                          error=exc.format_message()))
            except OSError as exc:
                self.writer.kept.add(rel)
                results.append(PageResult(rel, kind, "", lang, "failed",
                                          error=_message(exc, f"cannot write {rel}")))

        for lang in langs:
            attempt(f"{SITE_DIR}/{lang}/index.html", "index", lang,
                    lambda lang=lang: self.language_index(lang, entries, langs))
        attempt(f"{SITE_DIR}/index.html", "root", "",
                lambda: self.root_index(root_lang, langs, entries))
        if self.base_url:
            attempt(f"{SITE_DIR}/sitemap.xml", "sitemap", "",
                    lambda: (sitemap(self.base_url, entries, langs), {}))
        try:
            css = self.stylesheet(chars, langs, root_lang)
            self.writer.put(f"{SITE_DIR}/{STATIC}/site.css", css.encode("utf-8"))
        except LeafletError as exc:
            self.writer.kept.add(f"{SITE_DIR}/{STATIC}/site.css")
            results.append(PageResult(f"{SITE_DIR}/{STATIC}/site.css", "style",
                                      status="failed", error=exc.format_message()))
        except OSError as exc:
            self.writer.kept.add(f"{SITE_DIR}/{STATIC}/site.css")
            results.append(PageResult(f"{SITE_DIR}/{STATIC}/site.css", "style", status="failed",
                                      error=_message(exc, "cannot write site.css")))
        return results

    def language_index(self, lang: str, entries: dict, langs: list[str]):
        up = "../"
        items = []
        for (slug, page_lang), entry in entries.items():
            if page_lang != lang:
                continue
            items.append({"slug": slug, "title": entry.get("title", slug),
                          "summary": entry.get("summary", ""), "draft": bool(entry.get("draft")),
                          "href": f"{up}{page_path(slug, lang)}"})
        items.sort(key=lambda item: (str(item["title"]).casefold(), item["slug"]))
        context = self.base_context(lang, up, "index")
        context.update(items=items, home="index.html", canonical=self.url(f"{lang}/"),
                       alternates=[{"lang": other, "name": native_name(other),
                                    "dir": i18n.direction(other), "current": other == lang,
                                    "href": "index.html" if other == lang
                                    else f"../{other}/index.html",
                                    "url": self.url(f"{other}/")} for other in langs])
        html = self.render("site/index.html", context, lang)
        return html.encode("utf-8"), chars_by_lang(html, lang)

    def root_index(self, root_lang: str, langs: list[str], entries: dict):
        ordered = sorted(langs, key=lambda lang: (lang != root_lang, lang))
        choices = []
        for lang in ordered:
            catalog = i18n.load_catalog(lang, self.root)
            count = sum(1 for _, page_lang in entries if page_lang == lang)
            choices.append({"lang": lang, "dir": i18n.direction(lang), "name": native_name(lang),
                            "href": f"{lang}/index.html", "url": self.url(f"{lang}/"),
                            # Each choice invites the reader in their own language.
                            "hint": catalog.gettext(INDEX_TITLE),
                            "count": count})
        context = self.base_context(root_lang, "", "root")
        context.update(choices=choices, home="", canonical=self.url(""))
        html = self.render("site/root.html", context, root_lang)
        return html.encode("utf-8"), chars_by_lang(html, root_lang)

    def stylesheet(self, chars: dict[str, set[str]], langs: list[str], root_lang: str) -> str:
        path = style_path(self.root, "site.css")
        try:
            own = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LeafletError(f"stylesheet cannot be read: {exc}", path) from None
        faces, stacks = self.web_fonts(chars, sorted(set(langs) | set(chars) | {root_lang}))
        colour = self.config.clinic.brand_colour
        lines = ["/* Generated by leaflet: the clinic's fonts (subsets of the same font files",
                 "   the PDFs embed) and brand colour. The rest is styles/site.css. */"]
        lines += faces
        lines.append(f":root {{ --brand: {colour}; --brand-text: {readable_colour(colour)}; }}")
        default = stacks.get(root_lang) or next(iter(stacks.values()), "sans-serif")
        lines.append(f"html {{ font-family: {default}; }}")
        for lang in sorted(stacks):
            if LANG_RE.match(lang):  # a language tag, never CSS (the content sanitizes it too)
                lines.append(f":lang({lang}) {{ font-family: {stacks[lang]}; }}")
        return "\n".join(lines) + "\n\n" + own

    def web_fonts(self, chars: dict[str, set[str]], langs: list[str]):
        """``@font-face`` rules for WOFF2 subsets, and the font stack of each language.

        Each character goes to the first family of its language's stack that has it, as
        fontconfig does for the PDF, so the page shows the same fonts. A family's faces
        are then cut down to whole slices of 128 code points around those characters
        (all of Basic Latin, all of Devanagari …): editing a leaflet seldom changes a font
        file, and a process that builds several sites subsets each font once.
        """
        families: dict[str, list[fonts.FontFace]] = {}
        given: dict[str, set[int]] = {}
        order: dict[str, list[str]] = {}
        for lang in langs:
            names = []
            for face in fonts.font_stack(lang, self.config.fonts):
                if face not in families.setdefault(face.family, []):
                    families[face.family].append(face)
                if face.family not in names:
                    names.append(face.family)
            order[lang] = names
            for char in sorted(chars.get(lang, set()) | BASE_CHARS):
                if char.isspace():
                    continue
                for name in names:
                    if ord(char) in _family_cmap(tuple(f.path for f in families[name])):
                        given.setdefault(name, set()).add(ord(char) >> 7)
                        break
        rules = []
        for name in sorted(given):
            covered = _family_cmap(tuple(f.path for f in families[name]))
            text = "".join(chr(c) for c in sorted(covered) if c >> 7 in given[name])
            for face in families[name]:
                rel, ranges = self.font_file(face, text)
                weight = "400 700" if fonts.is_variable(face.path) else face.weight
                rules.append(
                    "@font-face { font-family: %s; src: url(\"%s\") format(\"woff2\"); "
                    "font-weight: %s; font-style: %s; font-display: swap; unicode-range: %s; }"
                    % (json.dumps(name), rel.removeprefix(f"{SITE_DIR}/{STATIC}/"), weight,
                       face.style, ranges))
        stacks = {}
        for lang, names in order.items():
            used = [json.dumps(n) for n in names if n in given]
            stacks[lang] = ", ".join(used + ["sans-serif"])
        return rules, stacks

    def font_file(self, face: fonts.FontFace, text: str) -> tuple[str, str]:
        stat = face.path.stat()
        key = hashlib.sha256(f"{face.path.name};{stat.st_size};{text};{FORMAT};"
                             f"{_versions()}".encode()).hexdigest()
        known = self.font_state.get(key)
        if isinstance(known, dict) and _same_file(self.out / known.get("file", ""),
                                                  known.get("sha256")):
            self.new_fonts[key] = known
            self.writer.kept.add(known["file"])
            return known["file"], known["ranges"]
        data = subset_font(face.path, stat.st_size, stat.st_mtime_ns, text)
        digest = hashlib.sha256(data).hexdigest()
        style = "italic" if face.style == "italic" else "normal"
        weight = "var" if fonts.is_variable(face.path) else face.weight
        rel = (f"{SITE_DIR}/{STATIC}/fonts/{_safe_stem(face.family)}-{weight}-{style}-"
               f"{digest[:10]}.woff2")
        self.writer.put(rel, data)
        entry = {"file": rel, "sha256": digest, "ranges": unicode_ranges(text)}
        self.font_state[key] = self.new_fonts[key] = entry
        return rel, entry["ranges"]

    # -------------------------------------------------------------- state and old files

    def collect_garbage(self, live: dict[tuple[str, str], _Page]) -> None:
        """Remove the site files of earlier runs that no page uses now, then save the state.

        Only files this tool wrote (listed in the previous state) are ever removed.
        """
        state = {
            "format": FORMAT,
            "pages": {f"{slug}/{lang}": page.entry for (slug, lang), page in sorted(live.items())},
            "media": dict(sorted(self.new_media.items())),
            "fonts": dict(sorted(self.new_fonts.items())),
            "files": sorted(self.writer.kept),
        }
        site = self.out / SITE_DIR
        for rel in self.state.get("files", []) if isinstance(self.state.get("files"), list) \
                else []:
            if not isinstance(rel, str) or rel in self.writer.kept:
                continue
            path = (self.out / rel)
            if not path.resolve().is_relative_to(site.resolve()) or not path.is_file():
                continue
            try:
                path.unlink()
            except OSError:
                continue
            folder = path.parent
            while folder != site and folder.is_relative_to(site):
                try:
                    folder.rmdir()  # only when empty
                except OSError:
                    break
                folder = folder.parent
        atomic_write(self.out / STATE_NAME,
                     json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False).encode())


# ------------------------------------------------------------------ body rewriting

# Attributes through which a page loads something (or leaves the site without the
# reader's doing). Images and links are rewritten; the rest is dropped. The CSP stops
# whatever this misses; content.py's sanitizer removes the rest of what is unsafe.
_LOADING = {"src", "srcset", "sizes", "poster", "data", "background", "action", "formaction",
            "ping", "manifest", "xlink:href", "style"}
_DROPPED_TAGS = {"meta", "base", "link"}


def rewrite_body(body_html: str, image, link) -> str:
    """``body_html`` with image sources and link targets passed through ``image`` and
    ``link`` and other loading attributes dropped; every other byte is kept as it is.

    Tables get ``scope="col"`` on their header cells and, when they have no caption, a
    caption (visible to screen readers) from the heading that introduces them.
    """
    starts = [0]
    for line in body_html.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    edits: list[tuple[int, int, str]] = []

    class Rewriter(HTMLParser):
        heading: list[str] | None = None
        last_heading = ""
        table_at: tuple[int, int, str] | None = None
        in_thead = False

        def here(self) -> int:
            line, col = self.getpos()
            return starts[line - 1] + col

        def handle_starttag(self, tag, attrs):
            self.tag(tag, attrs, closed=False)

        def handle_startendtag(self, tag, attrs):
            self.tag(tag, attrs, closed=True)

        def tag(self, tag, attrs, closed):
            raw = self.get_starttag_text() or ""
            at = self.here()
            if self.table_at is not None:
                table_at, table_len, table_text = self.table_at
                self.table_at = None
                if tag != "caption" and self.last_heading:
                    caption = (f'<caption class="visually-hidden">{escape(self.last_heading)}'
                               "</caption>")
                    edits.append((table_at, table_len, table_text + caption))
            if tag in _DROPPED_TAGS:
                edits.append((at, len(raw), ""))
                return
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.heading = []
            elif tag == "thead":
                self.in_thead = True
            elif tag in ("tbody", "tfoot"):
                self.in_thead = False
            changed = False
            kept: list[tuple[str, str | None]] = []
            extra: list[tuple[str, str]] = []
            for name, value in attrs:
                name = name.lower()
                if name.startswith("on") or (name in _LOADING and not (
                        tag == "img" and name == "src")):
                    changed = True
                    continue
                if name in ("href", "src") and value is not None:
                    if tag == "img" and name == "src":
                        found = image(value)
                        if found is None:
                            edits.append((at, len(raw), self.alt_text(attrs)))
                            return
                        new, size = found
                        if size is not None and not any(n in ("width", "height")
                                                        for n, _ in attrs):
                            # Reserves the space while it loads: no text jumps about.
                            extra += [("width", str(size[0])), ("height", str(size[1]))]
                    elif tag in ("a", "area"):
                        new = link(value)
                        if new is None:
                            changed = True
                            continue
                    else:
                        changed = True
                        continue
                    changed = changed or new != value
                    value = new
                kept.append((name, value))
            kept += extra
            changed = changed or bool(extra)
            if tag == "th" and self.in_thead and not any(n == "scope" for n, _ in kept):
                kept.append(("scope", "col"))
                changed = True
            text = raw
            if changed:
                parts = [tag] + [n if v is None else f'{n}="{escape(v, quote=True)}"'
                                 for n, v in kept]
                text = "<" + " ".join(parts) + (" />" if closed else ">")
                edits.append((at, len(raw), text))
            if tag == "table":
                # Known only at the next tag: whether the table brings its own caption.
                if edits and edits[-1][0] == at:
                    edits.pop()
                self.table_at = (at, len(raw), text)

        def alt_text(self, attrs) -> str:
            alt = next((v for n, v in attrs if n.lower() == "alt" and v), "")
            return f'<span class="missing-image">{escape(alt)}</span>' if alt else ""

        def handle_endtag(self, tag):
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self.heading is not None:
                self.last_heading = " ".join("".join(self.heading).split())
                self.heading = None
            elif tag == "thead":
                self.in_thead = False

        def handle_data(self, data):
            if self.heading is not None:
                self.heading.append(data)

    parser = Rewriter(convert_charrefs=True)
    parser.feed(body_html)
    parser.close()
    if parser.table_at is not None:  # a table as the very last tag: nothing follows it
        edits.append(parser.table_at[:2] + (parser.table_at[2],))
    result = []
    position = 0
    for at, length, text in sorted(edits):
        if at < position:
            continue
        result.append(body_html[position:at])
        result.append(text)
        position = at + length
    result.append(body_html[position:])
    return "".join(result)


# ------------------------------------------------------------------ images

def screen_image(data: bytes) -> tuple[bytes, str, tuple[int, int]]:
    """A raster image for screens: turned upright, no wider than ``MAX_IMAGE_WIDTH``, and
    without its metadata (a phone photo's EXIF can hold where it was taken). Animations
    are kept as they are."""
    from PIL import Image, ImageOps  # lazy: Pillow is only needed for a page with images

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the pixel count was checked before
        image = Image.open(io.BytesIO(data))
        image.load()
    fmt = image.format or "PNG"
    if fmt == "MPO":  # a camera's multi-picture JPEG: the first picture is the photo; the
        fmt = "JPEG"  # others (HDR, depth) and their metadata are not for the web
        image.seek(0)
    if getattr(image, "n_frames", 1) > 1 and fmt != "JPEG":
        return data, {"GIF": ".gif", "WEBP": ".webp", "PNG": ".png"}.get(fmt, ".gif"), image.size
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if image.width > MAX_IMAGE_WIDTH:
        height = max(1, round(image.height * MAX_IMAGE_WIDTH / image.width))
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image = image.resize((MAX_IMAGE_WIDTH, height), Image.LANCZOS)
    buffer = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=85, optimize=True, **extra)
        suffix = ".jpg"
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=85, method=4, **extra)
        suffix = ".webp"
    else:  # PNG, and formats browsers show badly (BMP, TIFF) become PNG
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(buffer, "PNG", **extra)
        suffix = ".png"
    return buffer.getvalue(), suffix, image.size


def _is_svg(path: Path, data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return path.suffix.lower() == ".svg" or head.startswith(b"<svg") or (
        head.startswith(b"<?xml") and b"<svg" in data[:4096].lower())


# ------------------------------------------------------------------ fonts

_SUBSETS: dict[tuple, bytes] = {}


def subset_font(path: Path, size: int, mtime_ns: int, text: str) -> bytes:
    """A WOFF2 of ``path`` with the glyphs for ``text`` (and what shaping them needs).

    A variable font keeps its weight axis between 400 and 700 (what the pages use) and
    is pinned at its default on every other axis. Remembered per process: a test run or
    a long-lived worker subsets each (font, text) once.
    """
    key = (str(path), size, mtime_ns, text)
    if key in _SUBSETS:
        return _SUBSETS[key]
    # Kept between processes and builds too (the derived-files cache, as for the PDFs'
    # font instances): a new output folder, a CI runner with a cache, or the workers of a
    # test run subset each (font, text) once. Named by what makes the bytes.
    stored = fonts.cache_dir() / "webfonts" / (hashlib.sha256(
        f"{_file_digest(path, size, mtime_ns)};{text};{_versions()}".encode()
    ).hexdigest()[:32] + ".woff2")
    try:
        data = stored.read_bytes()
    except OSError:
        data = None
    if data:
        _SUBSETS[key] = data
        return data
    # Lazy, here and below: fontTools' subsetter costs ~150 ms to import; a site that is
    # up to date needs none of it.
    from fontTools import subset
    from fontTools.ttLib import TTFont, TTLibError

    try:
        # Lazy: only the lookups the text needs are read (3× faster on Noto Sans).
        font = TTFont(path, recalcTimestamp=False, lazy=True)
        options = subset.Options()
        options.layout_features = ["*"]  # every shaping feature: Arabic joining, conjuncts
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.flavor = "woff2"
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in text])
        subsetter.subset(font)
        # Subset first, then instance: ~3× faster than the other way on the Noto fonts.
        if "fvar" in font:
            from fontTools.varLib import instancer  # lazy: see subset_font

            limits: dict = {}
            for axis in font["fvar"].axes:
                if axis.axisTag == "wght":
                    limits["wght"] = (max(axis.minValue, 400), min(axis.maxValue, 700))
                else:
                    limits[axis.axisTag] = axis.defaultValue
            # optimize=False: skips re-packing the deltas, ~30 % faster for ~0.1 % more bytes.
            font = instancer.instantiateVariableFont(font, limits, optimize=False)
        font.flavor = "woff2"
        buffer = io.BytesIO()
        font.save(buffer)
    except (TTLibError, OSError, AssertionError, KeyError, ValueError) as exc:
        raise LeafletError(f"font cannot be made into a web font: {exc}", path) from None
    data = buffer.getvalue()
    if len(_SUBSETS) > 64:
        _SUBSETS.clear()
    _SUBSETS[key] = data
    try:
        atomic_write(stored, data)
    except OSError:
        pass  # an unwritable cache: made again next time, nothing lost
    return data


@functools.lru_cache(maxsize=64)
def _file_digest(path: Path, size: int, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_CMAPS: dict[tuple[Path, ...], frozenset[int]] = {}


def _family_cmap(paths: tuple[Path, ...]) -> frozenset[int]:
    if paths not in _CMAPS:
        from fontTools.ttLib import TTFont, TTLibError  # lazy: see subset_font

        covered: set[int] = set()
        for path in paths:
            try:
                with TTFont(path, lazy=True) as font:
                    covered |= set(font.getBestCmap() or {})
            except (TTLibError, OSError) as exc:
                raise LeafletError(f"font file cannot be read: {exc}", path) from None
        _CMAPS[paths] = frozenset(covered)
    return _CMAPS[paths]


def unicode_ranges(text: str) -> str:
    """CSS ``unicode-range`` for the characters of ``text``: the browser fetches a face
    only for a page that has one of them."""
    points = sorted({ord(c) for c in text})
    spans: list[list[int]] = []
    for point in points:
        if spans and point == spans[-1][1] + 1:
            spans[-1][1] = point
        else:
            spans.append([point, point])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in spans)


class _Chars(HTMLParser):
    """The characters of an HTML page's text, by the language each run is in."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self, lang: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = [("", lang)]
        self.found: dict[str, set[str]] = {}
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        lang = next((v for n, v in attrs if n == "lang" and v), self.stack[-1][1])
        self.stack.append((tag, lang))
        if tag in ("style", "script", "head"):
            self.skip += 1

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index][0] == tag:
                for closed, _ in self.stack[index:]:
                    if closed in ("style", "script", "head"):
                        self.skip -= 1
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.skip:
            self.found.setdefault(self.stack[-1][1], set()).update(data)


def chars_by_lang(html: str, lang: str) -> dict[str, str]:
    parser = _Chars(lang)
    parser.feed(html)
    parser.close()
    return {k: "".join(sorted(c for c in v if not c.isspace()))
            for k, v in sorted(parser.found.items())}


# ------------------------------------------------------------------ colour, names, sitemap

def readable_colour(colour: str, background: str = "#ffffff", ratio: float = 4.5) -> str:
    """The brand colour, darkened just enough for text on white (WCAG AA, 4.5:1).

    ``leaflet check`` reports a brand colour that is too light; the site stays readable.
    """
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    factor = 1.0
    current = colour.lower()
    while contrast_ratio(current, background) < ratio and factor > 0:
        factor = round(factor - 0.02, 2)
        current = "#%02x%02x%02x" % tuple(int(c * max(factor, 0)) for c in (red, green, blue))
    return current


def native_name(lang: str) -> str:
    """The language named in itself, capitalised as a menu entry ("Español", "Polski")."""
    name = i18n.language_name(lang)
    return name[:1].upper() + name[1:]


def sitemap(base_url: str, entries: dict, langs: list[str]) -> bytes:
    """sitemap.xml: the root, each language index, each page with its other languages."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
             f"<url><loc>{xml_escape(base_url)}</loc></url>"]
    for lang in langs:
        lines.append(f"<url><loc>{xml_escape(base_url + lang + '/')}</loc></url>")
    by_slug: dict[str, list[str]] = {}
    for slug, lang in sorted(entries):
        by_slug.setdefault(slug, []).append(lang)
    for (slug, lang), entry in sorted(entries.items()):
        lines.append("<url>")
        lines.append(f"  <loc>{xml_escape(f'{base_url}{slug}/{lang}/')}</loc>")
        if entry.get("reviewed"):
            lines.append(f"  <lastmod>{xml_escape(str(entry['reviewed']))}</lastmod>")
        if len(by_slug[slug]) > 1:
            for other in by_slug[slug]:
                href = xml_escape(f"{base_url}{slug}/{other}/", {'"': "&quot;"})
                lines.append(f'  <xhtml:link rel="alternate" hreflang="{other}" href="{href}"/>')
        lines.append("</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


# ------------------------------------------------------------------ helpers

def _root_language(entries: dict) -> str:
    """The language of the site's front page: the one most leaflets are written in."""
    counts: dict[str, int] = {}
    for (_, lang), entry in entries.items():
        if not entry.get("translation_of"):
            counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        counts = {lang: 1 for _, lang in entries} or {i18n.SOURCE_LANG: 1}
    return sorted(counts, key=lambda lang: (-counts[lang], lang))[0]


def _is_translation(live: dict, slug: str, lang: str) -> bool:
    page = live.get((slug, lang))
    if page is None:
        return True
    if page.leaflet is not None:
        return page.leaflet.is_translation
    return bool((page.entry or {}).get("translation_of"))


_LAYOUT_ORDER = ("standard", "large-print", "booklet", "trifold", "poster")


def _layout_order(name: str) -> tuple[int, str]:
    return (_LAYOUT_ORDER.index(name) if name in _LAYOUT_ORDER else len(_LAYOUT_ORDER), name)


def _file_size(size: int, lang: str) -> str:
    """84 kB, 1,2 MB: in the reader's language (Babel), decimal units."""
    from babel.units import format_unit  # lazy: Babel's unit data is large

    locale = i18n.locale_for(lang) or "en"
    if size < 1_000_000:
        return format_unit(max(1, round(size / 1000)), "digital-kilobyte", length="short",
                           locale=locale)
    return format_unit(round(size / 1_000_000, 1), "digital-megabyte", length="short",
                       locale=locale)


def _pdf_info(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(k), t) for k, t in (
        ("path", str), ("sha256", str), ("pages", int), ("bytes", int)))


def _media_entry(value: object) -> bool:
    """A media entry of the state as this module writes it: a file of the site's _static/
    folder, or an inline SVG."""
    if not isinstance(value, dict):
        return False
    file, data = value.get("file"), value.get("data_url")
    if isinstance(file, str):
        return (file.startswith(f"{SITE_DIR}/{STATIC}/") and ".." not in file
                and (value.get("kind") == "file" or (isinstance(value.get("width"), int)
                                                      and isinstance(value.get("height"), int))))
    return isinstance(data, str) and data.startswith("data:image/svg+xml;base64,")


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _safe_stem(name: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return stem[:40] or "file"


def _same_file(path: Path, sha: object) -> bool:
    try:
        return isinstance(sha, str) and path.is_file() and sha256_file(path) == sha
    except OSError:
        return False


_ENVIRONMENTS: dict[tuple, object] = {}


@functools.lru_cache(maxsize=None)
def _versions() -> str:
    found = []
    for dist in ("fonttools", "brotli", "pillow"):
        try:
            found.append(f"{dist}={md.version(dist)}")
        except md.PackageNotFoundError:
            pass
    return ";".join(found)


def _message(exc: Exception, prefix: str = "") -> str:
    if isinstance(exc, LeafletError):
        return exc.format_message()
    detail = getattr(exc, "strerror", None) or str(exc)
    return f"{prefix}: {detail}" if prefix else detail


__all__ = ["PageResult", "SiteSummary", "write_site", "page_path",
           "rewrite_body", "screen_image", "subset_font", "unicode_ranges", "chars_by_lang",
           "readable_colour", "native_name", "sitemap"]
