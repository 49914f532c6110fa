"""Pure inventory model: hive definition + service definitions -> typed, validated Site.

No Ansible, no Docker, no I/O except reading the inventory YAML files (and, in filestore.py /
project.py, the persistent values file on behalf of the Ansible plugins).

    site = load_site(inventory_dir, stage, store)   # raises InventoryErrors (all problems)

Modules: files (which YAML files, strict YAML), hivedef (stage validation), addressing (IPs, zones,
internal_cidr split), stage (servers/mother + raw host vars), services / service_attrs / ports /
volumes (service definitions), allocation (ports 61001+, DRBD ids 1..255, per stage), site
(cross-file checks, load_site), derived (hive_safe_* rules), filestore / project (plugin support).

Choices (see decisions.md): every problem is an error, never a warning; unknown keys are rejected
in stages, services, volumes, ports, images, networks; allocation is made only for the services on
the stage being built (other stages' services show explicit published ports only); bookkeeping keys
are `<svc>/<target>/<proto>`; `hive_provider` is a host var of the stage's servers and mother.
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
