"""`hive volume-status`: collection over hives with a fake runner, report and exit status."""

from pathlib import Path

import pytest

from hive_builder.cli import volume_status as vs
from hive_builder.errors import HiveError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "drbd_status"
HIVES = ["hive0.x", "hive1.x", "hive2.x"]


def fake_runner(scenario: str):
    calls = []

    def run(host, command):
        calls.append((host, command))
        path = FIXTURES / f"{scenario}__{host}.txt"
        return (0, path.read_text()) if path.exists() else (10, "")
    run.calls = calls
    return run


def test_healthy_resource_is_reported_ok_with_one_ssh_per_hive():
    run = fake_runner("sync")
    seen = vs.collect(HIVES, ["vol1"], run)
    text, healthy = vs.report(seen)
    assert [h for h, _ in run.calls] == HIVES
    assert "volume vol1" in text and "hive0.x" in text
    assert healthy


def test_standalone_pattern_is_flagged_with_the_documented_repair():
    seen = vs.collect(HIVES, ["vol1"], fake_runner("standalone"))
    text, healthy = vs.report(seen)
    assert not healthy
    assert "disconnect" in text and "connect" in text


def test_hive_that_does_not_answer_counts_as_resource_not_up():
    seen = vs.collect(HIVES, ["vol1"], fake_runner("nosuch"))
    assert seen == {"vol1": {h: None for h in HIVES}}
    _, healthy = vs.report(seen)
    assert not healthy


class _Created:
    def __init__(self, drbd, stages):
        self.volume = type("V", (), {"drbd": drbd})()
        self.stages = stages


def test_volume_selection_and_unknown_names():
    site = type("S", (), {"volumes": {"a": _Created(object(), ("private",)),
                                      "b": _Created(None, ("private",)),
                                      "c": _Created(object(), ("staging",))}})()
    assert vs.drbd_volumes(site, "private", None) == ["a"]
    with pytest.raises(HiveError, match="no DRBD volume named c"):
        vs.drbd_volumes(site, "private", ["c"])


def test_emulated_drbd_is_read_from_provider_facts(tmp_path):
    assert not vs.emulated(tmp_path)
    (tmp_path / "provider_facts.yml").write_text("drbd: emulated\nipvs: false\n")
    assert vs.emulated(tmp_path)
