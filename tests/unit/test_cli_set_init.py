"""reference §14.4 cases 30-33, 42 through `main(argv)`."""

import yaml

from hive_builder.cli.main import main


def persisted(root):
    return yaml.safe_load((root / ".hive" / "persistent_values.yml").read_text())


def test_set_stage_global(tmp_path, capsys):
    assert main(["-r", str(tmp_path), "set", "stage", "staging"]) == 0
    assert persisted(tmp_path) == {"stage": {"global": "staging"}}
    assert "set persistently staging to stage on global" in capsys.readouterr().err


def test_stage_scoped_values_go_under_current_stage(tmp_path, capsys):
    main(["-r", str(tmp_path), "set", "stage", "staging"])
    assert main(["-r", str(tmp_path), "set", "aws_access_key_id", "X"]) == 0
    assert main(["-r", str(tmp_path), "set", "verbose", "true"]) == 0
    assert main(["-r", str(tmp_path), "-s", "production", "set", "aws_access_key_id", "P"]) == 0
    data = persisted(tmp_path)
    assert data["aws_access_key_id"] == {"staging": "X", "production": "P"}
    assert data["verbose"] == {"staging": True}
    assert "set persistently true to verbose on staging" in capsys.readouterr().err


def test_bad_boolean_lists_accepted_words(tmp_path, capsys):
    assert main(["-r", str(tmp_path), "set", "verbose", "maybe"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("HIVE ERROR: ") and "true, yes, 1, false, no, 0" in err
    assert "Traceback" not in err


def test_refusals(tmp_path, capsys):
    cases = [(["set", "foo", "bar"], "HIVE ERROR: unknown variable foo"),
             (["set", "root_dir", "/tmp"], "HIVE ERROR: variable root_dir can not be saved persistently"),
             (["set", "context_dir", "/nonexistent"], "HIVE ERROR: /nonexistent is not a directory"),
             (["set", "forks", "ten"], "HIVE ERROR: cannot parse as integer ten"),
             (["set", "start_phase", "deploy"], "HIVE ERROR: value deploy not in ['build-infra',")]
    for argv, message in cases:
        assert main(["-r", str(tmp_path), *argv]) == 1, argv
        assert message in capsys.readouterr().err, argv
    assert not (tmp_path / ".hive" / "persistent_values.yml").exists()


def test_set_directory_stores_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "ctx").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["set", "context_dir", "ctx/"]) == 0
    assert persisted(tmp_path)["context_dir"] == {"private": str(tmp_path / "ctx")}


def test_set_dict_from_json(tmp_path):
    assert main(["-r", str(tmp_path), "set", "drbd_device_map", '{"db": 3}']) == 0
    assert persisted(tmp_path)["drbd_device_map"] == {"private": {"db": 3}}


def test_init_twice(tmp_path, capsys):
    assert main(["-r", str(tmp_path), "init"]) == 0
    assert "Success to initialize hive context on" in capsys.readouterr().err
    assert main(["-r", str(tmp_path), "init"]) == 0
    assert "is already initialized" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hive", "inventory"]   # the starter inventory
    assert list((tmp_path / ".hive").iterdir()) == []
