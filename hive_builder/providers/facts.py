"""Pure: what provider_facts.yml says and how a gap is announced to the user."""

from __future__ import annotations

import yaml


def facts_text(facts: dict) -> str:
    return "# written by build-infra: what this platform offers; later phases adapt to it\n" + \
        yaml.safe_dump(facts, default_flow_style=False, sort_keys=True)


def facts_warning(facts: dict) -> str | None:
    """The one line announcing how the site adapts (None when nothing is missing)."""
    gaps = []
    if not facts.get("ipvs", True):
        gaps.append("no IPVS in the host kernel: swarm VIP load balancing and the ingress routing mesh "
                    "cannot work, services publish ports in host mode with endpoint_mode dnsrr")
    if facts.get("drbd") == "emulated":
        gaps.append("no DRBD module in the host kernel: DRBD volumes are emulated on storage shared "
                    f"by the node containers ({facts.get('shared_dir', 'a shared directory')}; no real replication)")
    return "; ".join(gaps) or None
