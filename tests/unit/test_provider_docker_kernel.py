import pytest

from hive_builder.providers.docker.kernel import (KernelProbe, drbd_mode, facts_from_probe, ipvs_available,
                                                  kernel_config_value, nameservers)
from hive_builder.providers.facts import facts_text, facts_warning

THIS_MACHINE = """\
CONFIG_VXLAN=y
# CONFIG_IP_VS is not set
# CONFIG_MODULES is not set
CONFIG_LOCALVERSION=""
"""
DISTRO = "CONFIG_MODULES=y\nCONFIG_IP_VS=m\nCONFIG_BLK_DEV_DRBD=m\n"


def test_kernel_config_value():
    assert kernel_config_value(THIS_MACHINE, "CONFIG_VXLAN") == "y"
    assert kernel_config_value(THIS_MACHINE, "CONFIG_IP_VS") == "n"
    assert kernel_config_value(THIS_MACHINE, "CONFIG_LOCALVERSION") == ""
    assert kernel_config_value(THIS_MACHINE, "CONFIG_DUMMY") is None


@pytest.mark.parametrize("probe, expected", [
    (KernelProbe(THIS_MACHINE, proc_ip_vs=False, proc_drbd=False), False),
    (KernelProbe(THIS_MACHINE, proc_ip_vs=True, proc_drbd=False), True),
    (KernelProbe("CONFIG_IP_VS=y\n", proc_ip_vs=False, proc_drbd=False), True),
    (KernelProbe(DISTRO, False, False, frozenset({"ip_vs", "drbd"})), True),
    (KernelProbe(DISTRO, False, False, frozenset({"vxlan"})), False),        # module not installed
    (KernelProbe("# CONFIG_MODULES is not set\nCONFIG_IP_VS=m\n", False, False), False),
    (KernelProbe(None, False, False, frozenset({"ip_vs"})), True),
    (KernelProbe(None, False, False, frozenset({"vxlan"})), False),
])
def test_ipvs_available(probe, expected):
    assert ipvs_available(probe) is expected


@pytest.mark.parametrize("probe, expected", [
    (KernelProbe(THIS_MACHINE, False, False), "emulated"),
    (KernelProbe(THIS_MACHINE, False, True), "kernel"),
    (KernelProbe(DISTRO, False, False, frozenset({"drbd"})), "kernel"),
    (KernelProbe(DISTRO, False, False, frozenset({"ip_vs"})), "emulated"),
])
def test_drbd_mode(probe, expected):
    assert drbd_mode(probe) == expected


def test_facts_and_warning_on_this_kind_of_machine():
    facts = facts_from_probe(KernelProbe(THIS_MACHINE, False, False))
    assert facts == {"ipvs": False, "drbd": "emulated"}
    warning = facts_warning(facts)
    assert "IPVS" in warning and "dnsrr" in warning and "DRBD" in warning


def test_warning_names_the_shared_dir():
    assert "/var/lib/hive-shared" in facts_warning({"ipvs": True, "drbd": "emulated", "shared_dir": "/var/lib/hive-shared"})


def test_facts_text_is_yaml_with_a_comment():
    import yaml
    text = facts_text({"ipvs": False, "drbd": "emulated"})
    assert text.startswith("#") and yaml.safe_load(text) == {"drbd": "emulated", "ipvs": False}


def test_no_warning_when_nothing_is_missing():
    assert facts_warning({"ipvs": True, "drbd": "kernel"}) is None


def test_nameservers_skip_loopback_and_comments():
    text = "# generated\nnameserver 127.0.0.53\nnameserver 10.255.255.53  # corp\nsearch x\nnameserver ::1\n"
    assert nameservers(text) == ["10.255.255.53"]
