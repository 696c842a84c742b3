"""The benchmark, end to end on a tiny workload. Timings are never asserted:
they depend on the machine; what is checked is that every runner was
measured and finished its sagas, and that the JSON rows say so."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.bench import BENCH_RUNNERS
from {{ cookiecutter.package_name }}.runtime import Database

PACKAGE = "{{ cookiecutter.package_name }}"
KEYS = {
    "runner",
    "database",
    "sagas_per_second",
    "events_per_second",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "peak_rss_mb",
    "processes",
}


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, "bench", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_bench_measures_every_runner_and_writes_json_rows(
    shared_database: Database, tmp_path: Path
) -> None:
    report = tmp_path / "bench.json"
    result = bench(
        "--orders",
        "5",
        "--latency-orders",
        "3",
        "--database",
        shared_database.url,
        "--json",
        str(report),
    )
    assert result.returncode == 0, result.stderr
    assert "sagas/s" in result.stdout  # the table's header
    rows = json.loads(report.read_text())
    assert [row["runner"] for row in rows] == list(BENCH_RUNNERS)
    for row in rows:
        assert row.keys() >= KEYS
        assert row["database"] == shared_database.dialect
        assert row["completed"] == row["orders"] == 5, row
        assert row["error"] is None
        assert row["sagas_per_second"] > 0
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
        assert row["peak_rss_mb"] > 0
    processes = {row["runner"]: row["processes"] for row in rows}
    assert processes["multiprocess"] == 4  # the supervisor and one worker each
    assert processes["single"] == processes["library-multithreaded"] == 1
    # Each measurement had a database of its own, and left nothing behind.
    if shared_database.sqlite_path is not None:
        assert not list(shared_database.sqlite_path.parent.glob("bench-*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runner", "threads"], "unknown runner 'threads'"),
        (["--database", "memory"], "not 'memory'"),
        (["--orders", "0"], "must be at least 1"),
    ],
)
def test_bench_refuses_bad_settings_in_one_line(args: list[str], message: str) -> None:
    result = bench(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
