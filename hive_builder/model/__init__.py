"""Pure inventory model: hive definition + service definitions -> typed, validated Site.

No Ansible, no Docker, no I/O except reading the inventory YAML files.
"""

from hive_builder.model.addressing import InternalNetworks, internal_networks
from hive_builder.model.allocation import DEVICE_MAP, PORT_MAP, AllocationStore, MemoryStore
from hive_builder.model.derived import derived_host_vars
from hive_builder.model.ports import Port
from hive_builder.model.services import ImageSpec, Network, Service
from hive_builder.model.site import CreatedVolume, Site, load_site
from hive_builder.model.stage import Mother, Server, Stage
from hive_builder.model.volumes import DrbdSpec, Volume

__all__ = ["AllocationStore", "CreatedVolume", "DEVICE_MAP", "DrbdSpec", "ImageSpec",
           "InternalNetworks", "MemoryStore", "Mother", "Network", "PORT_MAP", "Port", "Server",
           "Service", "Site", "Stage", "Volume", "derived_host_vars", "internal_networks",
           "load_site"]
