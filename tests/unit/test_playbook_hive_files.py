"""The hive_files module's file logic (it runs on servers, so it is tested through its function)."""

from tests.unit.library_modules import ME, MY_GROUP, load

hive_files = load("hive_files")


def spec_for(path, **kw):
    return {"path": str(path), "owner": ME, "group": MY_GROUP, **kw}


def test_creates_file_and_parents_then_reports_no_change(tmp_path):
    target = tmp_path / "a" / "b" / "daemon.json"
    assert hive_files.ensure_file(spec_for(target, content="{}\n", mode="0600"), check=False)
    assert target.read_text() == "{}\n" and (target.stat().st_mode & 0o777) == 0o600
    assert not hive_files.ensure_file(spec_for(target, content="{}\n", mode="0600"), check=False)


def test_mode_change_alone_is_a_change(tmp_path):
    target = tmp_path / "f"
    target.write_text("x")
    target.chmod(0o644)
    assert hive_files.ensure_file(spec_for(target, content="x", mode="0755"), check=False)
    assert (target.stat().st_mode & 0o777) == 0o755


def test_copy_from_another_file_on_the_host(tmp_path):
    (tmp_path / "src").write_text("cert")
    target = tmp_path / "dst"
    assert hive_files.ensure_file(spec_for(target, src=str(tmp_path / "src"), mode="0600"), check=False)
    assert target.read_text() == "cert"


def test_check_mode_reports_but_does_not_write(tmp_path):
    target = tmp_path / "new"
    assert hive_files.ensure_file(spec_for(target, content="x"), check=True)
    assert not target.exists()


def test_prune_removes_unlisted_matching_files_only(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    for name in ["web.conf", "old.conf", "hive-registry.conf", "notes.txt", ".hive-tmp1", "gone.conf"]:
        (d / name).write_text("x")
    (d / "sub.conf").mkdir()
    out = hive_files.pruned({"path": str(d), "patterns": ["*.conf"], "excludes": ["hive-*"],
                             "keep": ["web.conf"]})
    assert out == [str(d / "gone.conf"), str(d / "old.conf")]
    assert hive_files.pruned({"path": str(tmp_path / "none")}) == []
    # without patterns every visible file but the kept ones
    assert hive_files.pruned({"path": str(d), "keep": ["web.conf"]}) == [
        str(d / n) for n in ["gone.conf", "hive-registry.conf", "notes.txt", "old.conf"]]


def test_remove_file_reports_and_respects_check_mode(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    assert hive_files.remove_file(str(f), check=True) and f.exists()
    assert hive_files.remove_file(str(f), check=False) and not f.exists()
    assert not hive_files.remove_file(str(f), check=False)
    import pytest
    with pytest.raises(IsADirectoryError):
        hive_files.remove_file(str(tmp_path), check=False)
