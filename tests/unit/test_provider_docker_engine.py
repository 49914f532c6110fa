"""Docker provider I/O edges with fakes: no engine answering, and where the base image comes from."""

import docker
import docker.errors
import pytest

from hive_builder.errors import HiveError
from hive_builder.providers.docker import image
from hive_builder.providers.docker.engine import Engine
from hive_builder.providers.docker.provider import DockerProvider
from hive_builder.providers.plan import ProvisionPlan, ServerPlan


def _plan(tmp_path):
    return ProvisionPlan(hive_name="demo", stage="private", cidr="10.233.10.0/24",
                         servers=(ServerPlan("p-hive0.demo", "10.233.10.4"),),
                         context_dir=tmp_path, root_dir=tmp_path)


def _no_engine():
    raise docker.errors.DockerException("Error while fetching server API version: "
                                        "('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))")


@pytest.mark.parametrize("docker_host, shown", [
    (None, "unix:///var/run/docker.sock"),
    ("tcp://127.0.0.1:2375", "tcp://127.0.0.1:2375"),
])
def test_sanity_check_without_an_engine_names_the_socket_and_how_to_start_one(
        monkeypatch, tmp_path, docker_host, shown):
    if docker_host:
        monkeypatch.setenv("DOCKER_HOST", docker_host)
    else:
        monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(docker, "from_env", _no_engine)
    with pytest.raises(HiveError) as info:
        DockerProvider(engine=Engine()).sanity_check(_plan(tmp_path))
    text = str(info.value)
    assert f"no Docker engine answers at {shown}" in text
    assert "Connection aborted" in text                         # the engine's reason, first line only
    assert "hint:" in text and "dockerd" in text and "systemctl start docker" in text
    assert "Traceback" not in text


def test_engine_that_does_not_answer_ping_is_no_engine(monkeypatch):
    class Client:
        def ping(self):
            raise docker.errors.APIError("500 Server Error: engine starting")
    monkeypatch.setattr(docker, "from_env", lambda: Client())
    with pytest.raises(HiveError, match="no Docker engine answers at .*engine starting"):
        Engine.connect()


CURRENT_BASE = {image.BASE_FORMAT_LABEL: image.BASE_FORMAT}


class FakeImages:
    def __init__(self, local=(), pull_ok=False, log=None):
        # ref -> labels
        self.local = dict(local) if isinstance(local, dict) else dict.fromkeys(local, CURRENT_BASE)
        self.pull_ok, self.log = pull_ok, log

    def get(self, ref):
        self.log.append(("get", ref))
        if ref not in self.local:
            raise docker.errors.ImageNotFound(f"No such image: {ref}")
        return type("Img", (), {"id": f"sha256:{ref}", "labels": self.local[ref]})()

    def pull(self, ref):
        self.log.append(("pull", ref))
        if not self.pull_ok:
            raise docker.errors.APIError("pull access denied (no route to registry-1.docker.io)")
        self.local[ref] = {}


class FakeClient:
    def __init__(self, **kw):
        self.log = []
        self.images = FakeImages(log=self.log, **kw)


@pytest.fixture
def debootstrap(monkeypatch):
    def fake(client):
        client.log.append(("debootstrap", image.OWN_BASE))
        return image.OWN_BASE
    monkeypatch.setattr(image, "_debootstrap_base", fake)


def test_base_is_the_local_debian_image_first(debootstrap):
    client = FakeClient(local={"debian:bookworm"})
    assert image.ensure_base_image(client) == "debian:bookworm"
    assert client.log == [("get", "debian:bookworm")]


def test_base_reuses_an_earlier_debootstrap_before_pulling(debootstrap):
    client = FakeClient(local={image.OWN_BASE})
    assert image.ensure_base_image(client) == image.OWN_BASE
    assert client.log == [("get", "debian:bookworm"), ("get", image.OWN_BASE)]


def test_base_of_an_older_recipe_is_debootstrapped_again(debootstrap):
    client = FakeClient(local={image.OWN_BASE: {}})
    assert image.ensure_base_image(client) == image.OWN_BASE
    assert client.log == [("get", "debian:bookworm"), ("get", image.OWN_BASE), ("debootstrap", image.OWN_BASE)]


def test_base_is_pulled_when_not_local(debootstrap):
    client = FakeClient(pull_ok=True)
    assert image.ensure_base_image(client) == "debian:bookworm"
    assert client.log == [("get", "debian:bookworm"), ("get", image.OWN_BASE), ("pull", "debian:bookworm")]


def test_debootstrap_only_when_neither_local_nor_pull_works(debootstrap):
    client = FakeClient()
    assert image.ensure_base_image(client) == image.OWN_BASE
    assert client.log == [("get", "debian:bookworm"), ("get", image.OWN_BASE),
                          ("pull", "debian:bookworm"), ("debootstrap", image.OWN_BASE)]


def test_without_debootstrap_the_error_says_what_to_do(monkeypatch):
    monkeypatch.setattr(image.shutil, "which", lambda name: None)
    with pytest.raises(HiveError) as info:
        image.ensure_base_image(FakeClient())
    assert "debootstrap is not installed" in str(info.value) and "apt-get install debootstrap" in str(info.value)
