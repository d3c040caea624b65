"""Benchmark leaflet builds; prints ratios measured side by side in one run.

Usage:  make bench   (or: .venv/bin/python bench/bench.py [--quick])

Not part of `make test`: timings belong here, not in assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata as md
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LEAFLET = [sys.executable, "-m", "leaflet"]


def run(args, **kw) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - start


def best(fn, repeat=3) -> float:
    return min(fn() for _ in range(repeat))


def copy_sample(dest: Path) -> Path:
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(
        ".venv", ".git", "dist", "tests", "bench", "__pycache__", "*.egg-info"))
    return dest


def per_pdf_overhead(project: Path) -> tuple[float, float, int]:
    """(leaflet per PDF, WeasyPrint alone per PDF, count), warm, in this process.

    leaflet builds every standard-layout output of the project in one in-process build
    (-j1, forced): loading, checking, rendering, writing, cache and manifest included.
    WeasyPrint alone renders the same final HTML with the same stylesheets and fonts.
    """
    sys.path.insert(0, str(REPO))
    from weasyprint import HTML

    from leaflet import i18n
    from leaflet.build import build, plan
    from leaflet.config import load_config
    from leaflet.content import load_leaflet
    from leaflet.fetch import make_fetcher
    from leaflet.layouts import get_layout
    from leaflet.options import RenderOptions
    from leaflet.produce import pdf_options
    from leaflet.render import Renderer

    config = load_config(project)
    the_plan = plan(config, layouts=["standard"])
    out = project / "bench-out"
    build(config, the_plan, out, force=True)  # warm up
    start = time.perf_counter()
    build(config, the_plan, out, force=True)
    ours = (time.perf_counter() - start) / len(the_plan.jobs)

    renderer = Renderer(config)
    layout = get_layout("standard")
    fetcher = make_fetcher(renderer.allowed_roots())
    prepared = []
    for job in the_plan.jobs:
        leaflet = load_leaflet(job.source)
        catalog = i18n.load_catalog(leaflet.lang, config.root)
        html = renderer.render_html(leaflet, layout, catalog, RenderOptions(), layout.body_pt)
        sheets = renderer._stylesheets(leaflet, layout, fetcher, layout.body_pt)
        prepared.append((leaflet, html, sheets))

    def alone():
        for leaflet, html, sheets in prepared:
            HTML(string=html, base_url=leaflet.path.resolve().as_uri(), url_fetcher=fetcher) \
                .render(font_config=renderer._font_config, stylesheets=sheets) \
                .write_pdf(**pdf_options(leaflet, layout))

    alone()
    start = time.perf_counter()
    alone()
    theirs = (time.perf_counter() - start) / len(prepared)
    return ours, theirs, len(prepared)


def engine_fix_cost(project: Path, rounds: int = 15) -> dict[str, tuple[float, float]]:
    """{lang: (ms per PDF with the fixes on, off)}: standard layout (tagged), warm, in this
    process, on and off interleaved (their order alternating) round by round; medians of
    CPU time. Off is WeasyPrint 70.0's own code (the hooks pass straight through)."""
    import statistics

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


def pandoc_comparison(project: Path, tmp: Path, leaflet_per_pdf: float) -> None:
    """A loop of `pandoc --pdf-engine=weasyprint`, one process per file, as people do."""
    if not shutil.which("pandoc"):
        print("pandoc: not installed, comparison skipped")
        return
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                                f"{os.environ.get('PATH', '')}")
    sources = sorted((project / "content").rglob("*.md"))
    out = tmp / "pandoc"
    out.mkdir()
    start = time.perf_counter()
    made = 0
    for src in sources:
        done = subprocess.run(["pandoc", str(src), "--pdf-engine=weasyprint", "-o",
                               str(out / f"{src.stem}.pdf")], env=env, capture_output=True)
        made += done.returncode == 0
    each = (time.perf_counter() - start) / len(sources)
    if made != len(sources):
        print(f"pandoc: {len(sources) - made} of {len(sources)} files failed; comparison skipped")
        return
    print(f"pandoc --pdf-engine=weasyprint loop: {each * 1000:.0f} ms per PDF; leaflet -j2 "
          f"(standard layout, 100 leaflets): {leaflet_per_pdf * 1000:.0f} ms per PDF = "
          f"{each / leaflet_per_pdf:.1f}x faster (target >= 10x)")


def make_scaled(dest: Path, n: int) -> Path:
    project = copy_sample(dest)
    source = (project / "content" / "als-twitching" / "en.md").read_text()
    shutil.rmtree(project / "content")
    for i in range(n):
        folder = project / "content" / f"leaflet-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "en.md").write_text(source.replace("Muscle twitching and ALS",
                                                     f"Muscle twitching {i}"))
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller scale run")
    parser.add_argument("--engine", action="store_true",
                        help="only the cost of the WeasyPrint engine fixes")
    args = parser.parse_args()
    cpus = os.cpu_count()
    print(f"machine: {platform.platform()}, {cpus} CPUs, Python {platform.python_version()}")
    print("versions: " + ", ".join(f"{d} {md.version(d)}" for d in
                                   ("weasyprint", "pydyf", "fonttools", "pypdf", "leaflet")))
    tmp = Path(tempfile.mkdtemp(prefix="leaflet-bench-"))
    try:
        project = copy_sample(tmp / "sample")
        base = [*LEAFLET, "--project", str(project), "-q", "build"]

        help_time = best(lambda: run([*LEAFLET, "--help"]), 5)
        print(f"leaflet --help: {help_time:.3f} s (target <= 0.2 s)")

        for lang, (on, off) in engine_fix_cost(project, 6 if args.quick else 15).items():
            print(f"engine fixes, {lang} standard PDF: {on:.0f} ms on vs {off:.0f} ms off = "
                  f"{on / off:.3f}x" + (" (target <= 1.05)" if lang == "en" else ""))
        if args.engine:
            return

        ours, alone, count = per_pdf_overhead(project)
        print(f"per-PDF cost ({count} standard PDFs, 6 languages): leaflet {ours * 1000:.1f} ms"
              f" vs WeasyPrint alone {alone * 1000:.1f} ms = {ours / alone:.2f}x "
              "(target <= 1.15)")

        out1, out2 = tmp / "out-j1", tmp / "out-j2"
        t1 = best(lambda: run([*base, "-j", "1", "--force", "--out", str(out1)]), 2)
        t2 = best(lambda: run([*base, "-j", "2", "--force", "--out", str(out2)]), 2)
        pdfs = len(list(out1.rglob("*.pdf")))
        print(f"full sample matrix ({pdfs} PDFs): -j1 {t1:.2f} s, -j2 {t2:.2f} s, "
              f"parallel efficiency {t1 / (2 * t2):.2f} (target >= 0.85)")

        noop = best(lambda: run([*base, "-j", "2", "--out", str(out2)]), 3)
        print(f"no-op rebuild: {noop:.3f} s = {noop / t2:.3f} of a full build (target <= 0.02)")

        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        run([*base, "-j", "2", "--force", "--out", str(tmp / "out-mem")])
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"peak memory of a build process: {max(peak, before) / 1024:.0f} MB "
              "(target <= 250 MB per worker)")

        sizes = (20, 100) if args.quick else (20, 100, 400)
        per_pdf = {}
        for n in sizes:
            scaled = make_scaled(tmp / f"scale-{n}", n)
            t = run([*LEAFLET, "--project", str(scaled), "-q", "build", "-j", "2",
                     "--layout", "standard"])
            per_pdf[n] = t / n
            print(f"scale: {n} PDFs in {t:.2f} s = {t / n * 1000:.0f} ms per PDF")

        pandoc_comparison(project, tmp, per_pdf[100])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
