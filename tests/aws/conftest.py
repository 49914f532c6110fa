"""A local AWS API emulator for the aws provider's end-to-end tests: moto_server on 127.0.0.1,
one per session, reset before each test. Nothing here can reach AWS or the instance metadata
service: the tests' environment has no AWS profile, no ~/.aws and no metadata lookups."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

AMIS = Path(__file__).with_name("amis-debian.json")   # moto has no Debian image of its own
# moto accepts unknown instance types, images and key pairs unless told otherwise (tested as
# bool(os.environ.get(...)): never set them to "false")
STRICT = {"MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION": "true", "MOTO_ENABLE_AMI_VALIDATION": "true",
          "MOTO_ENABLE_KEYPAIR_VALIDATION": "true"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(log: Path, **extra: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env.update(MOTO_AMIS_PATH=str(AMIS), **STRICT, **extra)
    out = open(log, "w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"moto_server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.1)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    pytest.importorskip("moto.server", reason="moto[server] is a test dependency (pip install -e '.[test]')")
    pytest.importorskip("boto3", reason="the aws extra: pip install -e '.[aws]'")
    proc, url = start_moto(tmp_path_factory.mktemp("moto") / "moto.log")
    yield url
    proc.terminate()
    proc.wait(10)


def clean_aws_environment(monkeypatch, home: Path) -> None:
    """Only what the test sets: no profile, no ~/.aws, never the metadata service (169.254.169.254
    is not loopback)."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-aws-credentials"))


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch, tmp_path):
    """A fresh moto account and an environment that reaches nothing but moto."""
    urllib.request.urlopen(urllib.request.Request(moto_endpoint + "/moto-api/reset", method="POST"))
    clean_aws_environment(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)   # boto3 and the amazon.aws modules
    return moto_endpoint
