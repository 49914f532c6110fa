from hive_builder.render.ssh_config import SshHost, hosts_in, render_block, render_ssh_config


def test_block_format():
    text = render_block(SshHost(name="p-hive0.demo", hostname="10.233.10.4", user="admin",
                                identity_file="/p/.hive/private/id_rsa"))
    assert text.splitlines() == [
        "# BEGIN ANSIBLE MANAGED BLOCK p-hive0.demo",
        "Host p-hive0.demo",
        "  HostName 10.233.10.4",
        "  UserKnownHostsFile /dev/null",
        "  User admin",
        "  StrictHostKeyChecking no",
        "  PasswordAuthentication no",
        "  IdentityFile /p/.hive/private/id_rsa",
        "  IdentitiesOnly yes",
        "  LogLevel ERROR",
        "# END ANSIBLE MANAGED BLOCK p-hive0.demo",
    ]


def test_port_only_when_not_22_and_log_level_choice():
    text = render_block(SshHost("h", "1.2.3.4", "u", "/k", port=2222), log_level="FATAL")
    assert "  Port 2222" in text.splitlines() and "  LogLevel FATAL" in text.splitlines()
    assert "Port" not in render_block(SshHost("h", "1.2.3.4", "u", "/k"))


def test_one_block_per_host_in_order_and_parsable():
    hosts = [SshHost(f"p-hive{i}.demo", f"10.0.0.{i + 4}", "admin", "/k") for i in range(3)]
    text = render_ssh_config(hosts)
    assert hosts_in(text) == ["p-hive0.demo", "p-hive1.demo", "p-hive2.demo"]
    assert [l.split()[1] for l in text.splitlines() if l.startswith("Host ")] == hosts_in(text)
    assert text.count("# END ANSIBLE MANAGED BLOCK") == 3


def test_empty():
    assert render_ssh_config([]) == ""
