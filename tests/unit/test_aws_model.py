"""What the model refuses for provider aws (a setting the user can write either works or is
refused), and what the provider plan gets from the model for `hive check`."""

from __future__ import annotations

import pytest

from hive_builder.providers.plan import plan_from_stage
from tests.fixtures.inventories.builders import hive_def, load, messages, write

STAGE = {"provider": "aws", "cidr": "10.0.0.0/24", "region": "ap-northeast-1", "instance_type": "t3.medium",
         "mirrored_disk_size": 20}


@pytest.mark.parametrize("extra, expected", [
    ({"az_suffix_list": ["a"]}, "az_suffix_list cannot be specified when provider is aws"),
    ({"root_password": "x"}, "root_password cannot be specified when provider is aws"),
])
def test_refused_for_aws(tmp_path, extra, expected):
    assert expected in messages(write(tmp_path, hive_def({"private": {**STAGE, **extra}})))


def test_plan_from_the_model_has_what_the_preflight_reads(tmp_path):
    stage = {**STAGE, "subnets": [{"cidr": "10.0.0.0/26", "name": "a", "available_zone": "ap-northeast-1a"}],
             "image_name": "ami-1"}
    site = load(write(tmp_path, hive_def({"private": stage})), "private")
    p = plan_from_stage(site, "private", context_dir=tmp_path, root_dir=tmp_path)
    assert p.settings["hive_region"] == "ap-northeast-1" and p.settings["hive_file"] == "hive.yml"
    assert p.settings["hive_subnets"] == [{"cidr": "10.0.0.0/26", "name": "a", "available_zone": "ap-northeast-1a"}]
    assert p.servers[0].settings == {"hive_subnet": "a", "hive_available_zone": "ap-northeast-1a",
                                     "hive_vm_image_name": "ami-1"}
    assert p.admin_user == "admin"
