"""Benchmark: installing the package as a user would, into a fresh virtualenv.

Builds the wheel of this tree (`pip wheel --no-deps`, from a copy of the files pyproject.toml
names), then for each run: a fresh venv, `pip install <wheel>` with its dependencies (from the
package index; pip's cache holds their wheels after the first run), timed, and the venv's size
(du) with and without pip/setuptools. Then, unless --no-collections, `hive collections --install`
(the Ansible collections of ansible-requirements.yml), timed, and the size again. With
--bundle, also the size the `ansible` collections bundle (the former dependency) would add.
Prints seconds and MB; the biggest distributions of the last venv too.

Usage: python bench/bench_install.py [--runs N] [--no-collections] [--bundle] [--wheel PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "hive_builder")
# what `python -m venv` and pip itself bring, not the package's weight
TOOLING = ("pip", "setuptools", "_distutils_hack", "pkg_resources", "distutils-precedence.pth",
           "wheel")


def run(argv, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, argv))} failed ({result.returncode}):\n"
                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def du_bytes(path: Path) -> int:
    """Disk usage like `du -s` (blocks actually used), in bytes."""
    return int(run(["du", "-s", "--block-size=1", path]).stdout.split()[0])


def site_packages(venv: Path) -> Path:
    return Path(run([venv / "bin" / "python", "-c",
                     "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())


def tooling_bytes(venv: Path) -> int:
    sp = site_packages(venv)
    total = 0
    for entry in sp.iterdir():
        base = entry.name.split("-")[0].lower()
        if base in TOOLING or entry.name in TOOLING:
            total += du_bytes(entry)
    return total


def biggest(venv: Path, count: int = 8) -> list[tuple[str, int]]:
    sp = site_packages(venv)
    sizes = [(e.name, du_bytes(e)) for e in sp.iterdir() if e.is_dir() and not e.name.endswith(
        (".dist-info", ".egg-info")) and e.name != "__pycache__"]
    return sorted(sizes, key=lambda x: -x[1])[:count]


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def build_wheel(out: Path) -> Path:
    src = out / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.exists():
            shutil.copy2(path, src / name)
    start = time.perf_counter()
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out / "dist", src])
    wheel = next((out / "dist").glob("*.whl"))
    print(f"wheel {wheel.name}: {wheel.stat().st_size / 1e3:.0f} kB, built in "
          f"{time.perf_counter() - start:.1f} s")
    return wheel


def one_run(n: int, wheel: Path, work: Path, collections: bool, bundle: bool) -> Path:
    venv = work / f"venv{n}"
    start = time.perf_counter()
    run([sys.executable, "-m", "venv", venv])
    made = time.perf_counter() - start
    start = time.perf_counter()
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel])
    took = time.perf_counter() - start
    size, tools = du_bytes(venv), tooling_bytes(venv)
    print(f"run {n}: venv {made:.1f} s; pip install {took:.1f} s; venv {mb(size)}, "
          f"{mb(size - tools)} without pip/setuptools")
    if collections:
        env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_COLLECTIONS_PATH",
                                                                "ANSIBLE_COLLECTIONS_PATHS")}
        env["HOME"] = str(work / f"home{n}")   # no collections of the user's ~/.ansible
        start = time.perf_counter()
        result = subprocess.run([venv / "bin" / "hive", "collections", "--install"], cwd=work,
                                env=env, capture_output=True, text=True)
        took = time.perf_counter() - start
        after = du_bytes(venv) + du_bytes(Path(env["HOME"])) if Path(env["HOME"]).exists() \
            else du_bytes(venv)
        status = "ok" if result.returncode == 0 else f"FAILED ({result.returncode}: " \
            f"{(result.stderr or result.stdout).strip().splitlines()[-1:]})"
        print(f"       hive collections --install {took:.1f} s {status}; then {mb(after)}, "
              f"{mb(after - tools)} without pip/setuptools")
    if bundle:
        before = du_bytes(venv)
        start = time.perf_counter()
        run([venv / "bin" / "python", "-m", "pip", "install", "-q", "ansible>=12,<13"])
        print(f"       + the ansible bundle (former dependency): {time.perf_counter() - start:.1f} s, "
              f"+{mb(du_bytes(venv) - before)}")
    return venv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="fresh venvs (the first may fill "
                        "pip's cache; default 2)")
    parser.add_argument("--no-collections", action="store_true",
                        help="skip `hive collections --install`")
    parser.add_argument("--bundle", action="store_true",
                        help="also measure the ansible bundle on top (last run only)")
    parser.add_argument("--wheel", type=Path, help="install this wheel instead of building one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
        work = Path(tmp)
        wheel = args.wheel.resolve() if args.wheel else build_wheel(work)
        venv = None
        for n in range(1, args.runs + 1):
            venv = one_run(n, wheel, work, not args.no_collections, args.bundle and n == args.runs)
        if venv is not None:
            print("biggest in site-packages: " + ", ".join(f"{name} {mb(size)}"
                                                          for name, size in biggest(venv)))


if __name__ == "__main__":
    main()
