import pytest

from hive_builder.errors import HiveError
from hive_builder.providers.docker.image import (BASE_APT_CONFIG, BASE_ROLE_VARS, BUILD_CONTEXT,
                                                 base_sources_list, build_context_files,
                                                 context_digest, debian_mirror, node_build,
                                                 node_digest, node_image_tag, preloaded_packages)

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_digest_changes_with_content_path_and_base_only():
    files = {"Dockerfile": b"FROM x\n", "rootfs/etc/a": b"1"}
    d = context_digest(files, "sha256:base")
    assert d == context_digest(dict(reversed(list(files.items()))), "sha256:base")
    assert d != context_digest({**files, "Dockerfile": b"FROM y\n"}, "sha256:base")
    assert d != context_digest({"Dockerfile": b"FROM x\n", "rootfs/etc/b": b"1"}, "sha256:base")
    assert d != context_digest(files, "sha256:other")


def test_node_image_tag():
    assert node_image_tag("0123456789abcdef") == "hive-builder/node:0123456789ab"


def test_shipped_build_context():
    files = build_context_files(BUILD_CONTEXT)
    dockerfile = files["Dockerfile"].decode()
    assert "STOPSIGNAL SIGRTMIN+3" in dockerfile and "openssh-server" in dockerfile
    assert "docker.io" not in dockerfile          # preloaded from the base role's list, not here
    assert "update-success-stamp" in dockerfile   # see lab doc: stale apt stamp breaks cache_valid_time
    assert "rootfs/etc/systemd/system/ssh.service.d/hostkeys.conf" in files


def test_debian_mirror_deb822_skips_security():
    assert debian_mirror(DEB822) == "http://deb.debian.org/debian"
    assert debian_mirror(DEB822.split("\n\n")[1]) is None


def test_debian_mirror_one_line_format():
    text = ("# comment\ndeb-src http://src.example/debian bookworm main\n"
            "deb [arch=amd64] http://mirror.example/debian bookworm main contrib\n")
    assert debian_mirror("", text) == "http://mirror.example/debian"
    assert debian_mirror("", "deb http://m/debian bullseye main\n") is None


def test_base_sources_list():
    assert base_sources_list("http://m/debian") == ("deb http://m/debian bookworm main\n"
                                                    "deb http://m/debian bookworm-updates main\n")


def test_bare_node_image_is_a_fresh_vm_without_extra_tools():
    dockerfile = build_context_files(BUILD_CONTEXT)["Dockerfile"].decode()
    bare = dockerfile.split("FROM bare AS preloaded", 1)[0]
    assert "AS bare" in bare
    install = bare.split("apt-get install", 1)[1].split("&&", 1)[0].split()
    packages = {w for w in install if not w.startswith("-") and w != "\\"}
    assert {"systemd", "systemd-sysv", "openssh-server", "sudo", "python3"} <= packages
    assert not packages & {"cron", "curl", "gnupg", "less", "iputils-ping", "docker.io"}


def test_preloaded_stage_installs_the_build_arg_only():
    dockerfile = build_context_files(BUILD_CONTEXT)["Dockerfile"].decode()
    preloaded = dockerfile.split("FROM bare AS preloaded", 1)[1]
    install = preloaded.split("apt-get install", 1)[1].split("&&", 1)[0].split()
    assert [w for w in install if not w.startswith("-") and w != "\\"] == ["$PACKAGES"]
    assert "ARG PACKAGES" in preloaded and 'test -n "$PACKAGES"' in preloaded
    assert "policy-rc.d" in preloaded and "rm -rf /var/lib/apt/lists/*" in preloaded


def test_preloaded_packages_are_the_base_roles_transaction():
    packages = preloaded_packages(BASE_ROLE_VARS.read_text())
    assert {"docker.io", "chrony", "zabbix-agent", "iptables-persistent", "curl"} <= set(packages)
    assert len(packages) == len(set(packages))
    assert preloaded_packages("hive_base_packages: [a, b]\nhive_role_packages: [b, c]\n") == ["a", "b", "c"]
    with pytest.raises(HiveError, match="no packages"):
        preloaded_packages("other: 1\n")


def test_node_build_and_digest_per_stage():
    vars_text = "hive_base_packages: [a]\nhive_role_packages: [b]\n"
    assert node_build(False, vars_text) == ("bare", {})
    assert node_build(True, vars_text) == ("preloaded", {"PACKAGES": "a b"})
    files = {"Dockerfile": b"FROM x\n"}
    bare = node_digest(files, "base", "bare", {})
    preloaded = node_digest(files, "base", "preloaded", {"PACKAGES": "a b"})
    assert len({bare, preloaded, node_digest(files, "base", "preloaded", {"PACKAGES": "a b c"}),
                node_digest(files, "other", "bare", {})}) == 4
    assert bare == node_digest(files, "base", "bare", {})


def test_base_apt_config_keeps_no_package_files():
    assert 'Dir::Cache::pkgcache "";' in BASE_APT_CONFIG
    assert "/var/cache/apt/archives/*.deb" in BASE_APT_CONFIG.split("DPkg::Post-Invoke", 1)[1]
