import pytest

from hive_builder.render.zabbix_hosts import FSNAME_MACRO, zabbix_hosts

KW = dict(hive_group="Hives", repository_group="Repository server", base_templates=["Linux", "Hive Server"],
          repository_templates=["Hive Repository Server"], fsname_not_matches="^/dev")


def test_each_server_by_inventory_name_with_the_templates_of_its_kind():
    hosts = zabbix_hosts(["p-hive0.e", "p-hive1.e", "p-hive2.e"], ["10.0.0.4", "10.0.0.5", "10.0.0.6"],
                         ["p-hive2.e"], **KW)
    assert [(h["name"], h["ip"], h["groups"]) for h in hosts] == [
        ("p-hive0.e", "10.0.0.4", ["Hives"]), ("p-hive1.e", "10.0.0.5", ["Hives"]),
        ("p-hive2.e", "10.0.0.6", ["Repository server"])]
    assert hosts[0]["templates"] == ["Linux", "Hive Server"]
    assert hosts[2]["templates"] == ["Linux", "Hive Server", "Hive Repository Server"]
    assert all(h["macros"] == {FSNAME_MACRO: "^/dev"} for h in hosts)


def test_missing_ip_is_an_error_naming_the_server():
    with pytest.raises(ValueError, match="p-hive1.e has no private IP"):
        zabbix_hosts(["p-hive0.e", "p-hive1.e"], ["10.0.0.4", ""], [], **KW)
    with pytest.raises(ValueError, match="2 servers but 1"):
        zabbix_hosts(["a", "b"], ["10.0.0.4"], [], **KW)
