# tests/aws/conftest.py
import os, socket, subprocess, sys, time, urllib.request, pytest
from pathlib import Path

AMIS = Path(__file__).with_name("amis-debian.json")        # shipped test data (§6)

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    pytest.importorskip("moto.server")
    port = _free_port()
    env = {**os.environ,
           "MOTO_AMIS_PATH": str(AMIS),
           "MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION": "true",
           "MOTO_ENABLE_AMI_VALIDATION": "true",
           "MOTO_ENABLE_KEYPAIR_VALIDATION": "true"}
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1); break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill(); raise RuntimeError("moto_server did not start")
            time.sleep(0.1)
    yield url
    proc.terminate(); proc.wait(10); log.close()

@pytest.fixture
def aws_env(moto_endpoint, monkeypatch, tmp_path):
    """A clean moto account and an environment that can only reach moto."""
    urllib.request.urlopen(urllib.request.Request(moto_endpoint + "/moto-api/reset", method="POST"))
    for k in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("HOME", str(tmp_path))                 # no ~/.aws
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")   # never 169.254.169.254
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_URL", moto_endpoint)              # amazon.aws modules
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)     # plain boto3 in the preflight/tests
    return moto_endpoint
