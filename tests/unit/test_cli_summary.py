from hive_builder.cli.summary import group_members, summarize

INVENTORY = {
    "_meta": {"hostvars": {
        "p-mother.x": {"ansible_connection": "local"},
        "p-hive0.x": {"hive_private_ip": "10.0.0.4"},
        "p-hive1.x": {"hive_private_ip": "10.0.0.5"},
        "s-hive0.x": {"hive_private_ip": "10.1.0.4"},
        "web": {"hive_ports": [{"published_port": 61001, "target_port": 80, "protocol": "tcp"}]},
        "worker": {"hive_ports": []},
        "volume_db": {"hive_volume": {"name": "db", "drbd": {"device_id": 3}}},
        "volume_cache": {"hive_volume": {"name": "cache", "driver": "local"}},
    }},
    "all": {"children": ["hosts", "services", "private", "staging"]},
    "hosts": {"children": ["servers", "mother"]},
    "servers": {"children": ["hives", "repository"]},
    "hives": {"hosts": ["p-hive0.x", "s-hive0.x"]},
    "repository": {"hosts": ["p-hive1.x", "s-hive0.x"]},
    "first_hive": {"hosts": ["p-hive0.x", "s-hive0.x"]},
    "mother": {"hosts": ["p-mother.x"]},
    "services": {"hosts": ["web", "worker"]},
    "drbd_volumes": {"hosts": ["volume_db"]},
    "volumes": {"hosts": ["volume_cache"]},
    "private": {"hosts": ["p-mother.x", "p-hive0.x", "p-hive1.x", "web", "volume_db", "volume_cache"]},
    "staging": {"hosts": ["s-hive0.x", "worker"]},
}


def test_group_members_follow_children():
    members = group_members(INVENTORY)
    assert members["servers"] == {"p-hive0.x", "s-hive0.x", "p-hive1.x"}
    assert members["hosts"] == members["servers"] | {"p-mother.x"}


def test_summary_of_one_stage():
    text = summarize(INVENTORY, "private")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert lines == [
        "stage private",
        "hosts:",
        "p-mother.x local mother",
        "p-hive0.x 10.0.0.4 first_hive hives",
        "p-hive1.x 10.0.0.5 repository",
        "services:",
        "web ports: 61001->80/tcp",
        "volumes:",
        "volume_cache driver local",
        "volume_db drbd device_id 3",
    ]


def test_other_stage_objects_are_not_listed():
    text = summarize(INVENTORY, "staging")
    assert "worker no published port" in " ".join(text.split())
    assert "p-hive0.x" not in text and "web" not in text


def test_empty_sections_say_none():
    text = summarize({"_meta": {"hostvars": {"p-mother.x": {}}}, "mother": {"hosts": ["p-mother.x"]},
                      "hosts": {"children": ["mother"]}, "private": {"hosts": ["p-mother.x"]}},
                     "private")
    assert [" ".join(line.split()) for line in text.splitlines()] == [
        "stage private", "hosts:", "p-mother.x local mother", "services:", "(none)",
        "volumes:", "(none)"]


def test_sizes_internal_cidr_and_what_the_provider_does_not_apply():
    hv = {"hive_provider": "docker", "hive_internal_cidr": "172.31.252.0/22"}
    inventory = {
        "_meta": {"hostvars": {
            "p-hive0.x": {**hv, "hive_private_ip": "10.0.0.4", "hive_memory_size": 2048,
                          "hive_cpus": 2, "hive_disk_size": 16, "hive_mirrored_disk_size": 8},
            "p-hive1.x": {**hv, "hive_private_ip": "10.0.0.5", "hive_memory_size": 1024,
                          "hive_disk_size": 20}}},
        "hosts": {"children": ["servers"]}, "servers": {"children": ["hives", "repository"]},
        "hives": {"hosts": ["p-hive0.x"]}, "repository": {"hosts": ["p-hive1.x"]},
        "private": {"hosts": ["p-hive0.x", "p-hive1.x"]}}
    lines = [" ".join(line.split()) for line in summarize(inventory, "private").splitlines()]
    assert lines[:6] == [
        "stage private",
        "hosts:",
        "p-hive0.x 10.0.0.4 hives memory_size 2048 MB, cpus 2, disk_size 16 GB, mirrored_disk_size 8 GB",
        "p-hive1.x 10.0.0.5 repository memory_size 1024 MB, disk_size 20 GB",
        "internal_cidr: 172.31.252.0/22 (docker's internal networks)",
        "note: docker provider does not apply disk_size (16 GB), mirrored_disk_size (8 GB), "
        "repository_disk_size (20 GB): a node is a container on this machine: its disks are this "
        "machine's disk and DRBD volumes are emulated on shared storage",
    ]
