"""Records of a build and the files that report them: ``manifest.json``, merged shard
manifests and the JUnit report. Cheap to import (no renderer)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from . import __version__
from .errors import LeafletError
from .files import atomic_write, read_json

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Job:
    slug: str
    lang: str
    layout: str
    source: Path
    output: Path  # relative to the output folder

    @property
    def name(self) -> str:
        return f"{self.slug}.{self.lang}.{self.layout}"


@dataclass
class Result:
    job: Job
    status: str  # built, cached, failed, skipped
    sha256: str = ""
    pages: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    key: str = ""
    # How the layout's fit policy came out: {"body_pt": 20.5, "padding": 0, "renders": 3}.
    fit: dict = field(default_factory=dict)
    # For `build -vv`: the cache decision, the time of each step, the files read.
    details: list[str] = field(default_factory=list)
    # The project files the output read, with their hashes (the build cache checks them).
    reads: dict = field(default_factory=dict)
    # The proof's findings on the laid-out pages (proof.Finding.record): check, page,
    # where, text, message. Each is one of the warnings too.
    proof: list[dict] = field(default_factory=list)

    def manifest_entry(self) -> dict:
        return {
            "slug": self.job.slug, "lang": self.job.lang, "layout": self.job.layout,
            "path": self.job.output.as_posix(), "sha256": self.sha256, "pages": self.pages,
            "bytes": self.bytes, "status": self.status, "warnings": self.warnings,
            "error": self.error, "proof": self.proof,
            # What building it cost (this run): --durations balances shards with it.
            "seconds": round(self.seconds, 3), "renders": self.fit.get("renders", 0),
        }


def output_path(slug: str, lang: str, layout: str) -> Path:
    return Path(slug) / f"{slug}.{lang}.{layout}.pdf"



@dataclass
class Summary:
    results: list[Result]
    seconds: float
    interrupted: bool = False
    site: object = None  # the web version's site.SiteSummary, when one was written
    shard: dict | None = None  # how a sharded build took its part (build.plan)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def findings(self) -> int:
        """The proof's findings on every output built or kept."""
        return sum(len(r.proof) for r in self.results if r.status in ("built", "cached"))

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == "failed"]

    def line(self) -> str:
        parts = [f"{self.count('built')} built", f"{self.count('cached')} cached",
                 f"{self.count('failed')} failed"]
        if self.count("skipped"):
            parts.append(f"{self.count('skipped')} skipped")
        if self.findings:
            parts.append(f"{self.findings} proof finding{'s' if self.findings > 1 else ''}")
        text = ", ".join(parts) + f" in {self.seconds:.1f} s"
        return text + (" (interrupted)" if self.interrupted else "")


def write_manifest(path: Path, summary: Summary) -> None:
    entries = sorted((r.manifest_entry() for r in summary.results),
                     key=lambda e: (e["slug"], e["lang"], e["layout"]))
    data = {"generator": f"leaflet {__version__}", "outputs": entries}
    if summary.site is not None:
        data["site"] = summary.site.manifest()
    if summary.shard is not None:
        data["shard"] = summary.shard
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False).encode())


def merge_manifests(paths: list[Path]) -> dict:
    """Combine shard manifests; an output listed twice keeps its last, best-known state."""
    rank = {"failed": 3, "built": 2, "cached": 1, "skipped": 0}
    merged: dict[str, dict] = {}
    for path in paths:
        data = read_json(path)
        outputs = data.get("outputs")
        if not isinstance(outputs, list):
            raise LeafletError("not a leaflet manifest (no 'outputs' list)", path)
        for entry in outputs:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                raise LeafletError("manifest entry without a path", path)
            old = merged.get(entry["path"])
            if old is None or rank.get(entry.get("status"), 0) >= rank.get(old.get("status"), 0):
                merged[entry["path"]] = entry
    entries = sorted(merged.values(), key=lambda e: (str(e.get("slug", "")),
                                                     str(e.get("lang", "")),
                                                     str(e.get("layout", "")), e["path"]))
    return {"generator": f"leaflet {__version__}", "outputs": entries}


SHARD_NAME = re.compile(r"manifest\.shard-(\d+)-of-(\d+)\.json")


def shard_manifest_name(index: int, total: int) -> str:
    return f"manifest.shard-{index}-of-{total}.json"


def shard_warnings(paths: list[Path]) -> list[str]:
    """What is wrong with a set of shard manifests (``manifest.shard-K-of-N.json``): a
    shard missing (its outputs are not in the merge), given twice, or another N."""
    shards = [(int(m.group(1)), int(m.group(2)), path) for path in paths
              if (m := SHARD_NAME.fullmatch(path.name))]
    if not shards:
        return []
    warnings = []
    totals = sorted({total for _, total, _ in shards})
    if len(totals) > 1:
        warnings.append(f"the manifests come from builds split {' and '.join(map(str, totals))}"
                        " ways (--shard K/N with different N): merge one build's shards")
    for total in totals:
        counts = Counter(index for index, n, _ in shards if n == total)
        missing = [k for k in range(1, total + 1) if k not in counts]
        if missing:
            names = ", ".join(shard_manifest_name(k, total) for k in missing)
            warnings.append(f"shard{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(map(str, missing))} of {total} "
                            f"{'are' if len(missing) > 1 else 'is'} missing ({names}): "
                            "the merged manifest lacks their outputs")
        for index in sorted(k for k, c in counts.items() if c > 1):
            given = ", ".join(str(path) for k, n, path in shards if (k, n) == (index, total))
            warnings.append(f"shard {index} of {total} is given {counts[index]} times ({given}):"
                            " the last one read wins")
    # Shards split by recorded durations must all have read the same ones, or some outputs
    # were built twice and others never.
    splits = {}
    for _, _, path in shards:
        split = read_json(path).get("shard")
        if isinstance(split, dict):
            splits[path] = (split.get("by"), split.get("durations"))
    if len(set(splits.values())) > 1:
        listing = "; ".join(f"{path.name}: by {by}" + (f" {digest}" if digest else "")
                            for path, (by, digest) in splits.items())
        warnings.append("the shards were not split alike (" + listing + "): give every "
                        "runner the same --durations file, or none; outputs may be missing "
                        "or built twice")
    return warnings


def junit_xml(summary: Summary, root: Path | None = None, strict: bool = False) -> bytes:
    """One test case per output, so any CI shows which leaflet broke; ``file`` is
    relative to the project folder ``root``, as CI annotations expect. The proof's
    findings are in each case's output, and with ``strict`` (build --strict) fail it."""
    proofed = [r for r in summary.results if r.proof and r.status in ("built", "cached")]
    failures = summary.count("failed") + (len(proofed) if strict else 0)
    suite = ET.Element("testsuite", name="leaflet", tests=str(len(summary.results)),
                       failures=str(failures), errors="0",
                       skipped=str(summary.count("skipped")), time=f"{summary.seconds:.3f}")
    for r in sorted(summary.results, key=lambda r: r.job.name):
        case = ET.SubElement(suite, "testcase", classname=f"leaflet.{r.job.slug}",
                             name=f"{r.job.lang}.{r.job.layout}", time=f"{r.seconds:.3f}",
                             file=_relative(r.job, root))
        if r.status == "failed":
            failure = ET.SubElement(case, "failure", message=r.error.splitlines()[0][:500])
            failure.text = r.error
        elif r.status == "skipped":
            ET.SubElement(case, "skipped", message=r.error)
        elif strict and r in proofed:
            count = len(r.proof)
            failure = ET.SubElement(case, "failure", type="proof",
                                    message=f"{count} proof finding{'s' if count > 1 else ''}"
                                            " (--strict)")
            failure.text = "\n".join(f"{f['where']}: {f['message']}" for f in r.proof)
        if r.warnings:
            ET.SubElement(case, "system-out").text = "\n".join(r.warnings)
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="utf-8", xml_declaration=True)


def _relative(job: Job, root: Path | None) -> str:
    source = job.source if job.source != Path() else Path("content") / job.slug
    if root is not None and source.is_absolute():
        try:
            return source.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return source.as_posix()
