"""backup_scripts validation (reference §4.10): per definition, and names unique on a stage."""

from __future__ import annotations

import pytest

from tests.fixtures.inventories.builders import errors, load, private, write
from tests.unit.test_model_services import services, svc_errors

DUMP = {"name": "db", "backup_command": "pg_dumpall", "restore_command": "psql"}


def scripts(*items):
    return {"s": {"backup_scripts": list(items)}}


@pytest.mark.parametrize("item", [
    DUMP,
    {"name": "db", "backup_command": "dump > /f", "backup_file": "/f",
     "restore_command": "load < /f", "restore_file": "/f", "ext": "sql", "cleanup_days_before": 0},
    {"name": "certs", "directory": "/etc/letsencrypt", "ext": "tar.gz"},
    {"name": "nightly_v1.2", "batch_scripts": ["vacuumdb -a"], "cleanup_days_before": 3},
    {"name": "9", "backup_command": "x", "ext": "sql.gz"},
])
def test_valid_definitions(tmp_path, item):
    site = load(write(tmp_path, private(), services(scripts(item))))
    assert site.hostvars()["s"]["hive_backup_scripts"] == [item]


@pytest.mark.parametrize("item,expected", [
    ({"name": "my db", "backup_command": "x"},
     "found 'my db': it is part of the backup file names"),
    ({"name": "-db", "backup_command": "x"}, "'-' (not first)"),
    ({"name": "a/b", "backup_command": "x"}, "part of the backup file names"),
    ({"name": 5, "backup_command": "x"}, "expected a non-empty string"),
    ({"name": "hive-registry", "directory": "/d"}, "names starting with hive- are reserved"),
    ({"name": "hive-x", "directory": "/d"}, "reserved for hive-builder's own backups"),
    ({"name": "db", "backup_command": "x", "ext": ".sql"}, "found '.sql'"),
    ({"name": "db", "backup_command": "x", "ext": "sql/x"}, "found 'sql/x'"),
    ({"name": "db", "backup_command": "x", "ext": ""}, "expected a non-empty string"),
    ({"name": "db", "batch_scripts": ["x"], "restore_command": "y"},
     "restore_command without backup_command or directory: there is no backup to restore"),
    ({"name": "db", "batch_scripts": ["x"], "restore_file": "/f"},
     "restore_file without backup_command or directory"),
    ({"name": "db", "backup_command": "x", "restore_file": "/f"},
     "restore_file needs restore_command"),
    ({"name": "db", "directory": "/d", "backup_file": "/f"}, "backup_file needs backup_command"),
    ({"name": "db", "directory": "/d", "backup_command": "x"}, "exclusive"),
    ({"name": "db", "backup_command": "x", "cleanup_days_before": -1}, "expected an integer >= 0"),
])
def test_invalid_definitions(tmp_path, item, expected):
    assert expected in svc_errors(tmp_path, scripts(item))


def test_error_names_the_definition_and_attribute(tmp_path):
    [err] = errors(write(tmp_path, private(), services(scripts(
        DUMP, {"name": "x", "backup_command": "y", "ext": "a b"}))))
    assert (err.file, err.obj, err.attr) == ("services.yml", "service s, backup script #2", "ext")


def test_names_are_unique_among_the_services_of_a_stage(tmp_path):
    errs = errors(write(tmp_path, private(),
                        services({"a": {"backup_scripts": [DUMP]}}),
                        services({"b": {"backup_scripts": [{"name": "logs", "directory": "/l"},
                                                           DUMP]}})))
    [err] = errs
    assert (err.file, err.obj, err.attr) == ("services1.yml", "service b", "backup_scripts")
    assert str(err).count("backup-db-*") == 1
    assert "'db' is also used by service a (services.yml) on stages private, staging, " \
           "production" in str(err)


def test_the_same_name_on_different_stages_is_fine(tmp_path):
    site = load(write(tmp_path, private(),
                      services({"a": {"backup_scripts": [DUMP]}}, available_on=["private"]),
                      services({"b": {"backup_scripts": [DUMP]}}, available_on=["production"])))
    assert set(site.services) == {"a", "b"}


def test_the_clash_names_only_the_shared_stages(tmp_path):
    [err] = errors(write(tmp_path, private(),
                         services({"a": {"backup_scripts": [DUMP]}},
                                  available_on=["private", "staging"]),
                         services({"b": {"backup_scripts": [DUMP]}},
                                  available_on=["staging", "production"])))
    assert "on stage staging:" in str(err)
