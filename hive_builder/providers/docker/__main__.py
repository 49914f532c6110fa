"""Bring a docker-provider stage up or down without a hive project (tests, role development).

  python -m hive_builder.providers.docker up   --name demo --cidr 10.233.20.0/24 --context-dir DIR [--count 4]
  python -m hive_builder.providers.docker halt --name demo --cidr 10.233.20.0/24 --context-dir DIR
  python -m hive_builder.providers.docker down --name demo --cidr 10.233.20.0/24 --context-dir DIR

`up` creates DIR/id_rsa(.pub) if missing, the containers, DIR/ssh_config and DIR/provider_facts.yml.
Hosts default to `<prefix>hive<i>.<name>` with addresses from the 4th usable one of the cidr
(as the hive definition assigns them); `--hosts name:ip,name:ip` overrides.
"""

from __future__ import annotations

import argparse
import ipaddress
import subprocess
import sys
import time
from pathlib import Path

from hive_builder.errors import HiveError
from hive_builder.providers import apply
from hive_builder.providers.docker.provider import DockerProvider
from hive_builder.providers.plan import ProvisionPlan, ServerPlan

STAGE_PREFIX = {"private": "p-", "staging": "s-", "production": ""}


def default_hosts(name: str, stage: str, cidr: str, count: int) -> list[tuple[str, str]]:
    """Pure: names and IPs as the hive definition would give them (no subnets, no ip list)."""
    addrs = list(ipaddress.ip_network(cidr, strict=False).hosts())[3:3 + count]
    if len(addrs) < count:
        raise HiveError(f"cidr {cidr} has room for only {len(addrs)} servers")
    prefix = STAGE_PREFIX.get(stage, f"{stage[0]}-")
    return [(f"{prefix}hive{i}.{name}", str(ip)) for i, ip in enumerate(addrs)]


def parse_hosts(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in filter(None, (x.strip() for x in text.split(","))):
        host, sep, ip = item.partition(":")
        if not sep:
            raise HiveError(f"--hosts entry {item!r} must be NAME:IP")
        pairs.append((host, ip))
    return pairs


def build_plan(args: argparse.Namespace) -> ProvisionPlan:
    hosts = parse_hosts(args.hosts) if args.hosts else default_hosts(args.name, args.stage, args.cidr, args.count)
    n = len(hosts)
    servers = []
    for i, (host, ip) in enumerate(hosts):
        roles = ("repository",) if i == n - 1 and n > 1 else ("hives",)
        if i == 0:
            roles = (*roles, "first_hive")
        servers.append(ServerPlan(name=host, ip=ip, roles=roles))
    context = Path(args.context_dir).resolve()
    return ProvisionPlan(hive_name=args.name, stage=args.stage, cidr=args.cidr, servers=tuple(servers),
                         context_dir=context, root_dir=Path(args.root_dir).resolve() if args.root_dir else context,
                         admin_user=args.admin)


def ensure_keypair(private_key: Path) -> None:
    if private_key.exists():
        return
    private_key.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "hive-builder",
                    "-f", str(private_key)], check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hive_builder.providers.docker", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["up", "halt", "down"])
    ap.add_argument("--name", required=True, help="hive (site) name, e.g. demo")
    ap.add_argument("--stage", default="private")
    ap.add_argument("--cidr", required=True)
    ap.add_argument("--context-dir", required=True)
    ap.add_argument("--root-dir", help="project root recorded in the labels (default: the context dir)")
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--hosts", help="NAME:IP,NAME:IP,... instead of the default names")
    ap.add_argument("--admin", default="admin")
    args = ap.parse_args(argv)
    try:
        plan = build_plan(args)
        if args.action == "up":
            ensure_keypair(plan.private_key)
        t0 = time.monotonic()
        state = {"up": "present", "halt": "halted", "down": "absent"}[args.action]
        result = apply(DockerProvider(), plan, state)
    except HiveError as exc:
        print(f"HIVE ERROR: {exc}", file=sys.stderr)
        return 1
    for msg in result.messages:
        print(f"WARNING: {msg}", file=sys.stderr)
    print(f"{args.action}: {'changed' if result.changed else 'ok (nothing to do)'} in "
          f"{time.monotonic() - t0:.1f} s" + (f"; ssh -F {plan.ssh_config_path} <host>" if state == "present" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
