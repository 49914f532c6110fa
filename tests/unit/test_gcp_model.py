"""What the model refuses for provider gcp (a setting the user can write either works or is
refused), and what the provider plan gets from the model for `hive check`: region, subnets, the
zones <region>-a/b/c in turn, the admin `admin`."""

from __future__ import annotations

import pytest

from hive_builder.providers import gcp_render
from hive_builder.providers.plan import plan_from_stage
from tests.fixtures.inventories.builders import hive_def, load, messages, write

STAGE = {"provider": "gcp", "cidr": "10.0.0.0/24", "region": "asia-northeast1", "instance_type": "e2-standard-2",
         "repository_instance_type": "e2-standard-2",
         "mirrored_disk_size": 20}


@pytest.mark.parametrize("extra, expected", [
    ({"root_password": "x"}, "root_password cannot be specified when provider is gcp"),
    ({"memory_size": 4096}, "memory_size cannot be specified when provider is IaaS (gcp)"),
])
def test_refused_for_gcp(tmp_path, extra, expected):
    assert expected in messages(write(tmp_path, hive_def({"private": {**STAGE, **extra}})))


def test_plan_from_the_model_has_what_the_preflight_reads(tmp_path):
    site = load(write(tmp_path, hive_def({"private": STAGE})), "private")
    p = plan_from_stage(site, "private", context_dir=tmp_path, root_dir=tmp_path)
    assert p.settings["hive_region"] == "asia-northeast1" and p.settings["hive_file"] == "hive.yml"
    assert p.admin_user == "admin"
    lay = gcp_render.check_offline(p)
    assert [gcp_render.server_zone(lay, p, s) for s in p.servers] == [
        "asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c", "asia-northeast1-a"]
    # the implicit subnet the model names <name>-default is the one subnetwork
    assert [s.name for s in lay.subnets] == [p.servers[0].settings["hive_subnet"]]


def test_subnets_with_zones_reach_the_renderer(tmp_path):
    stage = {**STAGE, "subnets": [{"cidr": "10.0.0.0/26", "name": "a", "available_zone": "asia-northeast1-b"}]}
    site = load(write(tmp_path, hive_def({"private": stage})), "private")
    p = plan_from_stage(site, "private", context_dir=tmp_path, root_dir=tmp_path)
    lay = gcp_render.check_offline(p)
    assert [(s.gcp_name, s.cidr) for s in lay.subnets] == [(f"vpc-p-{site.name}-a", "10.0.0.0/26")]
    assert {gcp_render.server_zone(lay, p, s) for s in p.servers} == {"asia-northeast1-b"}
