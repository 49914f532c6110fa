from hive_builder.providers.docker.image import (BUILD_CONTEXT, base_sources_list, build_context_files,
                                                 context_digest, debian_mirror, node_image_tag)

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
    assert "docker.io" not in dockerfile          # setup-hosts installs docker, like on a fresh VM
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


def test_node_image_is_a_fresh_vm_without_extra_tools():
    dockerfile = build_context_files(BUILD_CONTEXT)["Dockerfile"].decode()
    install = dockerfile.split("apt-get install", 1)[1].split("&&", 1)[0].split()
    packages = {w for w in install if not w.startswith("-") and w != "\\"}
    assert {"systemd", "systemd-sysv", "openssh-server", "sudo", "python3"} <= packages
    assert not packages & {"cron", "curl", "gnupg", "less", "iputils-ping", "docker.io"}
