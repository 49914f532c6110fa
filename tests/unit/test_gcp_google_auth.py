"""The preflight with the real google-auth (the gcp extra) against a stand-in of Google's token
endpoint and Compute API on loopback (no traffic leaves this machine): the service account key
signs a JWT, the token it gets back authorises the API requests; a refused key, an API that does
not answer in time and a missing permission each give the error that says what to do."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("google.auth", reason="the gcp extra (google-auth) is not installed")

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from hive_builder.errors import HiveError  # noqa: E402
from hive_builder.providers import gcp as g  # noqa: E402
from tests.unit.test_gcp_render import plan  # noqa: E402


class Google(BaseHTTPRequestHandler):
    mode = "ok"
    seen: list = []

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):   # the client gave up (the timeout test)
            pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.seen.append(("POST", self.path, body))
        if self.mode == "refused":
            return self._answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        self._answer(200, {"access_token": "token-1", "expires_in": 3600, "token_type": "Bearer"})

    def do_GET(self):
        self.seen.append(("GET", self.path, self.headers.get("Authorization")))
        if self.mode == "slow":
            time.sleep(2)
        if self.headers.get("Authorization") != "Bearer token-1":
            return self._answer(401, {"error": {"message": "no token"}})
        if self.mode == "forbidden":
            return self._answer(403, {"error": {"message": "Required 'compute.regions.get' permission"}})
        if self.path.endswith("/regions/asia-northeast1"):
            return self._answer(200, {"zones": [f"x/zones/asia-northeast1-{z}" for z in "abc"]})
        self._answer(200, {})


@pytest.fixture
def google(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Google)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setattr(g, "COMPUTE", f"{base}/compute/v1")
    # a proxy of the environment must not see the loopback requests
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    Google.mode, Google.seen = "ok", []
    yield base
    server.shutdown()
    server.server_close()


def _key(base):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "demo-project-1", "private_key_id": "k1", "private_key": pem,
            "client_email": "hive@demo-project-1.iam.gserviceaccount.com", "client_id": "1",
            "token_uri": f"{base}/token"}


def site(tmp_path, base):
    p = plan(tmp_path)
    (tmp_path / "gcp_credential.json").write_text(json.dumps(_key(base)))
    return p


def test_the_key_gets_a_token_that_authorises_the_api_requests(tmp_path, google):
    params = g.GcpProvider().tasks_vars(site(tmp_path, google), "present")
    assert params["project"] == "demo-project-1"
    token = [s for s in Google.seen if s[0] == "POST"]
    assert len(token) == 1 and token[0][1] == "/token" and "grant_type=urn" in token[0][2]
    gets = [s for s in Google.seen if s[0] == "GET"]
    assert gets[0][1] == "/compute/v1/projects/demo-project-1/regions/asia-northeast1"
    assert all(auth == "Bearer token-1" for _, _, auth in gets)
    assert any("/machineTypes/e2-standard-2" in path for _, path, _ in gets)


def test_a_refused_key_says_so(tmp_path, google):
    Google.mode = "refused"
    with pytest.raises(HiveError, match="Google refused the service account key") as err:
        g.GcpProvider().sanity_check(site(tmp_path, google))
    assert "invalid_grant" in str(err.value) and "gcp_credential.json" in err.value.hint


def test_a_missing_permission_names_the_role(tmp_path, google):
    Google.mode = "forbidden"
    with pytest.raises(HiveError, match="403") as err:
        g.GcpProvider().sanity_check(site(tmp_path, google))
    assert "Compute Admin" in err.value.hint


def test_an_api_that_does_not_answer_in_time_is_reported_quickly(tmp_path, google, monkeypatch):
    monkeypatch.setattr(g, "TIMEOUT", (0.5, 0.5))
    Google.mode = "slow"
    started = time.monotonic()
    with pytest.raises(HiveError, match="cannot be reached") as err:
        g.GcpProvider().sanity_check(site(tmp_path, google))
    assert time.monotonic() - started < 2 and "proxy" in err.value.hint


def test_a_key_google_auth_cannot_load_names_the_file(tmp_path, google):
    p = plan(tmp_path)
    key = {**_key(google), "private_key": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n"}
    (tmp_path / "gcp_credential.json").write_text(json.dumps(key))
    with pytest.raises(HiveError, match="gcp_credential.json: the service account key of .* is unusable") as err:
        g.GcpProvider().sanity_check(p)
    assert "Add key > JSON" in err.value.hint and Google.seen == []
