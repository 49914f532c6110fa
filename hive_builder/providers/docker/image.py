"""The node image of the docker provider, built by hive itself (no Docker Hub needed).

Base: a local `debian:bookworm`, else our own debootstrapped `hive-builder/debian:bookworm`, else a
pull of `debian:bookworm`, else debootstrap from the host's Debian mirror. The node image tag is a
content hash of its build context plus the base image id, so an edited Dockerfile rebuilds and an
unchanged one is reused at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

from hive_builder.errors import HiveError

BUILD_CONTEXT = Path(__file__).resolve().parents[2] / "images" / "node"
ROLES_DIR = Path(__file__).resolve().parents[2] / "playbooks" / "roles"
# node kind -> (Dockerfile stage, build arg -> the (role, list variables) whose packages it holds)
_EVERY_SERVER = (("base", ("hive_base_packages", "hive_role_packages")),)
NODE_KINDS: dict[str, tuple[str, dict[str, tuple[tuple[str, tuple[str, ...]], ...]]]] = {
    "bare": ("bare", {}),
    "hive": ("preloaded", {"HIVE_PACKAGES": _EVERY_SERVER}),
    "repository": ("repository", {
        "HIVE_PACKAGES": _EVERY_SERVER,
        "REPOSITORY_FIRST_PACKAGES": (("zabbix", ("hive_zabbix_packages_first",)),),
        "REPOSITORY_PACKAGES": (("zabbix", ("hive_zabbix_packages",)),
                                ("registry", ("hive_registry_packages",)),
                                ("rsyslogd", ("hive_rsyslogd_packages",))),
    }),
}
UPSTREAM_BASE = "debian:bookworm"
OWN_BASE_REPO, OWN_BASE_TAG = "hive-builder/debian", "bookworm"
OWN_BASE = f"{OWN_BASE_REPO}:{OWN_BASE_TAG}"
# our debootstrapped base is rebuilt when made by an older recipe (label below)
# (3: debootstrap's downloaded packages no longer left in /var/cache/apt/archives, 31 MB)
BASE_FORMAT_LABEL, BASE_FORMAT = "hive-builder.base-format", "3"
# Like Debian's own container images: apt keeps neither the packages it downloaded nor its binary
# caches, so image layers built on the base (service images commit whole containers) stay small.
BASE_APT_CONFIG = """\
// hive-builder base image: no package files or binary caches left behind in image layers
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
"""
BASE_APT_CONFIG_PATH = "etc/apt/apt.conf.d/docker-clean"
NODE_REPO = "hive-builder/node"
SUITE = "bookworm"
LOCK_FILE = Path(os.environ.get("HIVE_IMAGE_LOCK", "/var/tmp/hive-builder-node-image.lock"))


# ---- pure helpers ---------------------------------------------------------------------------

def context_digest(files: dict[str, bytes], base_id: str) -> str:
    """Digest of a build context (relative path -> content) and the base image it builds on."""
    h = hashlib.sha256(base_id.encode())
    for rel in sorted(files):
        h.update(b"\0" + rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    return h.hexdigest()


def role_vars_text(role: str) -> str:
    return (ROLES_DIR / role / "vars" / "main.yml").read_text()


def package_list(vars_text: str, names: tuple[str, ...], where: str = "") -> list[str]:
    """The packages of the list variables `names` in a role's vars file, once each, in order."""
    import yaml
    data = yaml.safe_load(vars_text) or {}
    packages: list[str] = []
    for name in names:
        packages += [str(p) for p in data.get(name) or [] if str(p) not in packages]
    if not packages:
        raise HiveError(f"no packages in {', '.join(names)}{where}")
    return packages


def node_build(kind: str, read: Callable[[str], str] = role_vars_text) -> tuple[str, dict[str, str]]:
    """(Dockerfile stage, build args beside BASE) of a node image: `bare`, `hive` or
    `repository` (read: role name -> text of its vars/main.yml)."""
    if kind not in NODE_KINDS:
        raise ValueError(f"unknown node kind {kind!r}")
    target, sources = NODE_KINDS[kind]
    buildargs = {}
    for arg, roles in sources.items():
        packages: list[str] = []
        for role, names in roles:
            packages += [p for p in package_list(read(role), names, f" of role {role}") if p not in packages]
        buildargs[arg] = " ".join(packages)
    return target, buildargs


def node_digest(files: dict[str, bytes], base_id: str, target: str, buildargs: dict[str, str]) -> str:
    """What the node image tag stands for: the build context, the base, the stage and its args."""
    extra = {"\0target": target.encode(),
             **{f"\0arg {k}": v.encode() for k, v in buildargs.items()}}
    return context_digest({**files, **extra}, base_id)


def node_image_tag(digest: str) -> str:
    return f"{NODE_REPO}:{digest[:12]}"


def debian_mirror(deb822_text: str = "", one_line_text: str = "") -> str | None:
    """The Debian archive URI of the host's apt sources (not the security archive), or None."""
    for stanza in deb822_text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if ":" in line and not line.lstrip().startswith("#"):
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
        uris, suites = fields.get("uris", "").split(), fields.get("suites", "").split()
        if uris and "deb" in fields.get("types", "deb").split() and SUITE in suites:
            return uris[0]
    for line in one_line_text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 3 and words[0] == "deb":
            rest = [w for w in words[1:] if not w.startswith("[")]
            if len(rest) >= 2 and rest[1] == SUITE:
                return rest[0]
    return None


def base_sources_list(mirror: str) -> str:
    """apt sources of the debootstrapped base: the release and its updates from the same mirror."""
    return f"deb {mirror} {SUITE} main\ndeb {mirror} {SUITE}-updates main\n"


_DEBOOTSTRAP_MILESTONE = re.compile(
    r"^I: (Retrieving (InRelease|Release|Packages)|Checking Release signature|Resolving dependencies"
    r"|Checking component|Installing core packages|Unpacking required packages|Configuring required"
    r" packages|Unpacking the base system|Configuring the base system|Base system installed)")


def base_leftovers(rootfs: Path) -> list[Path]:
    """Files debootstrap leaves that Debian's own images do not have: apt's package lists, its
    binary caches and the downloaded packages (every image built on the base would carry them)."""
    patterns = ("var/lib/apt/lists/*", "var/cache/apt/*.bin",
                "var/cache/apt/archives/*.deb", "var/cache/apt/archives/partial/*.deb")
    return sorted(p for pattern in patterns for p in rootfs.glob(pattern) if p.is_file())


def debootstrap_milestone(line: str) -> str | None:
    """The lines of debootstrap's output worth showing (not its hundreds of per-package lines)."""
    line = line.strip()
    return line[3:] if _DEBOOTSTRAP_MILESTONE.match(line) else None


_BUILD_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


def build_step(chunk: dict) -> str | None:
    """`step 3/9: RUN apt-get ...` from a chunk of the engine's build stream (legacy builder), the
    instruction cut to one short line; None for the other chunks."""
    match = _BUILD_STEP.match(str(chunk.get("stream", "")).strip())
    if not match:
        return None
    instruction = " ".join(match.group(3).split())
    if len(instruction) > 90:
        instruction = instruction[:89] + "\u2026"
    return f"step {match.group(1)}/{match.group(2)}: {instruction}"


def build_context_files(root: Path = BUILD_CONTEXT) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---- I/O --------------------------------------------------------------------------------------

@contextlib.contextmanager
def _image_lock() -> Iterator[None]:
    """Serialise builds: parallel runs (other sites, tests) must not debootstrap twice."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _say(msg: str) -> None:
    """To stderr, and to $HIVE_PROGRESS_FILE when hive runs us inside ansible (the hive_provider
    module): `hive` shows that file's lines as they come (execution/ansible.py follow_progress)."""
    line = f"hive docker provider: {msg}"
    print(line, file=sys.stderr, flush=True)
    progress = os.environ.get("HIVE_PROGRESS_FILE")
    if progress:
        try:
            with open(progress, "a") as fh:
                fh.write(line + "\n")
        except OSError:
            pass


def _image_id(client, ref: str) -> str | None:
    import docker.errors
    try:
        return client.images.get(ref).id
    except docker.errors.ImageNotFound:
        return None


def _host_mirror() -> str:
    def read(path: str) -> str:
        try:
            return Path(path).read_text()
        except OSError:
            return ""
    deb822 = "\n\n".join(read(str(p)) for p in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")))
    mirror = debian_mirror(deb822, read("/etc/apt/sources.list"))
    if not mirror:
        raise HiveError("cannot build the docker provider's base image: no Debian bookworm mirror found "
                        "in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list",
                        hint=f"make `{UPSTREAM_BASE}` available on the Docker engine (docker load/pull)")
    return mirror


def _debootstrap_base(client) -> str:
    if not shutil.which("debootstrap"):
        raise HiveError(f"cannot build the docker provider's base image: no local `{UPSTREAM_BASE}` image, "
                        "no pull possible and debootstrap is not installed",
                        hint="apt-get install debootstrap (or docker load a debian:bookworm image)")
    mirror = _host_mirror()
    _say(f"building base image {OWN_BASE} with debootstrap from {mirror} (first run only; about a minute)")
    with tempfile.TemporaryDirectory(prefix="hive-debootstrap-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        proc = subprocess.Popen(["debootstrap", "--variant=minbase", SUITE, str(rootfs), mirror],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output: list[str] = []
        for line in proc.stdout:
            output.append(line)
            milestone = debootstrap_milestone(line)
            if milestone:
                _say(f"debootstrap: {milestone}")
        if proc.wait() != 0:
            raise HiveError(f"debootstrap {SUITE} from {mirror} failed:\n{''.join(output)[-4000:]}")
        _say(f"importing the debootstrapped tree as {OWN_BASE}")
        (rootfs / "etc/apt/sources.list").write_text(base_sources_list(mirror))
        (rootfs / BASE_APT_CONFIG_PATH).write_text(BASE_APT_CONFIG)
        for leftover in base_leftovers(rootfs):
            leftover.unlink()
        tarball = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
        client.api.import_image_from_file(str(tarball), repository=OWN_BASE_REPO, tag=OWN_BASE_TAG,
                                          changes=[f"LABEL {BASE_FORMAT_LABEL}={BASE_FORMAT}"])
    return OWN_BASE


def _own_base_labels(client) -> dict | None:
    """Labels of our debootstrapped base, None when there is none."""
    import docker.errors
    try:
        return client.images.get(OWN_BASE).labels or {}
    except docker.errors.ImageNotFound:
        return None


def ensure_base_image(client) -> str:
    if _image_id(client, UPSTREAM_BASE):
        return UPSTREAM_BASE
    own = _own_base_labels(client)
    if own is not None:
        if own.get(BASE_FORMAT_LABEL) == BASE_FORMAT:
            return OWN_BASE
        _say(f"{OWN_BASE} was built by an older recipe: building it again")
        return _debootstrap_base(client)
    import docker.errors
    _say(f"no local {UPSTREAM_BASE} image: pulling it (first run only)")
    try:
        client.images.pull(UPSTREAM_BASE)
        return UPSTREAM_BASE
    except docker.errors.APIError:
        _say(f"cannot pull {UPSTREAM_BASE}: building it locally")
    return _debootstrap_base(client)


def ensure_node_image(client=None, *, kind: str = "hive", say: Callable[[str], None] = _say) -> str:
    """Return the tag of an up-to-date node image, building it (and its base) when needed.
    kind: `hive` (setup-hosts' packages of every server preloaded), `repository` (and those of
    the repository server's roles) or `bare` (a fresh Debian VM)."""
    import docker
    import docker.errors
    client = client or docker.from_env()
    with _image_lock():
        base = ensure_base_image(client)
        target, buildargs = node_build(kind)
        tag = node_image_tag(node_digest(build_context_files(), _image_id(client, base) or base,
                                         target, buildargs))
        if _image_id(client, tag):
            return tag
        say(f"building node image {tag} ({target}) from {base} (first run, or its recipe changed; "
            "a few minutes)")
        started = time.monotonic()
        log: list[str] = []
        try:
            # the low-level API streams the build: each step is reported as it starts
            for chunk in client.api.build(path=str(BUILD_CONTEXT), tag=tag, target=target,
                                          buildargs={"BASE": base, **buildargs},
                                          rm=True, forcerm=True, decode=True,
                                          labels={"hive-builder.image": "node",
                                                  "hive-builder.node-stage": target}):
                log.append(str(chunk.get("stream", chunk.get("error", ""))))
                if "error" in chunk:
                    raise docker.errors.BuildError(chunk["error"], log)
                step = build_step(chunk)
                if step:
                    say(f"node image {step}")
        except docker.errors.BuildError as exc:
            raise HiveError(f"building the node image {tag} failed: {exc.msg}\n{''.join(log)[-3000:]}") from None
        if not _image_id(client, tag):
            raise HiveError(f"building the node image {tag} failed:\n{''.join(log)[-3000:]}")
        say(f"node image {tag} built in {time.monotonic() - started:.0f}s")
        return tag
