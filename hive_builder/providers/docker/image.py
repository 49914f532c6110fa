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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from hive_builder.errors import HiveError

BUILD_CONTEXT = Path(__file__).resolve().parents[2] / "images" / "node"
UPSTREAM_BASE = "debian:bookworm"
OWN_BASE_REPO, OWN_BASE_TAG = "hive-builder/debian", "bookworm"
OWN_BASE = f"{OWN_BASE_REPO}:{OWN_BASE_TAG}"
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
    print(f"hive docker provider: {msg}", file=sys.stderr, flush=True)


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
    _say(f"building base image {OWN_BASE} with debootstrap from {mirror} (about a minute)")
    with tempfile.TemporaryDirectory(prefix="hive-debootstrap-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        proc = subprocess.run(["debootstrap", "--variant=minbase", SUITE, str(rootfs), mirror],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise HiveError(f"debootstrap {SUITE} from {mirror} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        (rootfs / "etc/apt/sources.list").write_text(base_sources_list(mirror))
        for leftover in [*(rootfs / "var/lib/apt/lists").glob("*"), *(rootfs / "var/cache/apt").glob("*.bin")]:
            if leftover.is_file():
                leftover.unlink()
        tarball = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
        client.api.import_image_from_file(str(tarball), repository=OWN_BASE_REPO, tag=OWN_BASE_TAG)
    return OWN_BASE


def ensure_base_image(client) -> str:
    for ref in (UPSTREAM_BASE, OWN_BASE):
        if _image_id(client, ref):
            return ref
    import docker.errors
    try:
        client.images.pull(UPSTREAM_BASE)
        return UPSTREAM_BASE
    except docker.errors.APIError:
        pass
    return _debootstrap_base(client)


def ensure_node_image(client=None, *, say: Callable[[str], None] = _say) -> str:
    """Return the tag of an up-to-date node image, building it (and its base) when needed."""
    import docker
    import docker.errors
    client = client or docker.from_env()
    with _image_lock():
        base = ensure_base_image(client)
        tag = node_image_tag(context_digest(build_context_files(), _image_id(client, base) or base))
        if _image_id(client, tag):
            return tag
        say(f"building node image {tag} from {base}")
        try:
            client.images.build(path=str(BUILD_CONTEXT), tag=tag, buildargs={"BASE": base}, rm=True,
                                forcerm=True, labels={"hive-builder.image": "node"})
        except docker.errors.BuildError as exc:
            log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in exc.build_log)
            raise HiveError(f"building the node image {tag} failed: {exc.msg}\n{log[-3000:]}") from None
        return tag
