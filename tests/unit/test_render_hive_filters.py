"""The Ansible filter adapters pass inventory values through to the renderers correctly."""

from hive_builder.plugins.filter import hive_filters as f


def test_rules_v4_uses_internal_cidr_for_zabbix_and_syslog_sources():
    text = f.hive_rules_v4(["10.0.0.4"], is_repository=True, internal_cidr="172.31.252.0/22")
    assert "-s 172.31.255.130/32 -p tcp -m tcp --dport 10050" in text
    assert "-s 172.31.254.0/25 -p udp -m udp --dport 10514" in text


def test_rules_v4_accepts_a_string_of_ssh_sources():
    text = f.hive_rules_v4(["10.0.0.4"], ssh_sources="192.0.2.1,192.0.2.2", ssh_port="22")
    assert text.count("--limit 5/sec") == 2


def test_load_yaml_file(tmp_path):
    assert f.hive_load_yaml_file(tmp_path / "missing.yml") == {}
    (tmp_path / "facts.yml").write_text("ipvs: false\ndns: [10.1.1.1]\n")
    assert f.hive_load_yaml_file(tmp_path / "facts.yml") == {"ipvs": False, "dns": ["10.1.1.1"]}


def test_resolv_nameservers_skip_loopback(tmp_path):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\nsearch x\nnameserver 10.2.2.2\nnameserver ::1\n")
    assert f.hive_resolv_nameservers(str(resolv)) == ["10.2.2.2"]


def test_errors_become_filter_errors():
    import pytest
    from ansible.errors import AnsibleFilterError
    guarded = f.FilterModule().filters()["hive_internal_cidr"]
    with pytest.raises(AnsibleFilterError, match="hive_internal_cidr"):
        guarded("10.0.0.1/22")


def test_file_entries_carry_the_contents_under_the_destination(tmp_path):
    (tmp_path / "b.py").write_text("B = 2\n")
    (tmp_path / "a.py").write_text("A = 1\n")
    entries = f.hive_file_entries([str(tmp_path / "b.py"), str(tmp_path / "a.py")], "/usr/local/lib/x/")
    assert entries == [{"path": "/usr/local/lib/x/a.py", "content": "A = 1\n", "mode": "0644"},
                       {"path": "/usr/local/lib/x/b.py", "content": "B = 2\n", "mode": "0644"}]
