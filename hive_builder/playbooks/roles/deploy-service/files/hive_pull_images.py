#!/usr/bin/python3
"""Pull each service's image on this node and report what runs here (deploy-services play 1).

argv[1]: JSON {service: image reference}. Prints JSON
{"changed": bool, "images": {service: {"pulled": image id, "running": [image ids of this node's
running containers of the service]}}, "errors": {service: message}}.
Runs on the hive with the docker CLI only, so no Docker SDK is needed for it.
"""
import json
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


def main():
    refs = json.loads(sys.argv[1])
    result = {"changed": False, "images": {}, "errors": {}}
    distinct = sorted(set(refs.values()))
    before = {ref: image_id(ref) for ref in distinct}
    # concurrently: a node pulling several images spends its time waiting on the registry
    with ThreadPoolExecutor(max_workers=4) as pool:
        pulls = dict(zip(distinct, pool.map(lambda ref: docker("pull", "-q", ref), distinct)))
    after = {ref: image_id(ref) for ref in distinct}
    for service, ref in sorted(refs.items()):
        pull = pulls[ref]
        if pull.returncode != 0 and not after[ref]:
            result["errors"][service] = f"docker pull {ref}: {(pull.stderr or pull.stdout).strip()}"
        result["changed"] |= bool(after[ref]) and after[ref] != before[ref]
        result["images"][service] = {"pulled": after[ref], "running": running_image_ids(service)}
    print(json.dumps(result))


main()
