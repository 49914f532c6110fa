import pytest

from hive_builder.config.casting import cast, format_value
from hive_builder.config.catalogue import BY_NAME
from hive_builder.errors import HiveError


@pytest.mark.parametrize("text,expected", [("true", True), ("YES", True), ("1", True),
                                           ("False", False), ("no", False), ("0", False)])
def test_boolean_words(text, expected):
    assert cast(BY_NAME["verbose"], text) is expected


def test_boolean_refusal_lists_accepted_words():
    with pytest.raises(HiveError) as e:
        cast(BY_NAME["verbose"], "maybe")
    assert "maybe" in str(e.value)
    for word in ("true", "yes", "1", "false", "no", "0"):
        assert word in str(e.value)


def test_enum():
    assert cast(BY_NAME["stage"], "staging") == "staging"
    with pytest.raises(HiveError, match=r"value qa not in \['private', 'staging', 'production'\]"):
        cast(BY_NAME["stage"], "qa")


def test_integer():
    assert cast(BY_NAME["forks"], "20") == 20
    with pytest.raises(HiveError, match="cannot parse as integer many"):
        cast(BY_NAME["forks"], "many")


def test_directory_is_absolute_without_trailing_slash(tmp_path, monkeypatch):
    (tmp_path / "ctx").mkdir()
    monkeypatch.chdir(tmp_path)
    assert cast(BY_NAME["context_dir"], "ctx/") == str(tmp_path / "ctx")
    with pytest.raises(HiveError, match="/nonexistent is not a directory"):
        cast(BY_NAME["context_dir"], "/nonexistent")


def test_dict_is_json_object():
    assert cast(BY_NAME["drbd_device_map"], '{"a": 1}') == {"a": 1}
    with pytest.raises(HiveError):
        cast(BY_NAME["drbd_device_map"], "[1]")
    with pytest.raises(HiveError):
        cast(BY_NAME["drbd_device_map"], "{")


def test_string_is_kept():
    assert cast(BY_NAME["tags"], "base,docker") == "base,docker"


def test_format_value():
    assert format_value(True) == "true"
    assert format_value({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    assert format_value("x") == "x"
