"""Property: garbled inventories never raise anything but InventoryError(s)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive_builder.errors import InventoryError, InventoryErrors
from hive_builder.model import MemoryStore, load_site
from tests.fixtures.inventories.builders import PDNS

HIVE = yaml.safe_load((PDNS / "hive.yml").read_text())
SERVICES = yaml.safe_load((PDNS / "services.yml").read_text())

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False),
                    st.text(max_size=12),
                    st.sampled_from(["private", "xfs", "500M", "10.0.0.0/8", "80/udp", "tcp",
                                     "global", "/data", "volume", "1.2.3.4", "hive-x", "192.168.0.96/32",
                                     "10.0.0.0/31", "s-hive0.pdns", 61001, 256]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(
        ["from", "roles", "source", "target", "drbd", "ports", "cidr", "provider"])), inner,
        max_size=3)), max_leaves=8)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a document: (keys/indexes...)."""
    found = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            found += paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += paths(v, prefix + (i,))
    return found


def mutate(doc: Any, place: tuple, value: Any) -> Any:
    if not place:
        return value
    doc = copy.deepcopy(doc)
    node = doc
    for key in place[:-1]:
        node = node[key]
    node[place[-1]] = value
    return doc


def check(tmp: Path, hive: Any, services: Any) -> None:
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    (tmp / "hive.yml").write_text(yaml.safe_dump(hive))
    (tmp / "services.yml").write_text(yaml.safe_dump(services))
    for stage in ("private", "production"):
        try:
            load_site(tmp, stage, MemoryStore())
        except (InventoryErrors, InventoryError) as exc:
            assert str(exc)


HIVE_PLACES = paths(HIVE)
SERVICE_PLACES = paths(SERVICES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.sampled_from(HIVE_PLACES), value=values)
def test_garbled_hive_definition(tmp_path, place, value):
    check(tmp_path / "inv", mutate(HIVE, place, value), SERVICES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(places=st.lists(st.sampled_from(SERVICE_PLACES), min_size=1, max_size=3),
       value=values)
def test_garbled_service_definitions(tmp_path, places, value):
    doc = SERVICES
    for place in places:
        try:
            doc = mutate(doc, place, value)
        except (KeyError, IndexError, TypeError):
            break  # an earlier mutation removed this place
    check(tmp_path / "inv", HIVE, doc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab: -[]{}'\"\n\t#&*!|>%@`,?0")), max_size=60))
def test_random_yaml_text(tmp_path, text):
    tmp = tmp_path / "txt"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    (tmp / "hive.yml").write_text(yaml.safe_dump(HIVE))
    (tmp / "services.yml").write_text("plugin: hive_services\n" + text)
    try:
        load_site(tmp, "private", MemoryStore())
    except InventoryErrors:
        pass
