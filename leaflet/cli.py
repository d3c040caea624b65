"""The command line: parse options, report results; the work happens in the stage modules."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .config import CONFIG_NAME, load_config
from .errors import LeafletError, display_path
from .files import atomic_write
from .options import NEEDS_CMYK, PDF_VARIANTS, TAGGED, RenderOptions

# Each command imports its stage modules when it runs ("lazy"): `leaflet --help` and the
# light commands must not pay for Markdown, Jinja2 or WeasyPrint (0.35 s alone).

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class State:
    def __init__(self, project: Path, verbosity: int, found: str = ""):
        self.project = project
        self.verbosity = verbosity
        self.found = found  # how the project folder was chosen, for -v
        self.announced = False
        self._config = None

    @property
    def config(self):
        if self._config is None:
            self._config = load_config(self.project)
        return self._config

    def say(self, message: str) -> None:
        """Ordinary output: not under -q."""
        if self.verbosity >= 0:
            click.echo(message)

    def announce(self) -> None:
        """With -v: which project this command works on, and why that one."""
        if self.verbosity >= 1 and not self.announced:
            self.announced = True
            click.echo(f"project: {self.project} ({self.found})", err=True)


pass_state = click.make_pass_decorator(State)


def find_project(start: Path) -> tuple[Path, str]:
    """The clinic folder for a command run in ``start``, as git finds ``.git``: the
    nearest folder upwards with a leaflet.toml, else the nearest with a content/ folder,
    else ``start`` itself."""
    start = start.resolve()
    for marker, what in ((CONFIG_NAME, "file"), ("content", "folder")):
        for folder in (start, *start.parents):
            if (folder / marker).is_file() if what == "file" else (folder / marker).is_dir():
                if folder == start:
                    return folder, f"{marker} in the current folder"
                return folder, f"{marker} found in a parent folder"
    return start, "no leaflet.toml or content/ here or above: the current folder"


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="leaflet")
@click.option("--project", "-p", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The clinic's leaflet folder (holds leaflet.toml).  [default: the nearest "
                   "folder upwards from here with a leaflet.toml, as git finds .git]")
@click.option("-v", "--verbose", count=True, help="Say more (repeat for more).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.pass_context
def main(ctx: click.Context, project: Path | None, verbose: int, quiet: bool) -> None:
    """Turn Markdown patient information into print-ready PDF leaflets.

    Content lives in content/<slug>/<lang>.md; clinic details in leaflet.toml.
    """
    if quiet and verbose:
        raise click.UsageError("-q (print only errors) and -v (say more) contradict each other")
    if project is None:
        project, found = find_project(Path.cwd())
    elif not project.is_dir():
        raise click.BadParameter(f"folder not found: {project}", param_hint="--project")
    else:
        found = "--project"
    ctx.obj = State(project.resolve(), -1 if quiet else verbose, found)
    if ctx.invoked_subcommand not in ("init", "merge-manifests"):
        ctx.obj.announce()


def matrix_options(func):
    """SLUG arguments with --lang and --layout: the part of the matrix to work on."""

    @click.argument("slugs", nargs=-1, metavar="[SLUG]...")
    @click.option("--lang", "-l", "langs", multiple=True, metavar="LANG",
                  help="Only this language (BCP 47 tag, e.g. es, pt-BR). Repeatable.")
    @click.option("--layout", "layouts", multiple=True, metavar="NAME",
                  help="Only this layout (see 'leaflet layouts'). Repeatable.")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


class ShardParam(click.ParamType):
    name = "K/N"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            k, n = (int(x) for x in str(value).split("/"))
        except ValueError:
            self.fail(f"{value!r} is not K/N, e.g. 1/4", param, ctx)
        if not 1 <= k <= n:
            self.fail(f"{value!r}: K must be between 1 and N", param, ctx)
        return (k, n)


def render_options(config, no_impose: bool, print_ready: bool, bleed, pdf_variant):
    """Options that change the PDFs; impossible combinations are usage errors."""
    if bleed is not None and not print_ready and not config.print_ready:
        raise click.UsageError("--bleed only applies with --print-ready")
    if pdf_variant in NEEDS_CMYK:
        raise click.UsageError(
            f"--pdf-variant {pdf_variant} needs a CMYK output profile, which leaflet does not "
            "ship; use pdf/x-4, which accepts the built-in sRGB output intent")
    if print_ready and pdf_variant and not pdf_variant.startswith("pdf/x"):
        raise click.UsageError(f"--print-ready writes PDF/X-4; it cannot be combined with "
                               f"--pdf-variant {pdf_variant}")
    return RenderOptions(impose=not no_impose, pdf_variant=pdf_variant, print_ready=print_ready,
                         bleed_mm=bleed, print_ready_layouts=config.print_ready)


def refuse_tagged_imposition(config, options: RenderOptions, layouts: tuple[str, ...]) -> None:
    """A tagged variant asked for with a layout imposed on sheets cannot be written (the
    imposition drops the tags): a usage error, not one failed output per leaflet."""
    if not options.impose or options.pdf_variant not in TAGGED:
        return
    imposed = [name for name in (layouts or config.layouts) if config.layout(name).impose]
    if imposed:
        names = " and ".join(imposed)
        verb = "are" if len(imposed) > 1 else "is"
        raise click.UsageError(
            f"--pdf-variant {options.pdf_variant} is a tagged PDF, and {names} {verb} imposed "
            f"on sheets, which drops the tags: add --no-impose for tagged pages in reading "
            f"order, or choose other layouts with --layout")


jobs_option = click.option(
    "--jobs", "-j", type=click.IntRange(min=1), default=None,
    help="Worker processes for building.  [default: number of CPUs]")


def validate_matrix(state: State, slugs, langs, layouts) -> None:
    """Unknown slugs, languages or layouts are usage errors that list the known values."""
    from .content import discover  # lazy: see the top of this module

    found = discover(state.project)
    for slug in slugs:
        if slug not in found:
            known = ", ".join(found) or "none (add content/<slug>/<lang>.md)"
            raise click.UsageError(f"unknown leaflet {slug!r}; known leaflets: {known}")
    known = state.config.registry if layouts else {}
    for name in layouts:
        if name not in known:
            raise click.UsageError(f"unknown layout {name!r}; known layouts: "
                                   f"{', '.join(known)}")
    have = sorted({lang for langs_ in found.values() for lang in langs_})
    for lang in langs:
        # Asked for by name: never an English PDF labelled as another language.
        for slug in slugs:
            if lang not in found[slug]:
                raise click.UsageError(f"leaflet {slug!r} has no {lang!r} translation; "
                                       f"it has: {', '.join(found[slug])}")
        if lang not in have:
            raise click.UsageError(f"unknown language {lang!r}; languages available: "
                                   f"{', '.join(have) or 'none'}")


@main.command()
@matrix_options
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder.  [default: dist/ in the project]")
@jobs_option
@click.option("--force", is_flag=True, help="Rebuild even outputs whose inputs are unchanged.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed output.")
@click.option("--no-impose", is_flag=True,
              help="Write booklet and tri-fold pages in reading order, not imposed on sheets.")
@click.option("--print-ready", is_flag=True,
              help="For a print shop: bleed, crop marks and PDF/X-4.")
@click.option("--bleed", type=click.FloatRange(min=0, max=20), default=None, metavar="MM",
              help="Bleed for --print-ready in mm.  [default: 3, or 1/8 in for letter]")
@click.option("--pdf-variant", type=click.Choice(PDF_VARIANTS), default=None,
              help="Write this PDF variant (default: tagged PDF/UA-1 for the standard and "
                   "large-print layouts).")
@click.option("--no-check", is_flag=True,
              help="Build even leaflets that fail the error-level 'leaflet check' rules.")
@click.option("--shard", type=ShardParam(), default=None, metavar="K/N",
              help="Build only shard K of N (e.g. 2/4), for CI runners that split the work.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a JUnit XML report here (one test case per output).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors (as before the command).")
@click.option("-v", "--verbose", count=True, help="Say more (as before the command).")
@click.option("--no-drafts", is_flag=True,
              help="Refuse draft translations (skipped; an error for a --lang named).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120,
              show_default=True, metavar="SECONDS",
              help="Fail an output that takes longer than this to build (the others go on).")
@click.option("--no-site", is_flag=True,
              help="Do not write the web version (OUT/site/); sharded builds never do.")
@click.option("--durations", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="MANIFEST",
              help="With --shard: split by the build times recorded in this manifest.json, so "
                   "every shard takes about as long.  [default: OUT/manifest.json if there is "
                   "one, else split by a hash]")
@click.option("--strict", is_flag=True,
              help="Fail (exit 1) if the proof finds a typographic fault in any output.")
@pass_state
def build(state: State, slugs, langs, layouts, out, jobs, force, fail_fast, no_impose,
          print_ready, bleed, pdf_variant, no_check, shard, report, no_drafts, quiet, verbose,
          timeout, no_site, durations, strict):
    """Build PDFs: every leaflet × language × layout, or the part you name.

    Writes OUT/<slug>/<slug>.<lang>.<layout>.pdf, the web version in OUT/site/ and
    OUT/manifest.json.
    Outputs whose inputs have not changed are kept (use --force to rebuild).
    The proof reads every laid-out page and warns of typographic faults (a broken web
    address, a heading alone at the foot of a page, ...); --strict makes them errors.
    """
    from .build import build as run_build  # lazy: see the top of this module
    from .build import plan, read_durations
    from .manifest import MANIFEST_NAME, junit_xml, shard_manifest_name

    if quiet and verbose:
        raise click.UsageError("-q (print only errors) and -v (say more) contradict each other")
    if quiet:
        state.verbosity = -1
    elif verbose:
        state.verbosity = max(state.verbosity, 0) + verbose
        state.announce()

    config = state.config
    validate_matrix(state, slugs, langs, layouts)
    options = render_options(config, no_impose, print_ready, bleed, pdf_variant)
    refuse_tagged_imposition(config, options, layouts)
    out = (out if out is not None else state.project / "dist")
    if durations is not None and shard is None:
        raise click.UsageError("--durations splits the work between shards: use it with "
                               "--shard K/N")
    recorded = None
    if shard is not None:
        source = durations or (out / MANIFEST_NAME)
        if durations is not None or source.is_file():
            recorded = read_durations(source)
    the_plan = plan(config, slugs, langs, layouts, shard=shard, drafts=not no_drafts,
                    durations=recorded)
    if not slugs:
        show_naming_problems(state)
    if not the_plan.jobs and not the_plan.skipped and shard is None:
        raise click.ClickException("nothing to build: add content/<slug>/<lang>.md")
    jobs = jobs or os.cpu_count() or 1
    manifest = MANIFEST_NAME if shard is None else shard_manifest_name(*shard)
    reporter = Reporter(state.verbosity, len(the_plan.jobs) + len(the_plan.skipped))
    summary = run_build(
        config, the_plan, out, options, jobs=jobs, force=force,
        fail_fast=fail_fast, on_result=reporter, manifest_name=manifest, check=not no_check,
        on_wait=lambda: click.echo(f"waiting for another build writing to {out} ...", err=True),
        timeout=timeout, site=not no_site and shard is None,
    )
    reporter.close()
    if report is not None:
        try:
            atomic_write(report, junit_xml(summary, state.project, strict=strict))
        except OSError as exc:
            raise LeafletError(f"cannot write the report: {exc.strerror or exc}", report) \
                from None
    show_errors(summary.failed)
    proof_failed = strict and summary.findings > 0
    if proof_failed:
        show_findings(summary.results)
    site_failed = summary.site.failed if summary.site is not None else []
    for page in site_failed:
        click.echo(f"Error: {page.error}", err=True)
    if state.verbosity >= 0 or summary.failed or proof_failed:
        click.echo(summary.line(), err=bool(summary.failed or proof_failed)
                   and state.verbosity < 0)
    if summary.site is not None and (state.verbosity >= 0 or site_failed):
        for page in summary.site.pages:
            for warning in page.warnings if page.status == "built" else ():
                click.echo(f"  warning: {warning}")
        click.echo(summary.site.line(), err=bool(site_failed) and state.verbosity < 0)
    if summary.failed or site_failed or proof_failed or summary.interrupted:
        sys.exit(1 if not summary.interrupted else 130)


def show_findings(results: list) -> None:
    """--strict: the proof's findings are errors, those of outputs kept from an earlier
    build too (their warnings were not shown again)."""
    for r in results:
        if r.status in ("built", "cached"):
            for f in r.proof:
                click.echo(f"Error: {display_path(r.job.source)}: proof: {r.job.layout} "
                           f"{f.get('where', '')}: {f.get('message', '')}", err=True)


def show_errors(failed: list) -> None:
    """Each problem once: a content file that cannot be read fails every layout it was
    going to be built in, with the same lines."""
    shown: set[str] = set()
    for r in failed:
        for line in r.error.splitlines():
            if line not in shown:
                shown.add(line)
                click.echo(f"Error: {line}", err=True)


def show_naming_problems(state: State) -> None:
    """Folders and files under content/ that are not built because of their names."""
    from .content import naming_problems  # lazy: see the top of this module

    if state.verbosity < 0:
        return
    for path, message in naming_problems(state.project):
        click.echo(f"warning: {display_path(path)}: {message}")


class Reporter:
    """One plain line per output off a terminal (CI logs); a progress bar on one."""

    def __init__(self, verbosity: int, total: int):
        self.verbosity = verbosity
        self.tty = sys.stdout.isatty() and verbosity == 0
        self.bar = None
        if self.tty and total > 1:
            self.bar = click.progressbar(length=total, label="Building", show_pos=True)
            self.bar.__enter__()

    def __call__(self, r) -> None:
        if self.bar is not None:
            self.bar.update(1)
            return
        if self.verbosity < 0:
            return
        path = r.job.output.as_posix()
        if r.status == "failed":
            return  # listed with the error after the run
        if r.status == "skipped":
            click.echo(f"skipped  {path}: {r.error}")
            return
        if r.status == "cached" and self.verbosity < 1:
            click.echo(f"cached   {path}")
            return
        click.echo(f"{r.status:<8} {path} ({r.pages} p, {r.bytes // 1024} KB, {r.seconds:.2f} s)")
        for warning in r.warnings:
            click.echo(f"  warning: {warning}")
        if self.verbosity >= 2:
            for detail in r.details:
                click.echo(f"  {detail}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.command(name="list")
@pass_state
def list_(state: State):
    """Show each leaflet, its languages, their status and dates."""
    from .content import discover, load_leaflet, naming_problems  # lazy: see the top

    found = discover(state.project)
    misnamed = naming_problems(state.project)
    if not found and not misnamed:
        click.echo("No leaflets yet: add content/<slug>/<lang>.md")
        return
    for slug, langs in found.items():
        click.echo(slug)
        loaded = {}
        for lang, path in langs.items():
            try:
                loaded[lang] = load_leaflet(path, convert=False)  # the front matter is enough
            except LeafletError as exc:
                loaded[lang] = exc
        source_version = {}
        for lang, item in loaded.items():
            if not isinstance(item, LeafletError) and not item.is_translation:
                source_version[lang] = item.version
        for lang, item in loaded.items():
            if isinstance(item, LeafletError):
                first, *more = item.format_message().split("\n")
                click.echo(f"  {lang:<8} ERROR  {first}")
                for line in more:
                    click.echo(f"  {'':<8}        {line}")
                continue
            if item.is_translation:
                status = item.translation_status
                current = source_version.get(item.translation_of)
                if current is not None and current != item.source_version:
                    status += f", out of date (translated from {item.source_version}, " \
                              f"source is now {current})"
            else:
                status = "source"
            click.echo(f"  {lang:<8} v{item.version:<6} published {item.published}  "
                       f"next review {item.next_review}  {status}  {item.title}")
    if misnamed:
        click.echo("Not built, because of their names:")
        for path, message in misnamed:
            click.echo(f"  {display_path(path)}: {message}")


@main.command()
@matrix_options
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to put the PNGs.  [default: preview/ in the project]")
@jobs_option
@pass_state
def preview(state: State, slugs, langs, layouts, out, jobs):
    """Render every page to PNG thumbnails, plus one contact sheet per leaflet.

    Builds what is out of date into dist/ first (unchanged PDFs are reused).
    """
    from .build import build as run_build  # lazy: see the top of this module
    from .build import plan
    from .preview import make_previews

    config = state.config
    validate_matrix(state, slugs, langs, layouts)
    the_plan = plan(config, slugs, langs, layouts)
    dist = state.project / "dist"
    # The same options as a plain `leaflet build`, so its cached PDFs are reused.
    options = render_options(config, False, False, None, None)
    summary = run_build(config, the_plan, dist, options, jobs=jobs or os.cpu_count() or 1)
    show_errors(summary.failed)
    out = out if out is not None else state.project / "preview"
    sheets = make_previews(summary.results, dist, out)
    for slug, sheet in sheets.items():
        state.say(f"contact sheet: {sheet}")
    if summary.failed:
        sys.exit(1)


@main.command()
@click.argument("slug")
@click.option("--title", help="The leaflet's title (you can change it later).")
@pass_state
def new(state: State, slug, title):
    """Start a new leaflet: writes content/SLUG/en.md with every field to fill in."""
    from .content import SLUG_RE, slugify  # lazy: see the top of this module
    from .scaffold import PLACEHOLDER, new_leaflet

    if not SLUG_RE.match(slug):
        better = slugify(slug) or "knee-surgery"
        raise click.BadParameter(f"{slug!r} is not a valid leaflet name: use lower-case "
                                 f"letters, digits and hyphens, e.g. 'leaflet new {better}'",
                                 param_hint="SLUG")
    path = new_leaflet(state.project, slug, title)
    state.say(f"wrote {path}")
    state.say(f"Fill in every {PLACEHOLDER}, then run: leaflet check {slug}")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="Your clinic", show_default=True, help="The clinic's name.")
@click.option("--paper", type=click.Choice(["a4", "letter"], case_sensitive=False),
              default="a4", show_default=True, help="Paper size.")
@pass_state
def init(state: State, folder, name, paper):
    """Create a new clinic folder that builds straight away."""
    from .scaffold import init_project  # lazy: see the top of this module

    for path in init_project(folder, name, paper.lower()):
        state.say(f"wrote {path}")
    state.say(f"Next: cd {folder} && leaflet build")


@main.command(name="merge-manifests")
@click.argument("manifests", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the combined manifest.")
@pass_state
def merge_manifests(state: State, manifests, out):
    """Combine the manifests of sharded builds into one.

    Shard manifests are named manifest.shard-K-of-N.json (as 'build --shard K/N' writes
    them): a shard missing or given twice is reported as a warning.
    """
    from .manifest import merge_manifests as merge  # lazy: see the top of this module
    from .manifest import shard_warnings

    if state.verbosity >= 0:
        for warning in shard_warnings(list(manifests)):
            click.echo(f"warning: {warning}", err=True)
    merged = merge(list(manifests))
    try:
        atomic_write(out, json.dumps(merged, indent=2, ensure_ascii=False).encode())
    except OSError as exc:
        raise LeafletError(f"cannot write: {exc.strerror or exc}", out) from None
    state.say(f"{len(merged['outputs'])} outputs from {len(manifests)} manifests → {out}")


@main.command()
@pass_state
def layouts(state: State):
    """List the layouts with a one-line description each (a clinic's own ones too)."""
    for layout in state.config.registry.values():
        own = "  [leaflet.toml]" if layout.origin != "built-in" else ""
        click.echo(f"{layout.name:<12} {layout.description}{own}")


# ---------------------------------------------------------------- check

@main.command()
@click.argument("slugs", nargs=-1, metavar="[SLUG]...")
@click.option("--lang", "-l", "langs", multiple=True, metavar="LANG",
              help="Only this language (BCP 47 tag, e.g. es, pt-BR). Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Plain lines (file:line: severity rule: message) or JSON.")
@click.option("--strict", is_flag=True, help="Count warnings as errors (exit 1 on any).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD",
              help="Judge review dates as of this day (reproducible CI).  [default: today]")
@pass_state
def check(state: State, slugs, langs, fmt, strict, today):
    """Check leaflets against the quality rules before anything is printed.

    Metadata and review dates (PIF TICK), readability per language, accessibility (alt text,
    contrast, large-print emphasis, heading levels), links and files, and translations.
    Exits 0 when there are no errors (warnings allowed), 1 when there are; with --strict
    warnings count as errors.
    """
    from .check import config_failure, run_checks  # lazy: see the top of this module

    validate_matrix(state, slugs, langs, ())
    day = today.date() if today else None
    try:
        config = state.config
    except LeafletError as exc:
        report = config_failure(state.project, exc, day)
    else:
        report = run_checks(config, slugs, langs, day)
    if fmt == "json":
        click.echo(report.to_json())
    else:
        for line in report.text_lines(quiet=state.verbosity < 0, strict=strict):
            click.echo(line)
    if report.failed(strict):
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
