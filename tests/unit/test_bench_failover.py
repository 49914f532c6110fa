"""Pure parts of bench/bench_failover.py: node-name mapping and the per-case summary."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "bench_failover", Path(__file__).resolve().parents[2] / "bench" / "bench_failover.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_swarm_node_short_name_maps_to_inventory_host():
    site = bench.Site(["p-hive0.ha", "p-hive1.ha"], "hastate")
    assert site.host("p-hive1") == "p-hive1.ha"
    assert site.host("p-hive0.ha") == "p-hive0.ha"
    assert site.host("elsewhere") == "elsewhere"


def test_summary_gives_min_median_max_per_case_and_counts_misses():
    results = [{"case": "leader", "docker_stop_s": 1.0, "node_down_s": 5.0, "task_s": t, "http_s": h}
               for t, h in ((20.0, 21.0), (30.0, None), (25.0, 22.0))]
    lines = bench.summary(results)
    task = next(line for line in lines if "task_s" in line)
    assert "min  20.0" in task and "median  25.0" in task and "max  30.0" in task and "(n=3)" in task
    http = next(line for line in lines if "http_s" in line)
    assert "median  21.5" in http and "(n=2, 1 never)" in http
    assert all(line.startswith("leader") for line in lines)


def test_hives_exclude_the_repository_server(tmp_path):
    ctx = tmp_path / ".hive" / "private"
    ctx.mkdir(parents=True)
    (ctx / "ssh_config").write_text("Host p-hive0.x\n  HostName 10.0.0.4\nHost p-hive1.x\n  HostName 10.0.0.5\n"
                                    "Host p-hive2.x\n  HostName 10.0.0.6\n")
    assert bench.hives_of(tmp_path, "private") == ["p-hive0.x", "p-hive1.x"]
