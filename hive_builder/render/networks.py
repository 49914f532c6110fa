"""Pure: parameters of the overlay networks made by build-networks (reference §6.4, §4.8)."""

from __future__ import annotations

from hive_builder.render.internal_cidr import split_internal_cidr

DEFAULT_NETWORK = "hive_default_network"
_IPAM_KEYS = {"subnet": "subnet", "gateway": "gateway", "iprange": "iprange",
              "ip_range": "iprange", "aux_addresses": "aux_addresses"}


def _ipam_entry(entry: dict, network: str) -> dict:
    out = {}
    for key, value in entry.items():
        if key not in _IPAM_KEYS:
            raise ValueError(f"network {network}: unknown ipam config key '{key}'")
        out[_IPAM_KEYS[key]] = value
    return out


def network_params(name: str, ipam: dict | None = None, driver_opts: dict | None = None,
                   internal_cidr: str | None = None) -> dict:
    """Arguments for community.docker.docker_network: always an attachable swarm overlay.

    The default network takes the first quarter of internal_cidr unless its ipam config is
    explicit (reference §3.10).
    """
    ipam = dict(ipam or {})
    params: dict = {"name": name, "driver": "overlay", "attachable": True, "scope": "swarm"}
    if driver_opts:
        params["driver_options"] = {str(k): str(v) for k, v in driver_opts.items()}
    if ipam.get("driver"):
        params["ipam_driver"] = ipam["driver"]
    if ipam.get("options"):
        params["ipam_driver_options"] = {str(k): str(v) for k, v in ipam["options"].items()}
    config = [_ipam_entry(e, name) for e in ipam.get("config") or []]
    if not config and name == DEFAULT_NETWORK and internal_cidr:
        config = [{"subnet": split_internal_cidr(internal_cidr)["overlay"]}]
    if config:
        params["ipam_config"] = config
    return params
