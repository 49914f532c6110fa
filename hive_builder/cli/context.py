"""The resolved variables of one hive invocation."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import hive_builder
from hive_builder.config import persistence
from hive_builder.config.resolution import resolve, resolve_sources

INSTALL_DIR = str(Path(hive_builder.__file__).resolve().parent)


@dataclass
class Context:
    values: dict[str, object]
    # variable name -> where its value comes from (config.resolution.resolve_sources)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def root_dir(self) -> Path:
        return Path(str(self.values["root_dir"]))

    @property
    def stage(self) -> str:
        return str(self.values["stage"])

    @property
    def context_dir(self) -> Path:
        return Path(str(self.values["context_dir"]))

    @property
    def temp_dir(self) -> Path:
        return Path(str(self.values["temp_dir"]))

    @property
    def ssh_config(self) -> Path:
        return self.context_dir / "ssh_config"

    def with_values(self, **overrides: object) -> Context:
        return Context({**self.values, **overrides}, self.sources)


def build_context(cli: Mapping[str, object], cwd: str | None = None) -> Context:
    root_dir = cli.get("root_dir") or cwd or os.getcwd()
    persisted = persistence.read(str(root_dir))
    values = resolve({**cli, "root_dir": root_dir}, persisted, cwd=str(root_dir),
                     install_dir=INSTALL_DIR, python=sys.executable)
    return Context(values, resolve_sources(cli, persisted, values))
