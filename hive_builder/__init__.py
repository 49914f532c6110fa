"""swarmhive (`hive`): build a highly available Docker Swarm site from one inventory.

A reimplementation of hive-builder, compatible with hive-builder 2.3.1 inventories."""

__version__ = "0.1.0"   # the only place the version is written (pyproject.toml reads it)
