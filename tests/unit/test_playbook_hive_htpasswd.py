"""The hive_htpasswd module's logic (it runs on the repository server: tested through its
functions, with this Python's bcrypt implementation)."""

import pytest

from tests.unit.library_modules import ME, MY_GROUP, load

htpasswd = load("hive_htpasswd")


def params(path, **kw):
    return {"path": str(path), "name": "hive", "password": "s3cret", "cost": 5, "mode": "0640",
            "owner": ME, "group": MY_GROUP, **kw}


def user_hash(path, name="hive"):
    [line] = [line for line in path.read_text().splitlines() if line.startswith(name + ":")]
    return line.split(":", 1)[1]


def test_hash_has_the_cost_and_verifies():
    hashed = htpasswd.hash_password("s3cret", 5)
    assert hashed.startswith("$2b$05$") and htpasswd.hash_cost(hashed) == 5
    assert htpasswd.verifies("s3cret", hashed) and not htpasswd.verifies("other", hashed)


@pytest.mark.parametrize("hashed, cost", [
    ("$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234", 12),
    ("$2y$05$abc", 5), ("$apr1$salt$hash", None), ("plaintext", None), ("$2b$xx$abc", None),
])
def test_hash_cost_reads_bcrypt_costs_only(hashed, cost):
    assert htpasswd.hash_cost(hashed) == cost


def test_creates_file_then_reports_no_change(tmp_path):
    path = tmp_path / "htpasswd"
    assert htpasswd.ensure(params(path), check=False)
    first = user_hash(path)
    assert first.startswith("$2b$05$") and (path.stat().st_mode & 0o777) == 0o640
    assert not htpasswd.ensure(params(path), check=False)
    assert user_hash(path) == first   # salted: never rehashed for nothing


def test_another_cost_or_password_rehashes_and_keeps_other_users(tmp_path):
    path = tmp_path / "htpasswd"
    other = "admin:" + htpasswd.hash_password("x", 4)
    path.write_text(other + "\nhive:" + htpasswd.hash_password("s3cret", 12) + "\n")
    assert htpasswd.ensure(params(path), check=False)
    assert htpasswd.hash_cost(user_hash(path)) == 5
    assert other in path.read_text().splitlines()
    assert htpasswd.ensure(params(path, password="changed"), check=False)
    assert htpasswd.verifies("changed", user_hash(path))
    assert path.read_text().count("hive:") == 1


def test_duplicate_or_foreign_entries_become_one_bcrypt_line(tmp_path):
    path = tmp_path / "htpasswd"
    path.write_text("hive:$apr1$salt$hash\nhive:plain\n")
    assert htpasswd.ensure(params(path), check=False)
    assert path.read_text().count("hive:") == 1 and htpasswd.verifies("s3cret", user_hash(path))


def test_mode_alone_is_a_change(tmp_path):
    path = tmp_path / "htpasswd"
    htpasswd.ensure(params(path), check=False)
    path.chmod(0o644)
    assert htpasswd.ensure(params(path), check=False)
    assert (path.stat().st_mode & 0o777) == 0o640


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "htpasswd"
    assert htpasswd.ensure(params(path), check=True)
    assert not path.exists()
