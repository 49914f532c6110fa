"""The services phases' playbooks (build-images, deploy-services, initialize-services).

- the pull/report script that deploy-services runs on every hive, against a fake `docker`;
- the three playbooks and their roles pass `ansible-playbook --syntax-check`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLAYBOOKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks"
PULL_SCRIPT = PLAYBOOKS / "roles" / "deploy-service" / "files" / "hive_pull_images.py"
BIN = Path(sys.executable).parent

# A fake docker CLI driven by a JSON state file: {"local": {ref: id}, "registry": {ref: id},
# "containers": {service: [[container id, image id], ...]}}
FAKE_DOCKER = textwrap.dedent("""\
    #!{python}
    import json, os, sys
    state_file = os.environ["FAKE_DOCKER_STATE"]
    state = json.load(open(state_file))
    args = sys.argv[1:]
    if args[:2] == ["image", "inspect"]:
        ref = args[-1]
        if ref in state["local"]:
            print(state["local"][ref]); sys.exit(0)
        sys.stderr.write("No such image: " + ref); sys.exit(1)
    if args[0] == "pull":   # concurrent pulls: read-modify-write under a lock
        ref = args[-1]
        if ref in state.get("refused", []):
            sys.stderr.write("Error response from daemon: Head https://" + ref + ": no basic auth credentials")
            sys.exit(1)
        if ref not in state["registry"]:
            sys.stderr.write("manifest unknown: " + ref); sys.exit(1)
        import fcntl
        with open(state_file + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = json.load(open(state_file))
            state["local"][ref] = state["registry"][ref]
            json.dump(state, open(state_file, "w"))
        print(ref); sys.exit(0)
    if args[0] == "ps":
        service = args[-1].split("=", 2)[-1]
        print("\\n".join(c for c, _ in state["containers"].get(service, []))); sys.exit(0)
    if args[0] == "inspect":
        images = {{c: i for cs in state["containers"].values() for c, i in cs}}
        print("\\n".join(images[c] for c in args[3:])); sys.exit(0)
    sys.exit(2)
""")


@pytest.fixture
def fake_docker(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    docker = bindir / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable))
    docker.chmod(0o755)
    state_file = tmp_path / "state.json"

    def run(state: dict, refs: dict, environ: dict | None = None) -> dict:
        state_file.write_text(json.dumps(state))
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(environ or {}, PATH=f"{bindir}:{os.environ['PATH']}", FAKE_DOCKER_STATE=str(state_file))
        proc = subprocess.run([sys.executable, str(PULL_SCRIPT), json.dumps(refs)], env=env,
                              capture_output=True, text=True, check=True)
        return json.loads(proc.stdout)

    return run


def test_pull_reports_new_image_and_running_containers(fake_docker):
    out = fake_docker({"local": {"r:5000/image_web:latest": "sha256:old"},
                       "registry": {"r:5000/image_web:latest": "sha256:new"},
                       "containers": {"web": [["c1", "sha256:old"]]}},
                      {"web": "r:5000/image_web:latest"})
    assert out["changed"] is True
    assert out["images"] == {"web": {"pulled": "sha256:new", "running": ["sha256:old"]}}
    assert out["errors"] == {}


def test_pull_of_an_unchanged_image_is_no_change(fake_docker):
    out = fake_docker({"local": {"db:1": "sha256:a"}, "registry": {"db:1": "sha256:a"},
                       "containers": {}},
                      {"db": "db:1"})
    assert out["changed"] is False
    assert out["images"]["db"] == {"pulled": "sha256:a", "running": []}


def test_failed_pull_uses_the_local_image_or_reports_the_service(fake_docker):
    out = fake_docker({"local": {"kept:1": "sha256:k"}, "registry": {}, "containers": {}},
                      {"kept": "kept:1", "lost": "lost:1"})
    assert out["images"]["kept"]["pulled"] == "sha256:k"
    assert "kept" not in out["errors"]
    assert out["errors"]["lost"].startswith("docker pull lost:1: manifest unknown")
    assert out["changed"] is False


def test_pull_says_when_the_registry_refused_this_nodes_credentials(fake_docker):
    """The play logs in and pulls again only then (setup-hosts logged the node in)."""
    state = {"local": {"r:5000/image_db:latest": "sha256:a"}, "registry": {}, "containers": {}}
    out = fake_docker(state, {"db": "r:5000/image_db:latest"})
    assert out["auth_refused"] is False      # a missing image is not a refused login
    out = fake_docker({**state, "refused": ["r:5000/image_db:latest", "r:5000/image_web:latest"]},
                      {"db": "r:5000/image_db:latest", "web": "r:5000/image_web:latest"})
    assert out["auth_refused"] is True
    assert "db" not in out["errors"]     # the local copy is still reported
    assert "no basic auth credentials" in out["errors"]["web"]


@pytest.mark.parametrize("playbook", ["build-images.yml", "deploy-services.yml", "initialize-services.yml"])
def test_playbook_syntax(playbook, tmp_path):
    env = dict(os.environ,
               ANSIBLE_ROLES_PATH=f"{PLAYBOOKS / 'roles'}:{PLAYBOOKS / 'builtin_roles'}",
               ANSIBLE_FILTER_PLUGINS=str(PLAYBOOKS.parent / "plugins" / "filter"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path), ANSIBLE_HOME=str(tmp_path))
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,",
                           str(PLAYBOOKS / playbook)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pull_reports_the_nodes_proxy_variables(fake_docker):
    """The first hive's report gives the services their proxy variables (no fact gathering)."""
    state = {"local": {"db:1": "sha256:a"}, "registry": {"db:1": "sha256:a"}, "containers": {}}
    out = fake_docker(state, {"db": "db:1"}, {"HTTP_PROXY": "http://proxy:3128", "no_proxy": "",
                                             "HOME": "/root"})
    assert out["proxy_env"] == {"HTTP_PROXY": "http://proxy:3128", "no_proxy": ""}
    assert fake_docker(state, {"db": "db:1"})["proxy_env"] == {}


def test_pull_script_reports_the_proxy_names_the_service_renderer_reads():
    import re
    from hive_builder.render.swarm_service import PROXY_VARIABLES
    [names] = re.findall(r"^PROXY_VARIABLES = (\(.*\))$", PULL_SCRIPT.read_text(), re.M)
    assert eval(names) == PROXY_VARIABLES
