"""Provider `docker`: a whole site as containers on the local Docker engine (decisions.md)."""

from hive_builder.providers.docker.image import ensure_node_image
from hive_builder.providers.docker.provider import DockerProvider

__all__ = ["DockerProvider", "ensure_node_image"]
