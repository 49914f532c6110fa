#!/usr/bin/python3
"""Pull each service's image on this node and report what runs here (deploy-services play 1).

argv[1]: JSON {service: image reference}. Prints JSON
{"changed": bool, "images": {service: {"pulled": image id, "running": [image ids of this node's
running containers of the service]}}, "errors": {service: message}, "auth_refused": bool,
"proxy_env": {name: value}}.
auth_refused: a registry refused this node's credentials (the play then logs in and pulls again).
proxy_env: this node's proxy variables, which the first hive passes to the services (it spares
the deploy play a fact gathering).
Runs on the hive with the docker CLI only, so no Docker SDK is needed for it.
"""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True)


def image_id(ref):
    proc = docker("image", "inspect", "--format", "{{.Id}}", ref)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def running_image_ids(service):
    ids = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}").stdout.split()
    if not ids:
        return []
    out = docker("inspect", "--format", "{{.Image}}", *ids).stdout.split()
    return sorted(set(out))


# the same names as render/swarm_service.py PROXY_VARIABLES (this script runs where hive_builder
# is not installed; a unit test keeps the two equal)
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy")

# what `docker pull` says when the registry wants other credentials than this node's
AUTH_REFUSED = ("no basic auth credentials", "unauthorized", "authentication required")


def pull(ref):
    """(image id before, the pull, image id after): one chain per image, the chains concurrent,
    since a node's time goes to waiting on the registry and on the docker CLI."""
    before = image_id(ref)
    proc = docker("pull", "-q", ref)
    return before, proc, image_id(ref)


def main():
    refs = json.loads(sys.argv[1])
    result = {"changed": False, "images": {}, "errors": {}, "auth_refused": False,
              "proxy_env": {k: os.environ[k] for k in PROXY_VARIABLES if k in os.environ}}
    distinct = sorted(set(refs.values()))
    services = sorted(refs)
    with ThreadPoolExecutor(max_workers=4) as pool:
        pulls = dict(zip(distinct, pool.map(pull, distinct)))
        running = dict(zip(services, pool.map(running_image_ids, services)))
    for service, ref in sorted(refs.items()):
        before, proc, after = pulls[ref]
        message = (proc.stderr or proc.stdout).strip()
        if proc.returncode != 0 and any(text in message.lower() for text in AUTH_REFUSED):
            result["auth_refused"] = True
        if proc.returncode != 0 and not after:
            result["errors"][service] = f"docker pull {ref}: {message}"
        result["changed"] |= bool(after) and after != before
        result["images"][service] = {"pulled": after, "running": running[service]}
    print(json.dumps(result))


main()
