"""Backup fragments (reference §8.1, §14.7 #59-60): bash syntax, and their real behaviour run
against stub dexec/dcp/sudo that emulate the containers as local directories (backup_harness)."""

from __future__ import annotations

import re
import subprocess
import tarfile

import pytest
from ansible.errors import AnsibleFilterError

from hive_builder.plugins.filter import hive_backup_filters as filters
from hive_builder.render import backup
from tests.unit.backup_harness import BackupSite

PDNSDB = {"name": "pdnsdb",
          "backup_command": "cat /srv/db/*.row > /root/today.sql",
          "backup_file": "/root/today.sql",
          "restore_command": "mkdir -p /srv/restored && cp /root/today.sql /srv/restored/all.sql",
          "restore_file": "/root/today.sql",
          "ext": "sql", "cleanup_days_before": 10}
AWKWARD = "printf '%s\\n' \"it's $HOME\" `echo x` \\\\ ; echo \"a\nb\""


@pytest.fixture
def site(tmp_path):
    return BackupSite(tmp_path)


def bash_n(text, tmp_path):
    path = tmp_path / "fragment.sh"
    path.write_text(text)
    return subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("scripts,standalone", [
    ([], False),
    ([PDNSDB], False),
    ([{"name": "certificates", "directory": "/etc/letsencrypt", "cleanup_days_before": 10}], True),
    ([{"name": "nightly", "batch_scripts": ["vacuumdb -a", AWKWARD]}], False),
    ([{"name": "dump", "backup_command": AWKWARD, "restore_command": AWKWARD},
      {"name": "files", "directory": "/var/lib/it's a dir", "ext": "tgz"},
      {"name": "x.y_z-1", "backup_command": "cat /x", "backup_file": "/a b/$c",
       "restore_command": "true", "restore_file": "/a b/$c"}], False),
])
def test_every_fragment_is_valid_bash(tmp_path, scripts, standalone):
    result = bash_n(backup.fragment("web-front1", scripts, standalone=standalone), tmp_path)
    assert result.returncode == 0, result.stderr


def test_registry_fragment_is_valid_bash(tmp_path):
    result = bash_n(backup.registry_fragment("/var/lib/my registry", 7), tmp_path)
    assert result.returncode == 0, result.stderr


def test_zabbix_fragment_dumps_the_database_and_restores_with_the_server_stopped(tmp_path):
    text = backup.zabbix_fragment("zabbix", 4)
    assert bash_n(text, tmp_path).returncode == 0
    assert 'sudo -n -u postgres pg_dump -Fc zabbix >"$file.part"' in text
    assert "_hb_cleanup hive-zabbix dump 4" in text
    restore = text[text.index("restore_hive-zabbix"):] if "restore_hive-zabbix" in text else text
    order = [restore.index(x) for x in ("systemctl stop zabbix-server", "pg_restore --clean --if-exists -d zabbix",
                                        "systemctl start zabbix-server || status=1")]
    assert order == sorted(order)
    assert filters.hive_zabbix_backup_fragment("4") == text


@pytest.mark.parametrize("service", ["", "web_1", "a b", "-x", "web;rm"])
def test_service_names_that_are_no_function_names_are_refused(service):
    with pytest.raises(ValueError, match="is not a service name"):
        backup.fragment(service, [])


def test_pdnsdb_backup_copies_the_dump_out_and_restore_copies_it_back(site):
    root = site.container("pdnsdb")
    (root / "srv/db").mkdir()
    (root / "srv/db/a.row").write_text("row a\n")
    site.install("pdnsdb", [PDNSDB])
    result = site.call("pdnsdb")
    assert result.returncode == 0, result.stderr
    [dump] = [f for f in site.files() if f != "backup-pdnsdb-latest.sql"]
    assert re.fullmatch(r"backup-pdnsdb-20[0-9]{12}\.sql", dump)
    assert (site.backups / dump).read_text() == "row a\n"
    assert site.latest("pdnsdb", "sql").readlink().as_posix() == dump   # relative link
    assert "dexec pdnsdb cat /srv/db/*.row > /root/today.sql" in site.calls()
    assert result.stdout.splitlines() == [
        "INFO: hive-backup: ENTER SERVICE pdnsdb for BACKUP",
        f"INFO: hive-backup: START backup pdnsdb into {dump}",
        f"INFO: hive-backup: END backup pdnsdb into {dump}",
        f"INFO: hive-backup: LINK backup-pdnsdb-latest.sql to {dump}",
        "INFO: hive-backup: Clean up old files than 10 like backup-pdnsdb-*.sql",
        "INFO: hive-backup: LEAVE SERVICE pdnsdb for BACKUP"]

    (root / "root/today.sql").unlink()
    result = site.call("pdnsdb", "restore")
    assert result.returncode == 0, result.stderr
    assert (root / "srv/restored/all.sql").read_text() == "row a\n"
    assert not (root / "root/today.sql").is_symlink()     # copied with -L: the data, not a link
    assert "INFO: hive-backup: END restore pdnsdb" in result.stdout


def test_stdout_backup_and_stdin_restore_keep_awkward_commands_intact(site):
    root = site.container("kvs")
    (root / "srv/data.txt").write_text("key=it's \"quoted\" $HOME\n")
    site.install("kvs", [{"name": "kvs", "ext": "txt",
                          "backup_command": "cat '/srv/data.txt'; printf '%s\\n' \"it's\"",
                          "restore_command": "cat > /srv/data.txt"}])
    assert site.call("kvs").returncode == 0
    assert site.latest("kvs", "txt").read_text() == "key=it's \"quoted\" $HOME\nit's\n"
    (root / "srv/data.txt").write_text("damaged\n")
    result = site.call("kvs", "restore")
    assert result.returncode == 0, result.stderr
    assert (root / "srv/data.txt").read_text() == "key=it's \"quoted\" $HOME\nit's\n"


def make_tree(top):
    (top / "sub").mkdir(parents=True)
    (top / "a.txt").write_text("a\n")
    (top / ".hidden").write_text("dot\n")
    (top / "sub/b.txt").write_text("b\n")


def tree(top):
    return sorted((p.relative_to(top).as_posix(), p.read_text() if p.is_file() else None)
                  for p in top.rglob("*"))


@pytest.mark.parametrize("standalone,archive", [(False, "/tmp/restore.tar.gz"),
                                                (True, "/root/restore.tar.gz")])
def test_directory_backup_and_restore_replace_the_contents(site, standalone, archive):
    root = site.container("certbot")
    data = root / "srv/le"
    make_tree(data)
    expected = tree(data)
    site.install("certbot", [{"name": "certificates", "directory": "/srv/le"}],
                 standalone=standalone)
    assert site.call("certbot").returncode == 0
    with tarfile.open(site.latest("certificates")) as tar:
        assert {"./a.txt", "./.hidden", "./sub/b.txt"} <= set(tar.getnames())

    for p in sorted(data.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    (data / "stray").write_text("not in the backup\n")
    result = site.call("certbot", "restore")
    assert result.returncode == 0, result.stderr
    assert tree(data) == expected
    assert f"dcp -L backup-certificates-latest.tar.gz certbot:{archive}" in site.calls()
    assert not (root / archive.lstrip("/")).exists()    # removed after unpacking


def test_directory_backup_of_a_missing_directory_fails_and_leaves_nothing(site):
    site.container("web")
    site.install("web", [{"name": "gone", "directory": "/srv/nothing"}])
    result = site.call("web")
    assert result.returncode == 1
    assert site.files() == []
    assert "ERROR: hive-backup: FAIL backup gone into backup-gone-" in result.stderr


def test_failing_batch_and_backup_do_not_stop_the_other_definitions(site):
    root = site.container("app")
    (root / "srv/ok.txt").write_text("ok\n")
    site.install("app", [
        {"name": "first", "batch_scripts": ["echo batch-out", "exit 3", "touch /srv/ran"],
         "backup_command": "cat /srv/ok.txt"},
        {"name": "broken", "backup_command": "echo partial; exit 1"},
        {"name": "last", "backup_command": "cat /srv/ok.txt", "ext": "txt"}])
    result = site.call("app")
    assert result.returncode == 1
    assert (root / "srv/ran").exists()
    assert "batch-out" in result.stderr.splitlines()        # the commands' output
    assert "batch-out" not in result.stdout.splitlines()
    assert "ERROR: hive-backup: FAIL batch: exit 3" in result.stderr
    assert "INFO: hive-backup: END batch: touch /srv/ran" in result.stdout
    assert site.latest("first").read_text() == "ok\n"
    assert site.latest("last", "txt").read_text() == "ok\n"
    assert not any(f.startswith("backup-broken-") for f in site.files())   # partial deleted
    assert "INFO: hive-backup: LEAVE SERVICE app for BACKUP" in result.stdout


def test_a_failed_backup_keeps_the_previous_latest(site):
    site.container("app")
    (site.container("app") / "srv/v").write_text("v1\n")
    site.install("app", [{"name": "v", "backup_command": "cat /srv/v"}])
    assert site.call("app").returncode == 0
    (site.container("app") / "srv/v").unlink()
    assert site.call("app").returncode == 1
    assert site.latest("v").read_text() == "v1\n"


def test_cleanup_deletes_only_this_definitions_old_backups_never_the_latest(site):
    site.container("db")
    site.backups.mkdir()
    old = ["backup-db-20200101010101.sql", "backup-db-20200102010101.sql"]
    keep = ["backup-db-old-20200101010101.sql",    # another definition's file
            "backup-db-20200101010101.sql.gz",     # another extension
            "notes.txt"]
    for name in old + keep:
        (site.backups / name).write_text("x")
        subprocess.run(["touch", "-d", "5 days ago", str(site.backups / name)], check=True)
    site.install("db", [{"name": "db", "ext": "sql", "backup_command": "exit 1",
                         "cleanup_days_before": 2}])
    (site.backups / "backup-db-latest.sql").symlink_to(old[1])
    result = site.call("db")
    assert result.returncode == 1                  # the backup itself failed ...
    # ... the cleanup still ran and spared the file the latest link points to
    assert site.files() == sorted(keep + [old[1], "backup-db-latest.sql"])
    assert "Clean up old files than 2 like backup-db-*.sql" in result.stdout


def test_cleanup_keeps_files_younger_than_the_limit(site):
    site.container("db")
    site.backups.mkdir()
    recent = site.backups / "backup-db-20200101010101.tar.gz"
    recent.write_text("x")
    subprocess.run(["touch", "-d", "1 day ago", str(recent)], check=True)
    site.install("db", [{"name": "db", "batch_scripts": ["true"], "cleanup_days_before": 2}])
    assert site.call("db").returncode == 0
    assert recent.exists()


def test_restore_skips_definitions_without_backup_or_restore_command(site):
    site.container("app")
    site.install("app", [{"name": "never", "directory": "/srv"},
                         {"name": "dump-only", "backup_command": "echo x"},
                         {"name": "batch", "batch_scripts": ["true"]}])
    site.backups.mkdir()
    (site.backups / "backup-dump-only-latest.tar.gz").write_text("x")
    result = site.call("app", "restore")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "WARNING: hive-backup: SKIP restore for never which does not have "
        "backup-never-latest.tar.gz",
        "WARNING: hive-backup: SKIP restore for dump-only: it has no restore_command"]
    assert not [c for c in site.calls() if c.startswith(("dexec", "dcp"))]


def test_failed_restore_is_reported_and_the_next_definition_still_restored(site):
    root = site.container("app")
    site.install("app", [{"name": "bad", "backup_command": "true", "restore_command": "exit 4"},
                         {"name": "good", "backup_command": "echo good",
                          "restore_command": "cat > /srv/good"}])
    assert site.call("app").returncode == 0
    result = site.call("app", "restore")
    assert result.returncode == 1
    assert "ERROR: hive-backup: FAIL restore bad" in result.stderr
    assert (root / "srv/good").read_text() == "good\n"


def test_registry_backup_and_restore_with_the_registry_stopped(site, tmp_path):
    data = tmp_path / "registry"
    make_tree(data / "docker")
    expected = tree(data)
    site.install_registry(data)
    result = site.call("hive-registry")
    assert result.returncode == 0, result.stderr
    assert site.calls()[-1] == f"sudo tar czf - -C {data} ."

    (data / "docker/a.txt").unlink()
    (data / "new").write_text("pushed after the backup\n")
    result = site.call("hive-registry", "restore")
    assert result.returncode == 0, result.stderr
    assert tree(data) == expected
    sudo = [c.split()[1] for c in site.calls()[1:]]
    assert sudo == ["systemctl", "find", "tar", "chown", "systemctl"]
    assert site.calls()[-1] == "sudo systemctl start docker-registry"


def test_registry_restarts_even_when_unpacking_fails(site, tmp_path):
    data = tmp_path / "registry"
    data.mkdir()
    site.install_registry(data)
    site.backups.mkdir()
    (site.backups / "backup-hive-registry-latest.tar.gz").write_text("not a tar archive")
    result = site.call("hive-registry", "restore")
    assert result.returncode == 1
    assert "ERROR: hive-backup: FAIL restore hive-registry" in result.stderr
    assert site.calls()[-1] == "sudo systemctl start docker-registry"
    assert not any(c.startswith("sudo chown") for c in site.calls())


def test_registry_cleanup_days(site, tmp_path):
    site.install_registry(tmp_path, cleanup_days=5)
    assert "_hb_cleanup hive-registry tar.gz 5" in (site.scripts / "hive-registry").read_text()
    with pytest.raises(ValueError, match="cleanup days"):
        backup.registry_fragment(cleanup_days=-1)


def test_filters_pass_service_vars_and_knobs_through():
    text = filters.hive_backup_fragment(
        {"hive_standalone": True, "hive_backup_scripts": [{"name": "d", "directory": "/d"}]},
        "web")
    assert text == backup.fragment("web", [{"name": "d", "directory": "/d"}], standalone=True)
    assert "backup_web()" in filters.hive_backup_fragment({}, "web")
    assert filters.hive_registry_backup_fragment("4") == backup.registry_fragment(cleanup_days=4)
    guarded = filters.FilterModule().filters()
    with pytest.raises(AnsibleFilterError, match="is not a service name"):
        guarded["hive_backup_fragment"]({}, "bad name")
    with pytest.raises(AnsibleFilterError, match="cleanup days"):
        guarded["hive_registry_backup_fragment"]("soon")
