import stat

import pytest
import yaml

from hive_builder.config import persistence
from hive_builder.errors import HiveError


def test_missing_file_is_empty(tmp_path):
    assert persistence.read(tmp_path) == {}


def test_set_value_writes_new_file_sorted_block_style(tmp_path):
    persistence.set_value(tmp_path, "stage", "global", "staging")
    persistence.set_value(tmp_path, "aws_access_key_id", "staging", "AKIA")
    path = tmp_path / ".hive" / "persistent_values.yml"
    assert path.read_text() == "aws_access_key_id:\n  staging: AKIA\nstage:\n  global: staging\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_legacy_file_read_only_when_new_is_absent(tmp_path):
    (tmp_path / ".hive").mkdir()
    (tmp_path / ".hive" / "persistents.yml").write_text("stage: {global: production}\n")
    assert persistence.read(tmp_path) == {"stage": {"global": "production"}}
    persistence.set_value(tmp_path, "verbose", "production", True)
    # the legacy content is carried over into the new file
    assert persistence.read(tmp_path) == {"stage": {"global": "production"},
                                          "verbose": {"production": True}}
    (tmp_path / ".hive" / "persistents.yml").write_text("stage: {global: staging}\n")
    assert persistence.read(tmp_path)["stage"] == {"global": "production"}


def test_write_preserves_keys_written_by_others(tmp_path):
    persistence.set_value(tmp_path, "stage", "global", "private")
    path = persistence.persistent_file(tmp_path)
    # another writer (the allocation store) adds its maps after our first write
    data = yaml.safe_load(path.read_text())
    data["published_port_map"] = {"private": {"web/80/tcp": 61001}}
    data["drbd_device_map"] = {"private": {"db": 1}}
    path.write_text(yaml.safe_dump(data))
    persistence.set_value(tmp_path, "start_phase", "private", "setup-hosts")
    result = persistence.read(tmp_path)
    assert result["published_port_map"] == {"private": {"web/80/tcp": 61001}}
    assert result["drbd_device_map"] == {"private": {"db": 1}}
    assert result["start_phase"] == {"private": "setup-hosts"}


def test_set_keeps_other_scopes(tmp_path):
    persistence.set_value(tmp_path, "aws_access_key_id", "staging", "S")
    persistence.set_value(tmp_path, "aws_access_key_id", "production", "P")
    assert persistence.read(tmp_path)["aws_access_key_id"] == {"staging": "S", "production": "P"}


@pytest.mark.parametrize("text,message", [("a: [1\n", "invalid YAML"), ("- 1\n", "must be a mapping"),
                                          ("stage: private\n", "entry stage")])
def test_broken_file_names_the_file(tmp_path, text, message):
    (tmp_path / ".hive").mkdir()
    (tmp_path / ".hive" / "persistent_values.yml").write_text(text)
    with pytest.raises(HiveError) as e:
        persistence.read(tmp_path)
    assert "persistent_values.yml" in str(e.value) and message in str(e.value)


def test_lookup():
    data = {"verbose": {"staging": True}}
    assert persistence.lookup(data, "verbose", "staging") == (True, True)
    assert persistence.lookup(data, "verbose", "private") == (False, None)
    assert persistence.lookup(data, "stage", "global") == (False, None)


def test_unset_value_removes_one_scope_and_empty_entries(tmp_path):
    persistence.set_value(tmp_path, "verbose", "private", True)
    persistence.set_value(tmp_path, "verbose", "staging", False)
    persistence.set_value(tmp_path, "forks", "global", 3)
    assert persistence.unset_value(tmp_path, "verbose", "private") is True
    assert persistence.read(tmp_path) == {"verbose": {"staging": False}, "forks": {"global": 3}}
    assert persistence.unset_value(tmp_path, "verbose", "staging") is True
    assert persistence.read(tmp_path) == {"forks": {"global": 3}}
    before = persistence.persistent_file(tmp_path).read_text()
    assert persistence.unset_value(tmp_path, "verbose", "staging") is False
    assert persistence.persistent_file(tmp_path).read_text() == before


def test_unset_value_without_file_writes_nothing(tmp_path):
    assert persistence.unset_value(tmp_path, "verbose", "private") is False
    assert not persistence.persistent_file(tmp_path).exists()
