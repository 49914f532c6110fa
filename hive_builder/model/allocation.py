"""Published ports (61001..65534) and DRBD device ids (1..255): stable across runs, per stage.

Only the services and volumes available on the stage being built are allocated (decision 4); their
maps live under that stage. Explicit numbers are claimed before anything is auto-assigned, so file
order never turns an explicit port into a conflict. Entries are never removed and an auto-assigned
number is never handed to another key, so a number seen once stays with its key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from hive_builder.model.checks import is_int
from hive_builder.model.ports import AUTO_FIRST, AUTO_LAST, Port
from hive_builder.model.problems import Where
from hive_builder.model.volumes import DEVICE_FIRST, DEVICE_LAST, Volume

PORT_MAP = "published_port_map"
DEVICE_MAP = "drbd_device_map"


class AllocationStore(Protocol):
    """Where allocation maps persist: `kind` is PORT_MAP or DEVICE_MAP, values plain dicts."""

    def get(self, kind: str, stage: str) -> dict[str, int]: ...

    def set(self, kind: str, stage: str, mapping: dict[str, int]) -> None: ...


class MemoryStore:
    """An AllocationStore in memory (tests, `hive check` dry runs)."""

    def __init__(self, data: dict[str, dict[str, dict[str, int]]] | None = None):
        self.data = data if data is not None else {}
        self.sets = 0

    def get(self, kind: str, stage: str) -> dict[str, int]:
        return dict(self.data.get(kind, {}).get(stage, {}))

    def set(self, kind: str, stage: str, mapping: dict[str, int]) -> None:
        self.sets += 1
        self.data.setdefault(kind, {})[stage] = dict(mapping)


@dataclass(frozen=True)
class Claim:
    key: str
    number: int | None  # explicit number, None = allocate
    where: Where
    scope: str = ""  # numbers only clash within one scope (ports: the protocol)
    legacy_key: str | None = None  # key the original tool used for the same thing


def _checked_map(raw: object, kind: str, stage: str, w: Where) -> dict[str, int]:
    if not isinstance(raw, dict):
        w.error(f"persistent value {kind} of stage {stage}: expected a mapping, found "
                f"{type(raw).__name__}")
        return {}
    good = {}
    for key, value in raw.items():
        if not is_int(value) or not 1 <= value <= 65535:
            w.error(f"persistent value {kind} of stage {stage}: entry {key!r} has {value!r}, "
                    "expected an integer; fix or remove the entry")
        else:
            good[str(key)] = value
    return good


def allocate(claims: Sequence[Claim], recorded: dict[str, int], lo: int, hi: int, what: str,
             owner_what: str = "", attr: str | None = None
             ) -> tuple[dict[str, int], dict[str, int]]:
    """Returns (number per claim key, updated map). Errors are reported through the claims, on
    `attr` (the key the user writes an explicit number in) when there is one."""
    mapping = dict(recorded)
    result: dict[str, int] = {}
    live = {c.key for c in claims}
    owner: dict[tuple[str, int], str] = {}
    for claim in claims:  # explicit numbers first
        if claim.number is None:
            continue
        slot = (claim.scope, claim.number)
        if slot in owner and owner[slot] != claim.key:
            claim.where.error(f"{what} {claim.number} is already used by {owner_what}{owner[slot]}",
                              attr)
            continue
        stale_owner = next((k for k, v in recorded.items() if v == claim.number and k != claim.key
                            and k in live and _scope(claims, k) == claim.scope), None)
        if stale_owner is not None and all(c.number is None for c in claims if c.key == stale_owner):
            claim.where.error(f"{what} {claim.number} was assigned automatically to "
                              f"{owner_what}{stale_owner}; "
                              "choose another number", attr)
            continue
        owner[slot] = claim.key
        result[claim.key] = mapping[claim.key] = claim.number
    taken = set(mapping.values())
    for claim in claims:
        if claim.number is not None:
            continue
        previous = mapping.get(claim.key)
        if previous is None and claim.legacy_key is not None:
            legacy = mapping.get(claim.legacy_key)
            if legacy is not None and legacy not in result.values():
                previous = legacy
        if previous is not None and lo <= previous <= hi and (claim.scope, previous) not in owner:
            number = previous
        else:
            number = next((n for n in range(lo, hi + 1) if n not in taken), None)
            if number is None:
                claim.where.error(f"no free {what} left in {lo}..{hi}: remove stale entries from "
                                  "the persistent map")
                continue
        taken.add(number)
        owner[(claim.scope, number)] = claim.key
        result[claim.key] = mapping[claim.key] = number
    return result, mapping


def _scope(claims: Iterable[Claim], key: str) -> str:
    return next((c.scope for c in claims if c.key == key), "")


def port_claims(ports: Iterable[tuple[Port, Where]]) -> list[Claim]:
    return [Claim(p.key, p.published, w, p.protocol, f"{p.service}{p.target}") for p, w in ports]


def device_claims(volumes: Iterable[tuple[Volume, Where]]) -> list[Claim]:
    claims: dict[str, Claim] = {}
    for volume, w in volumes:
        assert volume.drbd is not None
        if volume.source not in claims:
            claims[volume.source] = Claim(volume.source, volume.drbd.device_id, w)
    return list(claims.values())


def allocate_stage(store: AllocationStore, stage: str, ports: Sequence[tuple[Port, Where]],
                   volumes: Sequence[tuple[Volume, Where]], w: Where
                   ) -> tuple[dict[str, int], dict[str, int]]:
    """Allocate for one stage; calls store.set only for a map that changed."""
    out = []
    # DRBD devices are numbered by the user's `device_id` only; a port's number comes from the
    # short syntax "8080:80" as often as from `published_port`, so its messages say "published port"
    for kind, claims, lo, hi, what, owner_what, attr in (
            (PORT_MAP, port_claims(ports), AUTO_FIRST, AUTO_LAST, "published port", "port ", None),
            (DEVICE_MAP, device_claims(volumes), DEVICE_FIRST, DEVICE_LAST, "device_id",
             "volume ", "device_id")):
        recorded = _checked_map(store.get(kind, stage), kind, stage, w)
        numbers, mapping = allocate(claims, recorded, lo, hi, what, owner_what, attr)
        if mapping != recorded:
            store.set(kind, stage, mapping)
        out.append(numbers)
    return out[0], out[1]
