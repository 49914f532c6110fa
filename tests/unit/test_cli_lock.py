import json
import os

import pytest

from hive_builder.errors import HiveError
from hive_builder.execution.lock import run_lock


def test_second_run_is_refused_with_holder_details(tmp_path):
    with run_lock(tmp_path, "hive build-infra") as path:
        record = json.loads(path.read_text())
        assert record["pid"] == os.getpid() and record["command"] == "hive build-infra"
        with pytest.raises(HiveError) as e:
            with run_lock(tmp_path, "hive setup-hosts"):
                pass
        message = str(e.value)
        assert "another hive command is running" in message
        assert '"hive build-infra"' in message and f"pid {os.getpid()}" in message
        assert "hive setup-hosts" in message
    assert not path.exists()


def test_lock_is_free_again_after_release_and_after_error(tmp_path):
    with pytest.raises(RuntimeError):
        with run_lock(tmp_path, "first"):
            raise RuntimeError
    stale = []
    with run_lock(tmp_path, "second", on_stale=stale.append):
        pass
    assert stale == []


def test_record_of_a_dead_run_is_reported_as_stale(tmp_path):
    (tmp_path / "hive.lock").write_text(json.dumps(
        {"pid": 999999, "host": "h", "command": "hive all", "started": "yesterday"}))
    stale = []
    with run_lock(tmp_path, "hive all", on_stale=stale.append) as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert stale == [{"pid": 999999, "host": "h", "command": "hive all", "started": "yesterday"}]
