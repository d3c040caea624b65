"""Benchmark leaflet builds: every figure measured side by side, in one run, on this machine.

Usage:  make bench   (or: .venv/bin/python bench/bench.py [--quick] [--record FILE])

What it measures, and how (each section prints its method):
  1. per layout, and the whole sample matrix: leaflet vs WeasyPrint alone on the same final
     HTML, stylesheets, fonts and PDF options, in this process, interleaved rounds;
  2. a pandoc-then-WeasyPrint loop vs leaflet on the outputs pandoc can make (standard
     layout), on the same number of cores; and leaflet on the full matrix;
  3. parallel efficiency: the same matrix at -j 1 and -j 2, whole processes, start-up in;
  4. memory: the whole process tree's peak during a -j 2 build, and worker growth;
  5. scale: 20, 100 and 400 outputs; 6. shards: 400 outputs split 4 ways, with and
     without recorded durations; 7. start-up and no-op rebuilds.

Not part of `make test`: timings belong here, not in assertions. `--record FILE` also
writes everything printed to FILE (bench/results/ keeps the run the README quotes).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata as md
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LEAFLET = [sys.executable, "-m", "leaflet"]
LAYOUT_ORDER = ("standard", "large-print", "booklet", "trifold", "poster")
OUT: list = []


def say(text: str = "") -> None:
    print(text, flush=True)
    OUT.append(text)


def run(args, env=None) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    return time.perf_counter() - start


def stats(values: list[float]) -> str:
    return f"min {min(values):.2f} s, median {statistics.median(values):.2f} s"


def copy_sample(dest: Path) -> Path:
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(
        ".venv", ".git", "dist", "tests", "bench", "__pycache__", "*.egg-info", "preview",
        "docs", "patches"))
    return dest


def make_scaled(dest: Path, copies: int, langs: tuple[str, ...] = ("en",)) -> Path:
    """The sample project with ``copies`` leaflets (the sample's text, another title)."""
    project = copy_sample(dest)
    sources = {lang: (REPO / "content" / "als-twitching" / f"{lang}.md").read_text()
               for lang in langs}
    shutil.rmtree(project / "content")
    for i in range(copies):
        folder = project / "content" / f"leaflet-{i:04d}"
        folder.mkdir(parents=True)
        for lang, text in sources.items():
            (folder / f"{lang}.md").write_text(text.replace("ALS", f"ALS ({i})", 1))
    return project


# ------------------------------------------------------------------ 1. per layout

def per_layout(project: Path, rounds: int) -> None:
    """leaflet per output (a build worker's whole job: load, glyph check, fit, PDF,
    imposition, atomic write, hash) vs WeasyPrint alone (HTML → render → write_pdf) on the
    final HTML that leaflet laid out, with the same parsed stylesheets, font configuration
    and PDF options. In this process, warm; each round runs every output both ways, the
    order rotating. Two cases for leaflet: a rebuild (the cache's fit of the same
    inputs: one render) and a first build (no cache: the fit is searched)."""
    sys.path.insert(0, str(REPO))
    from weasyprint import HTML

    from leaflet import build, i18n
    from leaflet.build import plan
    from leaflet.config import load_config
    from leaflet.content import load_leaflet
    from leaflet.fetch import make_fetcher
    from leaflet.options import RenderOptions
    from leaflet.produce import FitHint, fit, pdf_options, unbreakable_texts
    from leaflet.proof import proof
    from leaflet.render import _env_var, source_date_epoch

    config = load_config(project)
    options = RenderOptions()
    the_plan = plan(config)
    out = project / "bench-per-layout"
    build._init_in_process(config, options, out)
    renderer = build._STATE["renderer"]
    fetcher = make_fetcher(renderer.allowed_roots(), config.allow_network)
    prepared = []
    renders_cold: dict[str, list[int]] = {}
    proof_ms: dict[str, list[float]] = {}
    for job in the_plan.jobs:
        leaflet = load_leaflet(job.source)
        layout = config.layout(job.layout)
        catalog = i18n.load_catalog(leaflet.lang, config.root)
        fitted = fit(renderer, leaflet, layout, catalog, options)  # the first build's search
        renders_cold.setdefault(job.layout, []).append(fitted.renders)
        keep = unbreakable_texts(renderer, leaflet)
        spent = []
        for _ in range(5):  # the proof of the laid-out pages, as a build runs it
            start = time.perf_counter()
            proof(fitted.document, unit=layout.unit, fetched=renderer.fetched, keep_whole=keep)
            spent.append(time.perf_counter() - start)
        proof_ms.setdefault(job.layout, []).append(statistics.median(spent) * 1000)
        hint = FitHint(fitted.body_pt, fitted.padding, exact=True)
        html = renderer.render_html(leaflet, layout, catalog, options, fitted.body_pt,
                                    {"padding": fitted.padding})
        sheets = renderer._stylesheets(leaflet, layout, fetcher, fitted.body_pt, options)
        prepared.append((job, leaflet, layout, hint, html, sheets))

    def ours(job, hint, cold: bool):
        build._STATE["hints"] = {} if cold else {job.output: hint}
        result = build._run_job(job, "bench")
        assert result.status == "built", result.error

    def alone(leaflet, layout, html, sheets):
        document = HTML(string=html, base_url=leaflet.path.resolve().as_uri(),
                        url_fetcher=fetcher).render(font_config=renderer._font_config,
                                                    stylesheets=sheets)
        with _env_var("SOURCE_DATE_EPOCH", str(source_date_epoch(leaflet))):
            document.write_pdf(**pdf_options(leaflet, layout, options))

    times: dict[tuple[str, str], list[float]] = {}
    for index in range(rounds + 1):  # round 0 warms every path up
        for job, leaflet, layout, hint, html, sheets in prepared:
            runs = [("leaflet", lambda: ours(job, hint, False)),
                    ("first build", lambda: ours(job, hint, True)),
                    ("alone", lambda: alone(leaflet, layout, html, sheets))]
            # Each of the three goes first, second and third equally often.
            shift = index % 3
            for name, call in runs[shift:] + runs[:shift]:
                start = time.perf_counter()
                call()
                if index:
                    times.setdefault((job.layout, name), []).append(
                        time.perf_counter() - start)
    say(f"## 1. Per layout: leaflet vs WeasyPrint alone on the same final HTML "
        f"({len(prepared)} outputs, {rounds} interleaved rounds, in one process)")
    say(per_layout.__doc__.replace("\n    ", "\n").strip())
    say()
    say("| layout | WeasyPrint alone, ms per output (min / median) | leaflet, rebuild | ratio "
        "| leaflet, first build | ratio | renders, first build | the proof, ms |")
    say("|---|---|---|---|---|---|---|---|")
    totals = {name: [0.0] * rounds for name in ("alone", "leaflet", "first build")}
    counts = {}
    for layout in LAYOUT_ORDER:
        if (layout, "alone") not in times:
            continue
        per_round = {}
        for name in totals:
            values = times[layout, name]
            n = len(values) // rounds
            counts[layout] = n
            sums = [sum(values[r * n:(r + 1) * n]) for r in range(rounds)]
            per_round[name] = sums
            for r in range(rounds):
                totals[name][r] += sums[r]
        med = {k: statistics.median(v) / counts[layout] * 1000 for k, v in per_round.items()}
        low = {k: min(v) / counts[layout] * 1000 for k, v in per_round.items()}
        renders = renders_cold[layout]
        say(f"| {layout} | {low['alone']:.0f} / {med['alone']:.0f} | "
            f"{low['leaflet']:.0f} / {med['leaflet']:.0f} | "
            f"{med['leaflet'] / med['alone']:.2f} | "
            f"{low['first build']:.0f} / {med['first build']:.0f} | "
            f"{med['first build'] / med['alone']:.2f} | "
            f"{min(renders)}-{max(renders)} (mean {statistics.mean(renders):.1f}) | "
            f"{statistics.mean(proof_ms[layout]):.1f} |")
    med = {k: statistics.median(v) for k, v in totals.items()}
    say(f"| whole matrix | {min(totals['alone']):.2f} / {med['alone']:.2f} s | "
        f"{min(totals['leaflet']):.2f} / {med['leaflet']:.2f} s | "
        f"{med['leaflet'] / med['alone']:.2f} | "
        f"{min(totals['first build']):.2f} / {med['first build']:.2f} s | "
        f"{med['first build'] / med['alone']:.2f} | | |")
    say("Targets: every layout and the whole matrix <= 1.10 (rebuild). The proof: the mean over "
        "the layout's outputs of the median of 5 runs of leaflet/proof.py on its laid-out pages "
        "(part of leaflet's time above).")
    say()


# ------------------------------------------------------------------ 2. pandoc

def pandoc_comparison(tmp: Path, rounds: int) -> None:
    """A loop of `pandoc --pdf-engine=weasyprint`, one process per file as people do, on
    two cores (two files at a time), vs `leaflet build -j 2` of the same 30 standard-layout
    PDFs (5 leaflets x 6 languages), whole processes, alternating, forced, no web version."""
    say("## 2. pandoc loop vs leaflet (30 standard PDFs, 2 cores each)")
    say(pandoc_comparison.__doc__.replace("\n    ", "\n").strip())
    if not shutil.which("pandoc"):
        say("pandoc is not installed (scripts/system-deps.sh --bench installs it): skipped")
        say()
        return
    langs = ("en", "es", "fr", "pl", "ar", "hi")
    project = make_scaled(tmp / "pandoc-project", 5, langs)
    sources = sorted((project / "content").rglob("*.md"))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                                f"{os.environ.get('PATH', '')}")
    out = tmp / "pandoc-out"
    out.mkdir()

    def pandoc_loop() -> float:
        start = time.perf_counter()
        queue = list(sources)
        lock = threading.Lock()
        failed = []

        def worker():
            while True:
                with lock:
                    if not queue:
                        return
                    src = queue.pop()
                done = subprocess.run(["pandoc", str(src), "--pdf-engine=weasyprint", "-o",
                                       str(out / f"{src.parent.name}.{src.stem}.pdf")],
                                      env=env, capture_output=True)
                if done.returncode:
                    failed.append(src)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failed:
            raise RuntimeError(f"pandoc failed on {len(failed)} files")
        return time.perf_counter() - start

    base = [*LEAFLET, "--project", str(project), "-q", "build", "-j", "2", "--no-site",
            "--layout", "standard", "--force"]
    run(base)  # the first build: records fits and times, makes the font instances
    theirs, ours = [], []
    for index in range(rounds):
        for name in (("pandoc", "leaflet") if index % 2 else ("leaflet", "pandoc")):
            if name == "pandoc":
                theirs.append(pandoc_loop())
            else:
                ours.append(run(base))
    say(f"pandoc loop: {stats(theirs)}; leaflet -j 2: {stats(ours)}; "
        f"pandoc / leaflet = {statistics.median(theirs) / statistics.median(ours):.1f}x "
        "(medians; target >= 8x)")
    say()


# ------------------------------------------------------------------ 3. parallel efficiency

def efficiency(project: Path, tmp: Path, rounds: int) -> None:
    """The sample matrix (30 outputs: 6 languages x 5 layouts), `leaflet build --no-site` as
    whole processes at -j 1 and -j 2, alternating; efficiency = T(-j 1) / (2 x T(-j 2))
    from the medians, start-up (Python, imports, workers) included. Two cases: a clean
    build (a new output folder each time: no cache, every fit searched, as in a fresh CI
    checkout) and a forced rebuild (--force: the cache's fits are reused)."""
    say("## 3. Parallel efficiency (the 30-output sample matrix)")
    say(efficiency.__doc__.replace("\n    ", "\n").strip())
    base = [*LEAFLET, "--project", str(project), "-q", "build", "--no-site"]
    run([*base, "-j", "2"])
    for case in ("clean build", "forced rebuild"):
        t1, t2 = [], []
        work: dict[str, list[float]] = {"1": [], "2": []}
        for index in range(rounds):
            for jobs in (("1", "2") if index % 2 else ("2", "1")):
                folder = (tmp / f"eff-{jobs}-{index}" if case == "clean build"
                          else project / "dist")
                where = (["--out", str(folder)] if case == "clean build" else ["--force"])
                (t1 if jobs == "1" else t2).append(run([*base, "-j", jobs, *where]))
                work[jobs].append(build_work(folder))
        e = statistics.median(t1) / (2 * statistics.median(t2))
        w1, w2 = statistics.median(work["1"]), statistics.median(work["2"])
        say(f"{case}: -j 1 {stats(t1)}; -j 2 {stats(t2)}; parallel efficiency {e:.2f} "
            "(target >= 0.85)")
        say(f"  the outputs' own work (sum of the manifest's seconds, medians): {w1:.2f} s at "
            f"-j 1, {w2:.2f} s at -j 2: two busy cores make each output {w2 / w1:.2f}x "
            f"slower, so even with no start-up and a perfect split the efficiency could "
            f"be at most {w1 / w2:.2f} on this machine")
    say()


def build_work(out: Path) -> float:
    """The seconds a build's outputs took, each in its own worker (manifest.json)."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return sum(entry.get("seconds", 0) for entry in manifest["outputs"])


# ------------------------------------------------------------------ 4. memory

def tree_memory(root: int) -> dict[int, tuple[int, int]]:
    """Memory of a process and all its descendants, by pid (from /proc): (proportional set
    size, resident set size) in bytes. The tree's sum is taken of the proportional sizes,
    so pages a forked worker shares with its parent count once, not twice; one process's
    growth of the resident size, which does not move when a sibling worker starts or ends
    (the proportional size does: shared pages are split among fewer or more processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        sizes = {line.split(":")[0]: int(line.split()[1]) * 1024
                 for line in rollup.splitlines() if line.startswith(("Pss:", "Rss:"))}
        found[pid] = (sizes["Pss"], sizes["Rss"])
        todo += children.get(pid, [])
    return found


def watch(args: list[str]) -> tuple[list[int], dict[int, list[int]]]:
    """Run ``args``; sample the process tree's memory every 20 ms: (the tree's proportional
    sum at each sample, each pid's resident sizes), in bytes."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sums, samples = [], {}
    while proc.poll() is None:
        sizes = tree_memory(proc.pid)
        sums.append(sum(pss for pss, _ in sizes.values()))
        for pid, (_, rss) in sizes.items():
            samples.setdefault(pid, []).append(rss)
        time.sleep(0.02)
    if proc.returncode:
        raise RuntimeError(f"{args} failed")
    return sums, samples


def memory(project: Path, big: Path, flat: Path, tmp: Path, outputs: int) -> None:
    """The peak of the whole process tree (parent + workers: their proportional set sizes
    summed, sampled every 20 ms) during a forced -j 2 build of the sample matrix. For a
    build of N outputs (every layout) at -j 2, the tree's peak in each fifth of the build:
    flat if the last fifth needs no more than the first. Each worker's growth, from a -j 2
    build of N standard-layout outputs (one layout, so that a worker's caches are full
    after its first outputs; in a mixed build a worker that meets its first tri-fold late
    loads that layout's template and stylesheet then, which is not growth): its largest
    resident size in the last fifth of its life less its resident size a fifth of the
    way in. Then one process making the N mixed outputs without replacement (the raw
    growth, inside WeasyPrint, that replacing workers bounds)."""
    say("## 4. Memory")
    say(memory.__doc__.replace("\n    ", "\n").strip())
    build = ["-q", "build", "-j", "2", "--force", "--no-site"]
    sums, _ = watch([*LEAFLET, "--project", str(project), *build])
    say(f"tree peak, sample matrix at -j 2: {max(sums) / 1e6:.0f} MB (target <= 300 MB)")
    sums, _ = watch([*LEAFLET, "--project", str(big), *build])
    fifth = len(sums) // 5
    peaks = [max(sums[i * fifth:(i + 1) * fifth or None]) / 1e6 for i in range(5)]
    say(f"N = {outputs} outputs, every layout, at -j 2: the tree's peak in each fifth of the "
        f"build {', '.join(f'{p:.0f}' for p in peaks)} MB")
    _, samples = watch([*LEAFLET, "--project", str(flat), *build, "--layout", "standard"])
    root_pid = min(samples)
    growth = []
    for pid, values in samples.items():
        if pid == root_pid or len(values) < 100:
            continue
        fifth = len(values) // 5
        growth.append((max(values[-fifth:]) - values[fifth]) / 1e6)
    say(f"N = {outputs} standard-layout outputs at -j 2: {len(growth)} worker processes over "
        f"the build; the largest growth of one worker {max(growth):.1f} MB (target <= 5 MB "
        f"over {outputs} outputs)")
    code = f"""
import os, sys, gc
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from leaflet import build
from leaflet.config import load_config
from leaflet.options import RenderOptions
config = load_config(Path({str(big)!r}))
jobs = build.plan(config).jobs
build._init_in_process(config, RenderOptions(), Path({str(tmp / 'raw-growth')!r}))
page = os.sysconf('SC_PAGE_SIZE')
rss = lambda: int(open('/proc/self/statm').read().split()[1]) * page / 1e6
marks = []
for n, job in enumerate(jobs, 1):
    build._run_job(job, 'bench')
    if n % 100 == 0:
        gc.collect(); marks.append((n, round(rss(), 1)))
print(marks)
"""
    marks = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    say(f"one process, no replacement, RSS (outputs, MB): {marks}")
    say()


# ------------------------------------------------------------------ 5. scale

def scale(tmp: Path, sizes: tuple[int, ...], rounds: int) -> None:
    """Projects of n copies of the English sample, standard layout, `leaflet build -j 2
    --force --no-site` as whole processes (after one unmeasured build), cost per PDF."""
    say("## 5. Scale")
    say(scale.__doc__.replace("\n    ", "\n").strip())
    for n in sizes:
        project = make_scaled(tmp / f"scale-{n}", n)
        args = [*LEAFLET, "--project", str(project), "-q", "build", "-j", "2", "--no-site",
                "--layout", "standard", "--force"]
        run(args)
        times = [run(args) for _ in range(rounds)]
        say(f"{n} PDFs: {stats(times)} = {statistics.median(times) / n * 1000:.0f} ms per PDF")
    say()


# ------------------------------------------------------------------ 6. shards

def shards(tmp: Path, copies: int) -> None:
    """N English leaflets x 5 layouts, built 4 ways as 4 CI runners would (each
    shard `leaflet build --shard K/4 -j 2 --no-site` into a new folder, one after the
    other here), by hash and by the durations a previous full build recorded; the slowest
    shard against the mean. Two rounds, the eight shard builds in reverse order in the
    second, each shard's faster time kept: the machine's speed drifting over a run does
    not pass for imbalance."""
    say("## 6. Balanced shards")
    say(f"N = {copies}: " + shards.__doc__.replace("\n    ", "\n").strip())
    project = make_scaled(tmp / "shards", copies)
    base = [*LEAFLET, "--project", str(project), "-q", "build", "-j", "2", "--no-site"]
    run([*base, "--out", str(tmp / "shards-full")])
    manifest = tmp / "shards-full" / "manifest.json"
    splits = {"hash": [], "durations": ["--durations", str(manifest)]}
    builds = [(how, k) for how in splits for k in range(1, 5)]
    times: dict[tuple[str, int], float] = {}
    for index, order in enumerate((builds, builds[::-1])):
        for how, k in order:
            spent = run([*base, "--shard", f"{k}/4", *splits[how],
                         "--out", str(tmp / f"shard-{how}-{k}-{index}")])
            times[how, k] = min(spent, times.get((how, k), spent))
    for how in splits:
        times_of = [times[how, k] for k in range(1, 5)]
        mean = statistics.mean(times_of)
        say(f"by {how}: shards {', '.join(f'{t:.1f}' for t in times_of)} s; slowest / mean = "
            f"{max(times_of) / mean:.2f}" + (" (target <= 1.15)" if how == "durations" else ""))
    say()


# ------------------------------------------------------------------ 7. start-up

def startup(project: Path) -> None:
    say("## 7. Start-up and no-op rebuilds")
    help_time = min(run([*LEAFLET, "--help"]) for _ in range(5))
    say(f"leaflet --help: {help_time:.3f} s (min of 5; target <= 0.2 s)")
    base = [*LEAFLET, "--project", str(project), "-q", "build", "-j", "2"]
    full = run([*base, "--force"])
    noop = min(run(base) for _ in range(3))
    say(f"full build (with the web version) {full:.2f} s; no-op rebuild {noop:.3f} s "
        f"= {noop / full:.3f} of it (min of 3)")
    say()


# ------------------------------------------------------------------ engine fixes

def engine_fix_cost(project: Path, rounds: int = 15) -> dict[str, tuple[float, float]]:
    """{lang: (ms per PDF with the fixes on, off)}: standard layout (tagged), warm, in this
    process, on and off interleaved (their order alternating) round by round; medians of
    CPU time. Off is WeasyPrint 70.0's own code (the hooks pass straight through)."""
    sys.path.insert(0, str(REPO))
    from leaflet import engine
    from leaflet.config import load_config
    from leaflet.content import load_leaflet
    from leaflet.layouts import get_layout
    from leaflet.options import RenderOptions
    from leaflet.produce import produce
    from leaflet.render import Renderer

    renderer = Renderer(load_config(project))
    layout, options = get_layout("standard"), RenderOptions()
    langs = ("en", "ar", "hi")
    leaflets = {lang: load_leaflet(project / "content" / "als-twitching" / f"{lang}.md")
                for lang in langs}
    times: dict[tuple[str, bool], list[float]] = {(lang, on): [] for lang in langs
                                                  for on in (True, False)}
    for lang in langs:  # warm up both paths
        for on in (True, False):
            with (contextlib.nullcontext() if on else engine.switched_off(*engine.NAMES)):
                produce(renderer, leaflets[lang], layout, options)
    for index in range(rounds):
        for lang in langs:
            for on in ((True, False) if index % 2 else (False, True)):
                with (contextlib.nullcontext() if on else engine.switched_off(*engine.NAMES)):
                    # CPU time of this process: other work on the machine counts less.
                    start = time.process_time()
                    produce(renderer, leaflets[lang], layout, options)
                    times[lang, on].append(time.process_time() - start)
    return {lang: (statistics.median(times[lang, True]) * 1000,
                   statistics.median(times[lang, False]) * 1000) for lang in langs}


def text_layer(project: Path) -> None:
    """Words of each sample leaflet's Markdown found in the text extracted from its
    standard PDF (NFC, words hyphenated at a line end joined again; the scoring of
    tests/test_engine.py), with the engine fixes off (WeasyPrint 70.0 as it is) and on,
    by three extractors: poppler's pdftotext, pypdfium2 and pypdf."""
    say("## Text layer (words of the Markdown found in the standard PDF's text)")
    say(text_layer.__doc__.replace("\n    ", "\n").strip())
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "tests"))
    from test_engine import pdfium_text, pypdf_text, scores

    from leaflet import engine
    from leaflet.config import load_config
    from leaflet.content import load_leaflet
    from leaflet.layouts import get_layout
    from leaflet.options import RenderOptions
    from leaflet.produce import produce
    from leaflet.render import Renderer

    def poppler_text(pdf: bytes) -> str:
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf,
                              capture_output=True, check=True)
        return done.stdout.decode("utf-8")

    extractors = [("pypdfium2", pdfium_text), ("pypdf", pypdf_text)]
    if shutil.which("pdftotext"):
        extractors.insert(0, ("pdftotext", poppler_text))
    else:
        say("pdftotext is not installed (scripts/system-deps.sh --bench installs it): skipped")
    renderer = Renderer(load_config(project))
    say()
    say("| language | fixes off: " + " / ".join(n for n, _ in extractors)
        + " | fixes on: " + " / ".join(n for n, _ in extractors) + " |")
    say("|---|---|---|")
    for lang in ("en", "es", "fr", "pl", "hi", "ar"):
        leaflet = load_leaflet(project / "content" / "als-twitching" / f"{lang}.md")
        row = []
        for on in (False, True):
            with (contextlib.nullcontext() if on else engine.switched_off(*engine.NAMES)):
                pdf = produce(renderer, leaflet, get_layout("standard"), RenderOptions()).pdf
            row.append(" / ".join(f"{scores(lang, extract(pdf))[0] * 100:.1f} %"
                                  for _, extract in extractors))
        say(f"| {lang} | {row[0]} | {row[1]} |")
    say()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller scales")
    parser.add_argument("--engine", action="store_true",
                        help="only the cost of the WeasyPrint engine fixes")
    parser.add_argument("--record", type=Path, help="also write the results to this file")
    parser.add_argument("--only", help="comma-separated sections: engine,text,layouts,pandoc,"
                                       "efficiency,memory,scale,shards,startup")
    args = parser.parse_args()
    quick = args.quick
    only = set(args.only.split(",")) if args.only else None

    def wanted(name: str) -> bool:
        return only is None or name in only

    say(f"# leaflet benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = os.getloadavg()[0]
    say(f"machine: {cpu}, {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}; load average at start {load:.2f}")
    say("versions: " + ", ".join(f"{d} {md.version(d)}" for d in
                                 ("weasyprint", "pydyf", "fonttools", "pikepdf", "jinja2",
                                  "clinic-leaflets")))
    say()
    # leaflet's own modules compiled once, as installing a wheel does: with
    # PYTHONDONTWRITEBYTECODE set (as on these machines) an editable install would
    # otherwise compile them from source at every start of every measured command.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "leaflet")],
                   check=True, env={k: v for k, v in os.environ.items()
                                    if k != "PYTHONDONTWRITEBYTECODE"})
    tmp = Path(tempfile.mkdtemp(prefix="leaflet-bench-"))
    try:
        project = copy_sample(tmp / "sample")
        run([*LEAFLET, "--project", str(project), "-q", "build", "-j", "2"])  # fonts, fits
        if args.engine or wanted("engine"):
            say("## Engine fixes (standard PDF, CPU time, medians)")
            for lang, (on, off) in engine_fix_cost(project, 6 if quick else 25).items():
                say(f"{lang}: {on:.0f} ms on vs {off:.0f} ms off = {on / off:.3f}x"
                    + (" (target <= 1.05)" if lang == "en" else ""))
            say()
            if args.engine:
                return
        if wanted("text"):
            text_layer(project)
        if wanted("layouts"):
            per_layout(project, 3 if quick else 6)
        if wanted("pandoc"):
            pandoc_comparison(tmp, 1 if quick else 3)
        if wanted("efficiency"):
            efficiency(project, tmp, 2 if quick else 5)
        if wanted("memory"):
            count = 200 if quick else 800
            big = make_scaled(tmp / "memory", count // 5)  # all five layouts: count outputs
            flat = make_scaled(tmp / "memory-standard", count)  # built --layout standard
            memory(project, big, flat, tmp, count)
        if wanted("scale"):
            scale(tmp, (20, 100) if quick else (20, 100, 400), 1 if quick else 3)
        if wanted("shards"):
            shards(tmp, 16 if quick else 80)
        if wanted("startup"):
            startup(project)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if args.record:
            args.record.parent.mkdir(parents=True, exist_ok=True)
            args.record.write_text("\n".join(OUT) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
