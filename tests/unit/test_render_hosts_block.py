import pytest

from hive_builder.render.hosts_block import hosts_block


def test_one_line_per_server_in_stage_order_with_short_alias():
    block = hosts_block(["s-hive0.pdns", "s-hive1.pdns", "s-hive2.pdns"],
                        ["192.168.0.5", "192.168.0.69", "192.168.0.133"])
    assert block.splitlines() == ["192.168.0.5 s-hive0.pdns s-hive0",
                                  "192.168.0.69 s-hive1.pdns s-hive1",
                                  "192.168.0.133 s-hive2.pdns s-hive2"]


def test_single_label_name_has_no_alias():
    assert hosts_block(["hive0"], ["10.0.0.4"]) == "10.0.0.4 hive0"


def test_missing_ip_is_an_error_naming_the_server():
    with pytest.raises(ValueError, match="p-hive1.x"):
        hosts_block(["p-hive0.x", "p-hive1.x"], ["10.0.0.4", None])


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        hosts_block(["a", "b"], ["10.0.0.1"])
