"""Stage 5: the batch — job matrix, shards, cache, worker processes, atomic outputs."""

from __future__ import annotations

import atexit
import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from . import check
from .config import Config
from .content import discover, load_cached, refuse_outside, split_front_matter
from .errors import LeafletError, display_path, time_limit
from .files import TMP_MARK, atomic_write, quiet, read_json, sha256_file, url_path
from .inputs import job_key, shared_key
from .manifest import MANIFEST_NAME, Job, Result, Summary, output_path, write_manifest
from .options import RenderOptions
from .produce import FitHint, produce
from .render import Renderer
from .site import write_site

CACHE_NAME = ".leaflet-cache.json"
# Per output (--timeout): a normal leaflet takes well under a second; this only stops a
# pathological one (a giant table, a 2 MB paragraph) from holding a CI job for an hour.
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Plan:
    jobs: list[Job]
    skipped: list[Result]
    # A shard's part: {"index": 2, "total": 4, "by": "durations", "durations": digest}.
    shard: dict | None = None


def in_shard(job: Job, index: int, total: int) -> bool:
    """Shard ``index`` of ``total`` (1-based), chosen by a hash of the output name.

    Hash-based, not position-based: adding a leaflet never moves other outputs
    between shards, and the shards together are the whole matrix exactly once.
    """
    digest = hashlib.sha256(job.name.encode()).digest()
    return int.from_bytes(digest[:8], "big") % total == index - 1


def balanced_shards(jobs: list[Job], total: int, recorded: dict[str, float]) -> dict[Job, int]:
    """Each output's shard (1-based), so that the shards' recorded costs come out even.

    Longest first, each to the shard with the least so far (ties: the lowest shard): the
    same outputs and the same recorded times give every runner the same split. Outputs
    with no recorded time count as their layout's relative cost at the typical time.
    """
    known = sorted(v for v in recorded.values() if v > 0)
    typical = known[len(known) // 2] if known else 0.2
    loads = [0.0] * total
    shards: dict[Job, int] = {}
    for job in sorted(jobs, key=lambda j: (-estimated_seconds(j, recorded, typical), j.name)):
        index = min(range(total), key=lambda k: (loads[k], k))
        loads[index] += estimated_seconds(job, recorded, typical)
        shards[job] = index + 1
    return shards


def plan(config: Config, slugs: Iterable[str] = (), langs: Iterable[str] = (),
         layouts: Iterable[str] = (), shard: tuple[int, int] | None = None,
         drafts: bool = True, durations: dict[str, float] | None = None) -> Plan:
    """Every leaflet × language × layout asked for (arguments narrow the matrix).

    A language a leaflet lacks is skipped and reported, never replaced by another.
    With ``drafts=False`` a draft translation is refused: skipped in a batch, failed
    when its language was asked for by name. A shard takes its part of the outputs by
    recorded cost when ``durations`` (output path → seconds) are given, else by hash.
    """
    found = discover(config.root)
    # Each named once, whatever the command line repeats.
    slugs = list(dict.fromkeys(slugs)) or list(found)
    layouts = list(dict.fromkeys(layouts)) or list(config.layouts)
    langs = list(dict.fromkeys(langs))
    asked_langs = langs or list(config.languages)
    jobs, skipped = [], []
    for slug in slugs:
        have = found.get(slug, {})
        for lang in (asked_langs or list(have)):
            refuse = not drafts and lang in have and _is_draft(have[lang])
            for layout in layouts:
                job = Job(slug, lang, layout, have.get(lang, Path()),
                          output_path(slug, lang, layout))
                if refuse:
                    refused = LeafletError("draft translation, not yet checked "
                                           "(translation_status: draft): --no-drafts refuses "
                                           "to build it", have[lang]).format_message()
                    skipped.append(Result(job, "failed" if langs else "skipped", error=refused))
                elif lang in have:
                    jobs.append(job)
                else:
                    skipped.append(Result(job, "skipped", error=f"no {lang} translation"))
    split = None
    if shard is not None:
        index, total = shard
        # Every runner must split alike: the manifest says how, merge-manifests compares.
        split = {"index": index, "total": total, "by": "durations" if durations else "hash"}
        if durations:
            split["durations"] = hashlib.sha256(
                json.dumps(durations, sort_keys=True).encode()).hexdigest()[:16]
            placed = balanced_shards(jobs, total, durations)
            jobs = [job for job in jobs if placed[job] == index]
        else:
            jobs = [job for job in jobs if in_shard(job, index, total)]
        # Nothing to build for these: any runner may report them, so the hash decides.
        skipped = [r for r in skipped if in_shard(r.job, index, total)]
    return Plan(jobs, skipped, split)


def read_durations(path: Path) -> dict[str, float]:
    """Recorded seconds per output path from a manifest (``manifest.json``, merged or not);
    ``LeafletError`` for a file that is not one."""
    data = read_json(path)
    outputs = data.get("outputs")
    if not isinstance(outputs, list):
        raise LeafletError("not a leaflet manifest (no 'outputs' list): --durations needs "
                           "the manifest.json of an earlier build", path)
    found = {}
    for entry in outputs:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str) \
                and isinstance(entry.get("seconds"), (int, float)) \
                and not isinstance(entry.get("seconds"), bool) and entry["seconds"] > 0:
            found[entry["path"]] = float(entry["seconds"])
    return found


def _is_draft(path: Path) -> bool:
    """From the front matter alone: no Markdown conversion while planning."""
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
        meta = split_front_matter(text, path)[0]
    except (LeafletError, OSError, UnicodeDecodeError):
        return False  # the job reports the broken file itself
    return meta.get("translation_status") == "draft"


# ------------------------------------------------------------------ cache entries

def _fit_hint(entry: dict | None, key: str) -> FitHint | None:
    """Where the last build of an output landed; ``exact`` when its inputs are unchanged."""
    fit = entry.get("fit") if entry is not None else None
    if not isinstance(fit, dict):
        return None
    body_pt, padding = fit.get("body_pt"), fit.get("padding")
    if not isinstance(body_pt, (int, float)) or isinstance(body_pt, bool) \
            or not isinstance(padding, int) or isinstance(padding, bool) or not 0 <= padding < 100:
        return None  # a hand-edited or damaged cache: no hint, never a wrong one
    return FitHint(float(body_pt), padding, exact=entry["key"] == key)


def _cache_entry(entry: object) -> dict | None:
    """A cache entry as the build writes it, or None (a hand-edited or damaged cache)."""
    if not isinstance(entry, dict):
        return None
    types = {"key": str, "sha256": str, "pages": int, "bytes": int, "warnings": list}
    if not all(isinstance(entry.get(k), t) for k, t in types.items()):
        return None
    if not all(isinstance(w, str) for w in entry["warnings"]):
        return None
    return entry


def clean_temporaries(out: Path) -> None:
    """Sweep temporaries of killed workers or runs (never under a final name).

    Called with the output lock held, so no other build is writing here.
    """
    # Only where builds write (the top and one folder per leaflet), and only names
    # atomic_write makes: `--out .` must not sweep a user's own files.
    for pattern in (f"*{TMP_MARK}*", f"*/*.pdf{TMP_MARK}*"):
        for tmp in out.glob(pattern):
            with quiet():
                tmp.unlink()


# ------------------------------------------------------------------ workers

_STATE: dict = {}
# Drop the renderer before interpreter shutdown: WeasyPrint's FontConfiguration removes its
# temporary font folder in __del__, which fails (and leaves the folder) once modules are
# torn down.
atexit.register(_STATE.clear)


def _init_worker(config: Config, options: RenderOptions, out: Path,
                 timeout: float | None = None, hints: dict | None = None,
                 scratch: str | None = None) -> None:
    # Workers leave interrupts to the parent, which stops them in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if scratch:
        # WeasyPrint keeps the fonts it loads in a temporary folder that it removes when
        # the process ends normally; a stopped worker ends otherwise: the parent removes
        # the whole pool's folder instead.
        tempfile.tempdir = scratch
    renderer = Renderer(config)
    renderer.warm_up()  # start-up, before any output's --timeout starts counting
    _STATE.update(renderer=renderer, options=options, out=out, leaflets={}, timeout=timeout,
                  hints=hints or {})


def _run_job(job: Job, key: str) -> Result:

    start = time.perf_counter()
    timeout = _STATE.get("timeout")
    try:
        # The limit covers loading and rendering, not the write: a PDF is written whole.
        with time_limit(timeout, f"took longer than {timeout or 0:g} s (--timeout) to build "
                                 f"{job.output.name}", job.source):
            leaflet = load_cached(job.source, _STATE["leaflets"])
            loaded = time.perf_counter()
            renderer = _STATE["renderer"]
            made = produce(renderer, leaflet, renderer.config.layout(job.layout),
                           _STATE["options"], _STATE.get("hints", {}).get(job.output))
        produced = time.perf_counter()
        target = _STATE["out"] / job.output
        try:
            atomic_write(target, made.pdf)
        except OSError as exc:
            raise LeafletError(f"cannot write {target}: {exc.strerror or exc}") from None
        details = [f"time: read {loaded - start:.2f} s, lay out and make the PDF "
                   f"{produced - loaded:.2f} s, save {time.perf_counter() - produced:.2f} s",
                   *_read_files(renderer)]
        warnings = list(made.warnings)
        if made.missing_strings:
            warnings.append(f"{len(made.missing_strings)} template text(s) not translated "
                            f"into {job.lang}, shown in English: "
                            + "; ".join(repr(s) for s in made.missing_strings[:5]))
        return Result(job, "built", hashlib.sha256(made.pdf).hexdigest(), made.pages,
                      len(made.pdf), warnings, seconds=time.perf_counter() - start, key=key,
                      fit={"body_pt": made.body_pt, "padding": made.padding,
                           "renders": made.renders}, details=details,
                      reads=_project_reads(renderer), proof=made.proof)
    except RecursionError:
        return Result(job, "failed", error=LeafletError(
            "nested too deeply to lay out (elements, lists or quotes inside each other, "
            "hundreds deep): flatten it", job.source).format_message(),
            seconds=time.perf_counter() - start)
    except LeafletError as exc:
        if exc.path is None:  # e.g. a font package missing: say which output it stopped
            exc = LeafletError(exc.detail, job.source)
        return Result(job, "failed", error=exc.format_message(),
                      seconds=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - one broken output must not stop the rest
        return Result(job, "failed", error=f"{job.source}: internal error: "
                                           f"{type(exc).__name__}: {exc}",
                      seconds=time.perf_counter() - start)


def _project_reads(renderer: Renderer) -> dict[str, str]:
    """The project files the last document read, with their hashes: an image anywhere in
    the project (``../../images/x.png``), a file a stylesheet's url() names. The cache
    key covers the leaflet's folder, assets/, templates and styles; these cover the rest."""
    fetched = getattr(renderer, "fetched", None)
    root = renderer.config.root.resolve()
    reads = {}
    for url in (fetched.urls if fetched is not None else ()):
        path = url_path(url, root)
        if path is not None and path.is_relative_to(root):
            reads[path.relative_to(root).as_posix()] = sha256_file(path) or ""
    return dict(sorted(reads.items()))


def _reads_unchanged(entry: dict, root: Path) -> bool:
    reads = entry.get("reads", {})
    return isinstance(reads, dict) and all(
        isinstance(name, str) and sha256_file(root / name) == digest
        for name, digest in reads.items())


def _read_files(renderer: Renderer) -> list[str]:
    """For `build -vv`: the files (and URLs) the last document read, images resampled."""
    fetched = getattr(renderer, "fetched", None)
    if fetched is None or not fetched.urls:
        return []
    root = renderer.config.root.resolve()
    shown = []
    for url in fetched.urls:
        path = url_path(url, root)
        name = (path.relative_to(root).as_posix() if path and path.is_relative_to(root)
                else path.name if path else url[:60])
        sizes = fetched.images.get(url)
        if sizes and sizes[0] != sizes[1]:
            name += f" ({sizes[0][0]}×{sizes[0][1]}, resampled to {sizes[1][0]}×{sizes[1][1]})"
        shown.append(name)
    return ["read: " + ", ".join(shown)]


# ------------------------------------------------------------------ the build

def check_source(config: Config, source: Path, timeout: float | None = None) -> str:
    """Why the error-level ``leaflet check`` rules refuse to build ``source``, or ''."""
    try:
        with time_limit(timeout, f"checking it took longer than {timeout or 0:g} s "
                                 "(--timeout); not built", source):
            errors = check.blocking_errors(config, source)
    except LeafletError as exc:
        if exc.path == source and "(--timeout)" in exc.detail:
            return exc.format_message()
        return ""
    except Exception as exc:  # noqa: BLE001 - a bug in a rule fails this file, not the build
        return LeafletError(f"internal error while checking it: {type(exc).__name__}: {exc}",
                            source).format_message()
    if any(f.rule in ("meta-invalid", "meta-missing") for f in errors):
        return ""  # the file does not load: the build reports its own error, plainly
    if not errors:
        return ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    first = errors[0]
    text = first.text()
    if first.path is None:  # e.g. a font package missing: name the file it stops
        text = f"{display_path(source)}: {first.severity} {first.rule}: {first.message}"
    return f"{text}{more}; not built: fix it, see 'leaflet check', or build with --no-check"


# Relative cost of an output of each built-in layout (measured on the sample, first build),
# used to start the costliest outputs first when no earlier build timed them.
LAYOUT_COST = {"standard": 1.0, "large-print": 1.3, "booklet": 1.6, "trifold": 1.6,
               "poster": 3.0}


def estimated_seconds(job: Job, recorded: dict[str, float], typical: float = 0.2) -> float:
    """What an output will cost: its recorded time, else its layout's relative cost times
    a typical output's time."""
    seconds = recorded.get(job.output.as_posix())
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds > 0:
        return float(seconds)
    return LAYOUT_COST.get(job.layout, 1.5) * typical


class _Interrupted(BaseException):
    """SIGTERM: a BaseException, so no ``except Exception`` (ours around each output,
    WeasyPrint's around each resource) turns a stop into one failed output."""


LOCK_NAME = ".leaflet.lock"


class OutputLock:
    """One build at a time per output folder: a second one waits (two CI jobs, one disk)."""

    def __init__(self, out: Path, on_wait: Callable[[], None] | None = None):
        self.path = out / LOCK_NAME
        self.on_wait = on_wait
        self.fh = None

    def __enter__(self):
        self.fh = open(self.path, "a+b")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if self.on_wait:
                self.on_wait()
            fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def build(config: Config, the_plan: Plan, out: Path, options: RenderOptions = RenderOptions(),
          jobs: int = 1, force: bool = False, fail_fast: bool = False,
          on_result: Callable[[Result], None] | None = None,
          manifest_name: str = MANIFEST_NAME,
          on_wait: Callable[[], None] | None = None, check: bool = True,
          timeout: float | None = DEFAULT_TIMEOUT, site: bool = False) -> Summary:
    """Build the planned outputs into ``out``; every result is reported, none is lost.

    ``timeout`` bounds each output (seconds; None for no limit): one that takes longer
    fails with a message saying so, and the others go on. ``site`` also writes the web
    version into ``out/site/`` (site.py) from the results.
    """
    out = out.resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = OutputLock(out, on_wait)
        lock.__enter__()
    except OSError as exc:
        raise LeafletError(f"cannot write to the output folder: {exc.strerror or exc}",
                           out) from None
    try:
        return _build_locked(config, the_plan, out, options, jobs, force, fail_fast,
                             on_result, manifest_name, check, timeout, site)
    finally:
        lock.__exit__(None, None, None)


def _build_locked(config, the_plan, out, options, jobs, force, fail_fast, on_result,
                  manifest_name, check, timeout=None, site=False) -> Summary:
    start = time.perf_counter()
    clean_temporaries(out)
    cache_path = out / CACHE_NAME
    cache = read_json(cache_path)
    shared = shared_key(config, options)
    results: list[Result] = list(the_plan.skipped)
    notify = on_result or (lambda r: None)
    for r in the_plan.skipped:
        notify(r)

    # The check's verdict on an unchanged output only changes with the date (review
    # rules), so a cached output that was checked today is not checked again.
    today = dt.date.today().isoformat()
    keyed: list[tuple[Job, str, bool]] = []
    hints: dict[Path, FitHint] = {}
    recorded: dict[str, float] = {}
    why: dict[Job, str] = {}  # the cache decision per output, for `build -vv`
    for job in the_plan.jobs:
        try:
            refuse_outside(job.source)  # not even hashed
            key = job_key(shared, job, config)
        except LeafletError as exc:
            r = Result(job, "failed", error=exc.format_message())
            results.append(r)
            notify(r)
            continue
        except OSError as exc:
            r = Result(job, "failed", error=f"{job.source}: cannot read: {exc.strerror}")
            results.append(r)
            notify(r)
            continue
        entry = _cache_entry(cache.get(job.output.as_posix()))
        hit = (not force and entry is not None and entry["key"] == key
               and sha256_file(out / job.output) == entry["sha256"]
               and _reads_unchanged(entry, config.root))
        why[job] = _cache_decision(force, entry, key, hit)
        keyed.append((job, key, hit))
        # What the last build of it learnt: where its fit landed, and what it cost.
        hint = _fit_hint(entry, key) if not hit else None
        if hint is not None:
            hints[job.output] = hint
        if entry is not None and isinstance(entry.get("seconds"), (int, float)):
            recorded[job.output.as_posix()] = entry["seconds"]

    def checked_today(job: Job) -> bool:
        return cache[job.output.as_posix()].get("checked") == today

    def feed():
        """Each content file checked, then its outputs: results for those that need no
        work, (job, key) for those to build. A generator, so the workers are rendering the
        first outputs while later files are still being checked."""
        by_source: dict[Path, list] = {}
        for item in keyed:
            by_source.setdefault(item[0].source, []).append(item)

        def cost(item) -> float:
            return 0.0 if item[2] else estimated_seconds(item[0], recorded)

        # The costliest work first (posters, booklets): the last outputs are the quick ones.
        sources = sorted(by_source, key=lambda src: -sum(cost(i) for i in by_source[src]))
        for source in sources:
            items = sorted(by_source[source], key=lambda i: (-cost(i), i[0].name))
            due = check and any(not hit or not checked_today(job) for job, _, hit in items)
            refusal = check_source(config, source, timeout) if due else ""
            for job, key, hit in items:
                if refusal:
                    yield Result(job, "failed", error=refusal)
                elif hit:
                    entry = cache[job.output.as_posix()]
                    if check:
                        entry["checked"] = today
                    yield Result(job, "cached", entry["sha256"], entry.get("pages", 0),
                                 entry.get("bytes", 0), list(entry.get("warnings", [])),
                                 key=key, proof=_proof(entry))
                else:
                    yield job, key

    interrupted = False
    web = None
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        raise _Interrupted()

    try:
        signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread (e.g. embedded use)
        previous = None
    try:
        todo = sum(1 for _, _, hit in keyed if not hit)
        for r in _execute(config, options, out, feed(), todo, jobs, fail_fast, timeout, hints):
            r.details.insert(0, why.get(r.job, ""))
            results.append(r)
            notify(r)
            if r.status == "built":
                cache[r.job.output.as_posix()] = {"key": r.key, "sha256": r.sha256,
                                                  "checked": today if check else "",
                                                  "pages": r.pages, "bytes": r.bytes,
                                                  "warnings": r.warnings,
                                                  "proof": r.proof,
                                                  "seconds": round(r.seconds, 3),
                                                  "reads": r.reads,
                                                  "fit": {"body_pt": r.fit["body_pt"],
                                                          "padding": r.fit["padding"]}}
            elif r.status == "failed":
                cache.pop(r.job.output.as_posix(), None)
        if site:
            web = write_site(config, results, out, base_url=config.site_url)
    except (KeyboardInterrupt, _Interrupted):
        interrupted = True
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        # Only entries whose PDF was completely written are recorded: never inconsistent.
        clean_temporaries(out)
        summary = Summary(results, time.perf_counter() - start, interrupted, web,
                          the_plan.shard)
        try:
            atomic_write(cache_path, json.dumps(cache, indent=1, sort_keys=True).encode())
            write_manifest(out / manifest_name, summary)
        except OSError as exc:
            # The old cache stays (atomic): its entries are checked against the PDFs'
            # hashes before use, so a stale one only costs a rebuild.
            raise LeafletError(f"cannot write the cache or manifest: {exc.strerror or exc}",
                               out) from None
    return summary


def _proof(entry: dict) -> list[dict]:
    """A kept output's proof findings, as its build recorded them (a cache from before
    the proof has none)."""
    found = entry.get("proof")
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def _cache_decision(force: bool, entry: dict | None, key: str, hit: bool) -> str:
    if hit:
        return f"cache: inputs unchanged (key {key[:12]}) and the PDF is as built: kept"
    if force:
        return "cache: --force: rebuilt"
    if entry is None:
        return "cache: no earlier build of it recorded: built"
    if entry["key"] != key:
        return (f"cache: inputs changed (key {entry['key'][:12]} → {key[:12]}): the content, "
                "its folder, the templates, styles, settings, fonts or options: rebuilt")
    return ("cache: the PDF on disk is missing or not the one built, or a file it read "
            "elsewhere in the project changed: rebuilt")


def _execute(config, options, out, feed, todo, jobs, fail_fast, timeout=None, hints=None):
    """Results for every item of ``feed``: results pass through, (job, key) are built.

    ``todo`` is how many outputs the feed will ask for: one, or ``-j 1``, builds in this
    process; more build in a pool of ``jobs`` worker processes.
    """
    if jobs <= 1 or todo <= 1:
        for item in feed:
            if isinstance(item, tuple):
                _init_in_process(config, options, out, timeout, hints)
                item = _run_job(*item)
            yield item
            if fail_fast and item.status == "failed":
                return
        return
    _prepare_parent(config)
    # A worker that dies (SIGKILL, the out-of-memory killer) takes down every output in
    # flight in its pool, and which one killed it is unknown. Those get a second round in
    # a fresh pool; what is lost again gets a last try alone in its own process, so one
    # output that kills its worker fails by itself and the others are kept.
    again: list = []
    alone: list = []
    rounds = ((feed, min(jobs, todo), again), (again, jobs, alone))
    for items, workers, lost in rounds:
        for r in _in_pool(config, options, out, items, workers, timeout, lost, hints):
            yield r
            if fail_fast and r.status == "failed":
                return
    for job, key in alone:
        lost = []
        results = list(_in_pool(config, options, out, [(job, key)], 1, timeout, lost, hints))
        if lost:
            results = [Result(job, "failed", error=LeafletError(
                f"the build worker stopped while building {job.output.name}, every time it "
                "was tried (killed, or out of memory?)", job.source).format_message())]
        for r in results:
            yield r
            if fail_fast and r.status == "failed":
                return


def _prepare_parent(config: Config) -> None:
    """Make the workers ready before they are forked: they inherit the imported renderer
    libraries (WeasyPrint costs 0.35 s to import) instead of each loading its own."""
    # Lazy: only a parallel build pays this, and only once.
    import weasyprint  # noqa: F401
    import weasyprint.text.fonts  # noqa: F401


# Outputs a worker process makes before its pool is replaced by fresh workers.
RECYCLE_AFTER = 100


def _in_pool(config, options, out, todo, jobs, timeout, lost, hints=None):
    """Run ``todo`` in worker processes; what a dead worker took down goes to ``lost``."""
    # Lazy: the pool machinery costs ~15 ms, and -j 1 or a fully cached build needs none.
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    feed = iter(todo)

    def take():
        return next(feed, None)

    item = take()
    while item is not None:
        scratch = tempfile.mkdtemp(prefix="leaflet-workers-")
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=_init_worker,
                                   initargs=(config, options, out, timeout, hints, scratch))
        pending: dict = {}
        # WeasyPrint's libraries keep ~2.4 MB per 100 PDFs a process makes (measured; none
        # of it is Python objects): a pool is replaced after this many outputs per worker.
        budget = jobs * RECYCLE_AFTER
        try:
            broken = False
            # Keep the pool just full so --fail-fast and interrupts stop quickly.
            while (item is not None and budget > 0 or pending) and not broken:
                while item is not None and len(pending) < jobs * 2 and budget > 0:
                    if isinstance(item, Result):  # decided without building (cached, refused)
                        yield item
                    else:
                        pending[pool.submit(_run_job, *item)] = item
                        budget -= 1
                    item = take()
                if not pending:
                    continue
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    job, key = pending.pop(future)
                    try:
                        r = future.result()
                    except BrokenProcessPool:
                        broken = True
                        lost.append((job, key))
                        continue
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that won't pickle
                        r = Result(job, "failed", error=f"{job.source}: internal "
                                                        f"error: {type(exc).__name__}: {exc}")
                    yield r
            if broken:
                # The pool is dead: what was in flight either finished just before or is lost.
                wait(pending, timeout=5)
                for future, in_flight in list(pending.items()):
                    del pending[future]
                    if future.done() and not future.cancelled() and future.exception() is None:
                        yield future.result()
                    else:
                        lost.append(in_flight)
        finally:
            for future in pending:
                future.cancel()
            _stop_pool(pool)
            shutil.rmtree(scratch, ignore_errors=True)


def _stop_pool(pool) -> None:
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        if proc.is_alive():
            proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _init_in_process(config, options, out, timeout=None, hints=None):
    if _STATE.get("renderer") is None or _STATE["renderer"].config != config:
        renderer = Renderer(config)
        renderer.warm_up()  # as in a worker: start-up is not part of any output's time
        _STATE.update(renderer=renderer, leaflets={})
    _STATE.update(options=options, out=out, timeout=timeout, hints=hints or {})
