"""What this daemon has put on this node, kept in /run so that a restarted daemon knows what it owns
(and /run is emptied at boot, exactly when VIPs and our NAT rules vanish too)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = Path("/run/follow-swarm-service/state.json")


@dataclass
class State:
    vips: dict[str, dict] = field(default_factory=dict)    # hook ident -> {"ifname", "cidr"}
    marks: set[str] = field(default_factory=set)           # node label keys we set
    failed: dict[str, str] = field(default_factory=dict)   # hook ident -> task id whose router check failed
    nat: set[str] = field(default_factory=set)             # "v4"/"v6": families where we installed rules

    def to_json(self) -> str:
        return json.dumps({"vips": self.vips, "marks": sorted(self.marks), "failed": self.failed,
                           "nat": sorted(self.nat)},
                          indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "State":
        d = json.loads(text)
        return cls(dict(d.get("vips") or {}), set(d.get("marks") or []), dict(d.get("failed") or {}),
                   set(d.get("nat") or []))


class StateFile:
    def __init__(self, path: Path = DEFAULT_PATH):
        self.path = path

    def load(self) -> State:
        try:
            return State.from_json(self.path.read_text())
        except FileNotFoundError:
            return State()
        except (ValueError, AttributeError, TypeError):
            return State()          # unreadable: fall back to what the labels tell (see reconcile)

    def save(self, state: State) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(state.to_json())
        os.replace(tmp, self.path)


class MemoryStateFile:
    def __init__(self, state: State | None = None):
        self.state = state or State()
        self.saves = 0

    def load(self) -> State:
        return State.from_json(self.state.to_json())

    def save(self, state: State) -> None:
        self.state = State.from_json(state.to_json())
        self.saves += 1
