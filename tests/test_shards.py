"""Shards balanced by recorded build times: every CI runner finishes at about the same time."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from leaflet.build import LAYOUT_COST, balanced_shards, in_shard, plan
from leaflet.config import load_config
from leaflet.manifest import Job, output_path


def matrix(count: int) -> list[Job]:
    """``count`` leaflets × five layouts, as a health board's matrix."""
    return [Job(f"leaflet-{i:03d}", "en", layout, Path(f"content/leaflet-{i:03d}/en.md"),
                output_path(f"leaflet-{i:03d}", "en", layout))
            for i in range(count) for layout in LAYOUT_COST]


def recorded_times(jobs: list[Job], seed: int = 1) -> dict[str, float]:
    """Times like a real build's: a layout's cost, varied by length (posters 3-5 renders)."""
    rng = random.Random(seed)
    return {job.output.as_posix(): LAYOUT_COST[job.layout] * 0.15 * rng.uniform(0.6, 1.8)
            for job in jobs}


def loads(shards: dict[Job, int], times: dict[str, float], total: int) -> list[float]:
    sums = [0.0] * total
    for job, index in shards.items():
        sums[index - 1] += times[job.output.as_posix()]
    return sums


@pytest.mark.parametrize("total", [2, 4, 7])
def test_balanced_shards_take_every_output_once_and_come_out_even(total):
    jobs = matrix(80)  # 400 outputs
    times = recorded_times(jobs)
    shards = balanced_shards(jobs, total, times)
    assert set(shards) == set(jobs) and set(shards.values()) == set(range(1, total + 1))
    balanced = loads(shards, times, total)
    mean = sum(balanced) / total
    assert max(balanced) <= 1.02 * mean  # the target is 1.15
    # By hash, the same outputs come out uneven (the shard that draws the posters is slow).
    by_hash = loads({job: next(k for k in range(1, total + 1) if in_shard(job, k, total))
                     for job in jobs}, times, total)
    assert max(by_hash) > max(balanced)


def test_the_split_is_the_same_on_every_runner():
    jobs = matrix(30)
    times = recorded_times(jobs)
    shuffled = jobs[::-1]
    assert balanced_shards(jobs, 4, times) == balanced_shards(shuffled, 4, dict(times))


def test_outputs_not_yet_timed_count_by_their_layout():
    jobs = matrix(20)
    times = recorded_times(jobs[:50])  # half the outputs are new
    shards = balanced_shards(jobs, 2, times)
    assert set(shards) == set(jobs)


def add_leaflets(project: Path, count: int) -> None:
    source = (project / "content" / "sample" / "en.md").read_text()
    for i in range(count):
        folder = project / "content" / f"extra-{i}"
        folder.mkdir()
        (folder / "en.md").write_text(source.replace("Sample leaflet title", f"Extra {i}"))


def test_sharded_builds_split_by_the_last_manifest_and_merge_whole(project, run, tmp_path):
    add_leaflets(project, 3)
    args = ["--project", project, "build", "-j", "1", "--layout", "standard", "--layout",
            "poster"]
    assert run(args).exit_code == 0  # the full build records each output's time
    out = project / "dist"
    everything = {e["path"] for e in json.loads((out / "manifest.json").read_text())["outputs"]}
    for k in (1, 2):
        result = run([*args, "--shard", f"{k}/2", "--out", tmp_path / f"runner-{k}",
                      "--durations", out / "manifest.json"])
        assert result.exit_code == 0, result.output
    shards = [tmp_path / f"runner-{k}" / f"manifest.shard-{k}-of-2.json" for k in (1, 2)]
    splits = [json.loads(p.read_text())["shard"] for p in shards]
    assert {s["by"] for s in splits} == {"durations"} and len({s["durations"] for s in splits}) == 1
    merged = tmp_path / "merged.json"
    result = run(["merge-manifests", *shards, "--out", merged])
    assert result.exit_code == 0 and "warning" not in result.output.lower(), result.output
    outputs = [e["path"] for e in json.loads(merged.read_text())["outputs"]]
    assert sorted(outputs) == sorted(everything)


def test_shards_split_differently_are_reported_when_merged(project, run, tmp_path):
    add_leaflets(project, 2)
    args = ["--project", project, "build", "-j", "1"]
    assert run(args).exit_code == 0
    first = run([*args, "--shard", "1/2", "--out", tmp_path / "a",
                 "--durations", project / "dist" / "manifest.json"])
    second = run([*args, "--shard", "2/2", "--out", tmp_path / "b"])  # no durations: by hash
    assert first.exit_code == second.exit_code == 0
    result = run(["merge-manifests", tmp_path / "a" / "manifest.shard-1-of-2.json",
                  tmp_path / "b" / "manifest.shard-2-of-2.json", "--out", tmp_path / "m.json"])
    assert "the shards were not split alike" in result.output


def test_durations_need_a_shard_and_a_manifest(project, run, tmp_path):
    result = run(["--project", project, "build", "--durations", tmp_path / "x.json"])
    assert result.exit_code == 2 and "use it with --shard K/N" in result.output
    (tmp_path / "x.json").write_text("{}")
    result = run(["--project", project, "build", "--shard", "1/2",
                  "--durations", tmp_path / "x.json"])
    assert result.exit_code == 1
    assert "--durations needs the manifest.json of an earlier build" in result.output


def test_without_durations_shards_keep_the_hash_split(project):
    add_leaflets(project, 6)
    config = load_config(project)
    jobs = plan(config).jobs
    part = plan(config, shard=(1, 3)).jobs
    assert part == [job for job in jobs if in_shard(job, 1, 3)]
