"""hive-builder: build a highly available Docker Swarm site from one inventory."""

__version__ = "0.1.0"
