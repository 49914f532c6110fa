"""hive-backup.sh (role backup-tools; reference §8.1, §14.7 #61, manual 12.2.1), run with bash on
fragments from render.backup and the stub dexec/dcp/sudo of backup_harness."""

from __future__ import annotations

import fcntl
import re
import subprocess

import pytest

from tests.unit.backup_harness import SCRIPT, BackupSite

USAGE = "Usage: hive-backup.sh [-r] [-l service[,service...]]"


@pytest.fixture
def site(tmp_path):
    """Services db and web (each with one dump), the registry, and a stray file of nothing."""
    s = BackupSite(tmp_path)
    for svc in ("web", "db"):
        (s.container(svc) / "srv/data").write_text(f"{svc} data\n")
        s.install(svc, [{"name": svc, "ext": "txt", "backup_command": "cat /srv/data",
                         "restore_command": "cat > /srv/data"}])
    registry = tmp_path / "registry"
    registry.mkdir()
    (registry / "blob").write_text("layer\n")
    s.install_registry(registry)
    return s


def entered(result):
    return re.findall(r"ENTER SERVICE (\S+) for (\w+)", result.stdout)


def test_script_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0


def test_default_runs_the_registry_first_then_every_service_sorted(site):
    (site.scripts / ".hive-tmp1234").write_text("half-written by hive_files")
    (site.scripts / "web~").write_text("an editor's backup")
    result = site.run()
    assert result.returncode == 0, result.stderr
    assert entered(result) == [("hive-registry", "BACKUP"), ("db", "BACKUP"), ("web", "BACKUP")]
    assert site.latest("db", "txt").read_text() == "db data\n"
    assert site.latest("web", "txt").read_text() == "web data\n"
    wrote = re.findall(r"^INFO: hive-backup: wrote (backup-(\S+)-\d{14}\.\S+) \((\d+) bytes\)$",
                       result.stdout, re.M)
    assert [w[1] for w in wrote] == ["db", "hive-registry", "web"]
    for file, _, size in wrote:
        assert (site.backups / file).stat().st_size == int(size)
    assert (site.backups.stat().st_mode & 0o777) == 0o700


def test_summary_names_only_the_files_of_this_run(site):
    assert site.run("-l", "db").returncode == 0
    result = site.run("-l", "web")
    assert re.findall(r"wrote backup-(\w+)-", result.stdout) == ["web"]


@pytest.mark.parametrize("args,expected", [
    (["-l", "web"], [("web", "BACKUP")]),
    (["-l", "web,db"], [("web", "BACKUP"), ("db", "BACKUP")]),
    (["-l", "db", "-l", "hive-registry"], [("db", "BACKUP"), ("hive-registry", "BACKUP")]),
])
def test_l_selects_targets_in_the_given_order(site, args, expected):
    result = site.run(*args)
    assert result.returncode == 0, result.stderr
    assert entered(result) == expected


@pytest.mark.parametrize("args", [["-r", "-l", "db"], ["-l", "db", "-r"]])   # manual 12.2.1
def test_r_restores_only_the_listed_services(site, args):
    assert site.run().returncode == 0
    for svc in ("web", "db"):
        (site.containers / svc / "srv/data").write_text("lost\n")
    result = site.run(*args)
    assert result.returncode == 0, result.stderr
    assert entered(result) == [("db", "RESTORE")]
    assert (site.containers / "db/srv/data").read_text() == "db data\n"
    assert (site.containers / "web/srv/data").read_text() == "lost\n"
    assert "wrote" not in result.stdout


@pytest.mark.parametrize("listed", ["nosuch", "web,nosuch", "../hive-backup.d/web", "web,"])
def test_unknown_targets_are_refused_before_anything_runs(site, listed):
    result = site.run("-l", listed)
    if listed == "web,":                # an empty item is no target
        assert result.returncode == 0
        return
    assert result.returncode == 1
    bad = listed.split(",")[-1]
    assert result.stderr == f"ERROR: hive-backup: backup scripts for {bad} is not available\n"
    assert result.stdout == "" and site.calls() == []


@pytest.mark.parametrize("args", [["-h"], ["-x"], ["extra"], ["-l", "web", "extra"], ["-l"],
                                  ["-l", ","]])
def test_usage_errors(site, args):
    result = site.run(*args)
    assert (result.returncode, result.stderr, result.stdout) == (1, USAGE + "\n", "")
    assert site.calls() == []


def test_a_failing_service_does_not_stop_the_others(site):
    site.install("gone", [{"name": "gone", "backup_command": "true"}])   # no container
    result = site.run()
    assert result.returncode == 1
    assert entered(result) == [("hive-registry", "BACKUP"), ("db", "BACKUP"),
                               ("gone", "BACKUP"), ("web", "BACKUP")]
    assert "service gone is not found." in result.stderr
    assert result.stderr.splitlines()[-1] == "ERROR: hive-backup: backup failed for: gone"
    assert site.latest("web", "txt").read_text() == "web data\n"


def test_failed_restores_are_named(site):
    assert site.run("-l", "db,web").returncode == 0
    (site.containers / "web").rename(site.root / "web-stopped")
    result = site.run("-r", "-l", "web,db")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "ERROR: hive-backup: restore failed for: web"


def test_a_target_without_its_function_fails(site):
    (site.scripts / "odd").write_text("backup_other() { :; }\n")
    result = site.run("-l", "odd,db")
    assert result.returncode == 1
    assert "backup failed for: odd" in result.stderr
    assert entered(result) == [("db", "BACKUP")]


def test_default_backup_dir_is_home_backup(site):
    result = site.run("-l", "db", HIVE_BACKUP_DIR=None)
    assert result.returncode == 0, result.stderr
    assert (site.root / "backup/backup-db-latest.txt").read_text() == "db data\n"


def test_empty_scripts_directory_is_nothing_to_do(tmp_path):
    result = BackupSite(tmp_path).run()
    assert result.returncode == 0
    assert "no backup scripts in" in result.stdout


def test_a_second_run_at_the_same_time_is_refused(site):
    site.backups.mkdir()
    with open(site.backups / ".hive-backup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = site.run("-l", "db")
    assert result.returncode == 1
    assert "another hive-backup.sh is running" in result.stderr
    assert site.calls() == []
