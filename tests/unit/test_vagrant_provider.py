"""vagrant provider with stand-ins for the vagrant command, `which` and libvirtd (no VM)."""

import os
import subprocess
import sys

import pytest
import yaml

from hive_builder.errors import HiveError
from hive_builder.providers import apply, get_provider
from hive_builder.providers.plan import ProvisionPlan, ServerPlan
from hive_builder.providers.vagrant import VagrantProvider
from hive_builder.providers.vagrant_render import DEFAULT_BOX, VAGRANTFILE

BOXES = (f"1,,box-name,{DEFAULT_BOX}\n1,,box-provider,libvirt\n1,,box-version,0\n"
         "1,,box-name,other/box\n1,,box-provider,virtualbox\n")
SSH = ("Host s-hive0.demo\n  HostName 192.168.121.10\n  User vagrant\n  Port 22\n"
       "  IdentityFile /boxes/key\n")


def plan(tmp_path, **settings):
    return ProvisionPlan(hive_name="demo", stage="staging", cidr="192.168.0.96/27",
                         servers=(ServerPlan("s-hive0.demo", "192.168.0.98",
                                             sizes={"memory_size": "1024", "mirrored_disk_size": "2"}),),
                         context_dir=tmp_path / "ctx", root_dir=tmp_path, admin_user="vagrant",
                         settings=settings)


class FakeVagrant:
    """Answers `vagrant ...` like Vagrant would for one machine, remembering its state."""

    def __init__(self, plugins="vagrant-libvirt (0.11.2, system)\n", boxes=BOXES, state="not_created",
                 fail=None):
        self.plugins, self.boxes, self.state, self.fail = plugins, boxes, state, fail
        self.calls = []

    def __call__(self, cmd, cwd=None, env=None, **kw):
        assert cmd[0] == "vagrant" and kw.get("timeout")
        args = cmd[1:]
        self.calls.append(args)
        out, rc = "", 0
        if args[0] == self.fail:
            out, rc = "Error while activating network: boom\n", 1
        if args[:2] == ["plugin", "list"]:
            out = self.plugins
        elif args[:2] == ["box", "list"]:
            out = self.boxes
        elif args[0] == "status":
            assert env["VAGRANT_CHECKPOINT_DISABLE"] == "1"
            out = f"1,s-hive0.demo,state,{self.state}\n"
        elif args[0] == "up" and not rc:
            assert args[1] == "--provider=libvirt"
            self.state = "running"
        elif args[0] == "halt":
            self.state = "shutoff"
        elif args[0] == "destroy":
            self.state = "not_created"
        elif args[0] == "ssh-config":
            out = SSH
        if kw.get("stdout") is not None:    # streamed to vagrant.log
            assert kw["stderr"] == subprocess.STDOUT
            kw["stdout"].write(out)
            return subprocess.CompletedProcess(cmd, rc, None, None)
        return subprocess.CompletedProcess(cmd, rc, out, "")


def provider(fake, which=("vagrant",), libvirtd=True, **env):
    return VagrantProvider(env={"HIVE_VAGRANT_LIBVIRT_DRIVER": "qemu", **env}, run=fake,
                           which=lambda name: f"/usr/bin/{name}" if name in which else None,
                           libvirtd=lambda: libvirtd)


def test_registered():
    assert isinstance(get_provider("vagrant"), VagrantProvider)


def test_missing_vagrant_says_how_to_install(tmp_path):
    with pytest.raises(HiveError, match="vagrant command is not installed") as err:
        provider(FakeVagrant(), which=()).sanity_check(plan(tmp_path))
    assert "apt-get install vagrant vagrant-libvirt" in err.value.hint


def test_missing_plugin(tmp_path):
    with pytest.raises(HiveError, match="vagrant-libvirt plugin is not installed") as err:
        provider(FakeVagrant(plugins="")).sanity_check(plan(tmp_path))
    assert "apt-get install vagrant-libvirt" in err.value.hint


def test_virtualbox_when_only_it_is_installed(tmp_path):
    prov = provider(FakeVagrant(plugins=""), which=("vagrant", "VBoxManage"))
    assert prov.backend() == "virtualbox"
    with pytest.raises(HiveError, match=f"box {DEFAULT_BOX} for virtualbox is not installed"):
        prov.sanity_check(plan(tmp_path))


def test_libvirtd_down(tmp_path):
    with pytest.raises(HiveError, match="libvirtd does not answer") as err:
        provider(FakeVagrant(), libvirtd=False).sanity_check(plan(tmp_path))
    assert "libvirtd -d" in err.value.hint


def test_missing_box_names_the_build_script(tmp_path):
    p = plan(tmp_path, hive_vagrant_box_name="custom/box")
    with pytest.raises(HiveError, match="box custom/box for libvirt is not installed") as err:
        provider(FakeVagrant()).sanity_check(p)
    assert "scripts/build-vagrant-box" in err.value.hint and "hive_vagrant_box_name" in err.value.hint
    provider(FakeVagrant()).sanity_check(plan(tmp_path))   # the default box is listed


def test_lifecycle(tmp_path):
    fake, p = FakeVagrant(), plan(tmp_path)
    prov = provider(fake)
    result = apply(prov, p)
    assert result.changed and ["up", "--provider=libvirt", "s-hive0.demo"] in fake.calls
    assert (p.context_dir / "Vagrantfile").read_text() == VAGRANTFILE
    v = yaml.safe_load((p.context_dir / "vagrant_vars.yml").read_text())
    assert v["libvirt_driver"] == "qemu"
    assert v["vagrant_hosts"][0] == {"name": "s-hive0.demo", "ip": "192.168.0.98", "netmask": "255.255.255.224",
                                     "memory_size": 1024, "mirrored_disk_size": 2}
    ssh = (p.context_dir / "ssh_config").read_text()
    assert "Host s-hive0.demo" in ssh and "HostName 192.168.121.10" in ssh and "IdentityFile /boxes/key" in ssh
    assert "$ vagrant up --provider=libvirt s-hive0.demo" in (p.context_dir / "vagrant.log").read_text()
    # facts come from the servers themselves (build-infra's second play)
    assert result.facts == {} and prov.host_probe

    fake.calls.clear()
    assert not apply(provider(fake), p).changed        # running already: no `up`
    assert not [c for c in fake.calls if c[0] == "up"]

    assert apply(provider(fake), p, "halted").changed and fake.state == "shutoff"
    assert not apply(provider(fake), p, "halted").changed
    assert apply(provider(fake), p, "absent").changed and fake.state == "not_created"
    assert not apply(provider(fake), p, "absent").changed


def test_halt_and_destroy_without_context_do_nothing(tmp_path):
    fake = FakeVagrant()
    prov = provider(fake, which=())     # not even vagrant is needed when nothing was built
    assert not prov.halt(plan(tmp_path)) and not prov.destroy(plan(tmp_path))
    assert fake.calls == []


def test_failed_up_shows_vagrant_error_and_log(tmp_path):
    p = plan(tmp_path)
    with pytest.raises(HiveError, match="vagrant up s-hive0.demo failed") as err:
        provider(FakeVagrant(fail="up")).provision(p)
    assert "Error while activating network: boom" in str(err.value)
    assert str(p.context_dir / "vagrant.log") in str(err.value)


def test_up_timeout_is_reported(tmp_path):
    def slow(cmd, **kw):
        if cmd[1] == "up":
            raise subprocess.TimeoutExpired(cmd, kw["timeout"])
        return FakeVagrant()(cmd, **kw)
    with pytest.raises(HiveError, match="did not finish in") as err:
        provider(slow).provision(plan(tmp_path))
    assert "HIVE_VAGRANT_TIMEOUT" in err.value.hint


def test_sizes_applied_are_not_reported(tmp_path):
    assert provider(FakeVagrant()).size_notice(plan(tmp_path)) is None


def test_machine_readable_errors_are_unescaped(tmp_path):
    def broken(cmd, **kw):
        if cmd[1] == "status":
            return subprocess.CompletedProcess(cmd, 1, "1,,error-exit,Vagrant::Errors::X,The box"
                                               "%!(VAGRANT_COMMA) it seems\\nis broken\n", "")
        return FakeVagrant()(cmd, **kw)
    with pytest.raises(HiveError, match="vagrant status failed") as err:
        provider(broken).provision(plan(tmp_path))
    assert "The box, it seems\nis broken" in str(err.value)


def test_bad_timeout_is_refused_by_sanity_check_naming_the_value(tmp_path):
    for bad in ("abc", "0", "-5", "1.5", "²", "30m"):
        fake = FakeVagrant()
        with pytest.raises(HiveError, match="HIVE_VAGRANT_TIMEOUT must be a positive whole number") as err:
            provider(fake, HIVE_VAGRANT_TIMEOUT=bad).sanity_check(plan(tmp_path))
        assert repr(bad) in str(err.value) and "HIVE_VAGRANT_TIMEOUT=1800" in err.value.hint
        assert fake.calls == []     # found without running vagrant, as `hive check` needs


def test_bad_timeout_does_not_break_importing_the_package():
    # a fresh interpreter: reloading the module here would leave two VagrantProvider classes
    env = {**os.environ, "HIVE_VAGRANT_TIMEOUT": "nonsense"}
    done = subprocess.run([sys.executable, "-c", "import hive_builder.providers.vagrant"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_timeout_is_read_from_the_environment_when_used(tmp_path):
    from hive_builder.providers import vagrant
    assert vagrant.up_timeout({}) == vagrant.DEFAULT_UP_TIMEOUT == 1800
    assert vagrant.up_timeout({"HIVE_VAGRANT_TIMEOUT": " 42 "}) == 42

    seen = {}

    def timed(cmd, **kw):
        seen[cmd[1]] = kw["timeout"]
        return FakeVagrant()(cmd, **kw)
    provider(timed, HIVE_VAGRANT_TIMEOUT="7200").provision(plan(tmp_path))
    assert seen["up"] == 7200


def test_bad_libvirt_driver_is_refused_by_sanity_check(tmp_path):
    for bad in ("kvm2", "xen", "KVM", "lxc"):
        fake = FakeVagrant()
        with pytest.raises(HiveError, match="HIVE_VAGRANT_LIBVIRT_DRIVER must be one of kvm, qemu") as err:
            provider(fake, HIVE_VAGRANT_LIBVIRT_DRIVER=bad).sanity_check(plan(tmp_path))
        assert repr(bad) in str(err.value) and "HIVE_VAGRANT_LIBVIRT_DRIVER=kvm" in err.value.hint
        assert fake.calls == []


def test_valid_libvirt_drivers_and_the_default(tmp_path, monkeypatch):
    from hive_builder.providers import vagrant
    for good in ("kvm", "qemu", " qemu "):
        assert vagrant.default_libvirt_driver({"HIVE_VAGRANT_LIBVIRT_DRIVER": good}) == good.strip()
        provider(FakeVagrant(), HIVE_VAGRANT_LIBVIRT_DRIVER=good).sanity_check(plan(tmp_path))
    monkeypatch.setattr(vagrant.os, "access", lambda path, mode: False)
    assert vagrant.default_libvirt_driver({"HIVE_VAGRANT_LIBVIRT_DRIVER": ""}) == "qemu"
    monkeypatch.setattr(vagrant.os, "access", lambda path, mode: path == "/dev/kvm")
    assert vagrant.default_libvirt_driver({}) == "kvm"


def test_bad_libvirt_driver_is_refused_when_halting_too(tmp_path):
    p = plan(tmp_path)
    apply(provider(FakeVagrant()), p)               # builds the context
    with pytest.raises(HiveError, match="HIVE_VAGRANT_LIBVIRT_DRIVER must be one of"):
        provider(FakeVagrant(state="running"), HIVE_VAGRANT_LIBVIRT_DRIVER="xen").halt(p)
