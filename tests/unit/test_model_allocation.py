"""Allocation of published ports and DRBD device ids (model/allocation.py)."""

from __future__ import annotations

from hive_builder.model.allocation import Claim, MemoryStore, allocate, allocate_stage
from hive_builder.model.ports import Port
from hive_builder.model.problems import Problems, Where
from hive_builder.model.volumes import DrbdSpec, Volume


def claim(problems, key, number=None, scope="tcp", legacy=None):
    return Claim(key, number, Where(problems, "f.yml", f"claim {key}"), scope, legacy)


def test_auto_numbers_skip_recorded_and_explicit():
    p = Problems()
    numbers, mapping = allocate([claim(p, "a"), claim(p, "b", 61002), claim(p, "c")],
                                {"old": 61001}, 61001, 61010, "port")
    assert numbers == {"a": 61003, "b": 61002, "c": 61004}
    assert mapping == {"old": 61001, "a": 61003, "b": 61002, "c": 61004}
    assert not p.errors


def test_recorded_number_is_reused():
    p = Problems()
    numbers, _ = allocate([claim(p, "a"), claim(p, "b")], {"b": 61005}, 61001, 61010, "port")
    assert numbers == {"a": 61001, "b": 61005}


def test_recorded_explicit_number_outside_range_is_not_reused_as_auto():
    p = Problems()
    numbers, _ = allocate([claim(p, "a")], {"a": 80}, 61001, 61010, "port")
    assert numbers == {"a": 61001}


def test_exhaustion_is_an_error():
    p = Problems()
    allocate([claim(p, "a"), claim(p, "b")], {}, 1, 1, "DRBD device id")
    assert len(p.errors) == 1 and "no free DRBD device id left in 1..1" in p.errors[0].message


def test_explicit_over_a_stale_key_is_allowed():
    p = Problems()
    numbers, mapping = allocate([claim(p, "a", 61001)], {"gone": 61001}, 61001, 61010, "port")
    assert numbers == {"a": 61001} and mapping["gone"] == 61001 and not p.errors


def test_legacy_key_is_adopted():
    p = Problems()
    numbers, _ = allocate([claim(p, "web/80/tcp", legacy="web80")], {"web80": 61007}, 61001,
                          61010, "port")
    assert numbers == {"web/80/tcp": 61007}


def test_allocate_stage_sets_only_changed_maps():
    store = MemoryStore({"published_port_map": {"private": {"s/80/tcp": 61001}}})
    p = Problems()
    w = Where(p)
    ports, devices = allocate_stage(store, "private", [(Port("s", 80, "tcp", None), w)], [], w)
    assert ports == {"s/80/tcp": 61001} and devices == {}
    assert store.sets == 0
    volume = Volume("v", "/v", "volume", drbd=DrbdSpec("xfs", "1G"))
    allocate_stage(store, "private", [], [(volume, w), (volume, w)], w)
    assert store.get("drbd_device_map", "private") == {"v": 1} and store.sets == 1


def test_garbage_in_the_persistent_map_is_reported():
    store = MemoryStore({"published_port_map": {"private": {"a": "x"}}})
    p = Problems()
    allocate_stage(store, "private", [], [], Where(p))
    assert "entry 'a' has 'x', expected an integer" in p.errors[0].message
