"""What the model refuses for provider azure: settings that would have no effect there."""

from __future__ import annotations

import pytest

from tests.fixtures.inventories.builders import hive_def, load, messages, write

STAGE = {"provider": "azure", "cidr": "10.0.0.0/24", "region": "japaneast",
         "instance_type": "Standard_D2s_v5", "repository_instance_type": "Standard_D2s_v5",
         "mirrored_disk_size": 20}


@pytest.mark.parametrize("extra, expected", [
    ({"root_password": "x"}, "root_password cannot be specified when provider is azure"),
    ({"az_suffix_list": ["a"]}, "az_suffix_list cannot be specified when provider is azure"),
])
def test_refused_for_azure(tmp_path, extra, expected):
    assert expected in messages(write(tmp_path, hive_def({"private": {**STAGE, **extra}})))


def test_a_plain_azure_stage_is_valid(tmp_path):
    site = load(write(tmp_path, hive_def({"private": STAGE})), "private")
    assert site.stages["private"].provider == "azure"
