"""internal_cidr defaults to the manual's 172.31.252.0/22 (issue 10; the original's code had no
default) and may not overlap the stage's cidr, explicit or not."""

from __future__ import annotations

import pytest

from hive_builder.inventory_json import to_ansible_inventory
from hive_builder.model.addressing import DEFAULT_INTERNAL_CIDR, internal_cidr_conflict
from tests.fixtures.inventories.builders import hive_def, load, messages, write


def stage_of(tmp_path, **stage):
    site = load(write(tmp_path, hive_def({"private": stage})), "private")
    return site, site.stages["private"]


def test_a_stage_without_internal_cidr_gets_the_manuals_default(tmp_path):
    site, st = stage_of(tmp_path, provider="docker", cidr="10.233.10.0/24")
    assert DEFAULT_INTERNAL_CIDR == "172.31.252.0/22"
    assert all(s.vars["hive_internal_cidr"] == "172.31.252.0/22" for s in st.servers)
    # what derives from it (reference §3.10 worked values)
    assert (st.internal.overlay, st.internal.ingress, st.internal.gwbridge, st.internal.docker0_bip,
            st.internal.zabbix) == ("172.31.252.0/24", "172.31.253.0/24", "172.31.254.0/25",
                                    "172.31.254.129/25", "172.31.255.128/25")
    hostvars = to_ansible_inventory(site)["_meta"]["hostvars"]
    assert hostvars["p-hive0.pdns"]["hive_internal_cidr"] == "172.31.252.0/22"


def test_an_explicit_internal_cidr_is_kept(tmp_path):
    _, st = stage_of(tmp_path, provider="docker", cidr="10.233.10.0/24", internal_cidr="10.254.0.0/16")
    assert {s.vars["hive_internal_cidr"] for s in st.servers} == {"10.254.0.0/16"}
    assert st.internal.docker0_bip == "10.254.160.1/19"


@pytest.mark.parametrize("stage, expected", [
    # AWS's default VPC is 172.31.0.0/16: a stage using all of it needs its own internal_cidr
    ({"provider": "aws", "cidr": "172.31.0.0/16"},
     "attribute 'cidr': the default internal_cidr 172.31.252.0/22 overlaps the stage cidr 172.31.0.0/16"),
    ({"provider": "docker", "cidr": "10.1.0.0/24", "internal_cidr": "10.0.0.0/8"},
     "attribute 'internal_cidr': internal_cidr 10.0.0.0/8 overlaps the stage cidr 10.1.0.0/24"),
])
def test_overlap_with_the_stage_cidr_is_refused(tmp_path, stage, expected):
    text = messages(write(tmp_path, hive_def({"private": stage})))
    assert expected in text and "set internal_cidr to a free range" in text


def test_conflict_pure():
    assert internal_cidr_conflict("10.0.0.0/24", None) is None
    assert internal_cidr_conflict("172.31.254.0/24", None)
    assert internal_cidr_conflict("10.0.0.0/24", "not a network") is None   # reported elsewhere
    assert internal_cidr_conflict("10.0.0.0/24", 5) is None
    assert internal_cidr_conflict("10.0.0.0/24", "fd00::/64") is None
