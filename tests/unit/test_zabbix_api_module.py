"""The pure parts of the hive_zabbix module (what a host needs to reach the wanted state); the
API calls themselves run against a real server in tests/e2e/test_zabbix.py."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from hive_builder.lib import hive_zabbix as m

GROUPS = {"Hives": "10", "Repository server": "11"}
TEMPLATES = {"Linux": "100", "Hive Server": "101", "Hive Repository Server": "102"}
WANT = {"name": "p-hive0.e", "ip": "10.0.0.4", "groups": ["Hives"], "templates": ["Linux", "Hive Server"],
        "macros": {"{$A}": "1"}}


def current(groups=("10",), templates=("100", "101"), macros=(("{$A}", "1"),)):
    return {"groups": [{"groupid": g} for g in groups],
            "parentTemplates": [{"templateid": t} for t in templates],
            "macros": [{"macro": k, "value": v} for k, v in macros]}


def test_a_host_in_the_wanted_state_needs_no_update():
    assert m.host_update(current(), WANT, GROUPS, TEMPLATES) == {}
    # what an operator added (a group, a template, a macro) is no difference
    assert m.host_update(current(groups=("10", "99"), templates=("100", "101", "555"),
                                 macros=(("{$A}", "1"), ("{$MINE}", "x"))), WANT, GROUPS, TEMPLATES) == {}


def test_missing_links_are_added_and_the_operators_kept():
    update = m.host_update(current(groups=("99",), templates=("555",)), WANT, GROUPS, TEMPLATES)
    assert update["groups"] == [{"groupid": "10"}, {"groupid": "99"}]
    assert update["templates"] == [{"templateid": "100"}, {"templateid": "101"}, {"templateid": "555"}]
    assert "macros" not in update


def test_a_wrong_macro_value_is_corrected_and_other_macros_stay():
    update = m.host_update(current(macros=(("{$A}", "0"), ("{$MINE}", "x"))), WANT, GROUPS, TEMPLATES)
    assert update == {"macros": [{"macro": "{$A}", "value": "1"}, {"macro": "{$MINE}", "value": "x"}]}


class FakeZabbix(BaseHTTPRequestHandler):
    """A JSON-RPC endpoint that knows one password, to test the first-run password change."""
    password = "zabbix"
    calls: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeZabbix.calls.append(body["method"])
        p = body["params"]
        if body["method"] == "user.login":
            answer = ({"result": "token"} if p["password"] == FakeZabbix.password
                      else {"error": {"message": "Incorrect user name or password", "data": ""}})
        elif body["method"] == "user.get":
            answer = {"result": [{"userid": "1"}]}
        elif body["method"] == "user.update":
            assert set(p) == {"userid", "passwd"}     # Zabbix 6.0 refuses current_passwd
            FakeZabbix.password = p["passwd"]
            answer = {"result": {"userids": ["1"]}}
        else:
            answer = {"result": "6.0.14"}
        data = json.dumps({"jsonrpc": "2.0", "id": 1, **answer}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake():
    server = HTTPServer(("127.0.0.1", 0), FakeZabbix)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeZabbix.password, FakeZabbix.calls = "zabbix", []
    yield m.Api(f"http://127.0.0.1:{server.server_port}/api_jsonrpc.php")
    server.shutdown()


def test_first_run_replaces_the_default_password_then_keeps_it(fake):
    assert m.wait_for_api(fake, 5) == "6.0.14"
    assert m.ensure_password(fake, "s3cret") is True
    assert FakeZabbix.password == "s3cret" and fake.auth == "token"
    assert m.ensure_password(fake, "s3cret") is False
    assert FakeZabbix.calls.count("user.update") == 1


def test_an_unknown_password_is_an_api_error(fake):
    FakeZabbix.password = "changed-by-someone"
    with pytest.raises(m.ApiError, match="accepts neither the stage's password .* write the new one"):
        m.ensure_password(fake, "s3cret")


class Recorder:
    def __init__(self):
        self.calls = []

    def call(self, method, params):
        self.calls.append((method, params))


@pytest.mark.parametrize("interfaces, expected", [
    ([{"type": "1", "main": "1", "ip": "10.0.0.4", "interfaceid": "7"}], []),
    ([{"type": "1", "main": "1", "ip": "10.0.0.9", "interfaceid": "7"}],
     [("hostinterface.update", {"interfaceid": "7", "ip": "10.0.0.4", "useip": 1})]),
    ([], [("hostinterface.create", {"hostid": "5", **m.agent_interface("10.0.0.4")})]),
])
def test_agent_interface_created_or_corrected_only_when_needed(interfaces, expected):
    api = Recorder()
    assert m.fix_interface(api, {"hostid": "5", "interfaces": interfaces}, "10.0.0.4") == bool(expected)
    assert api.calls == expected
