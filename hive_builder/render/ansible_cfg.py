"""ansible.cfg written to `<temp_dir>/ansible.cfg` before every ansible run (reference §2.6).

The file is self-sufficient (manual §6.10): with `ANSIBLE_CONFIG` pointing at it, ansible finds the
inventory, the hive plugins, roles and ssh settings, and the inventory plugins find the project
through the `[hive]` section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hive_builder.config.catalogue import VARIABLES, Variable

SECTION_ORDER = ("defaults", "inventory", "ssh_connection", "hive")


def render_ansible_cfg(values: Mapping[str, object],
                       variables: Iterable[Variable] = VARIABLES) -> str:
    sections: dict[str, list[tuple[str, str]]] = {}
    for var in variables:
        if var.ansible_cfg is None:
            continue
        value = values.get(var.name)
        if value is None or value == "":
            continue
        section, key = var.ansible_cfg
        sections.setdefault(section, []).append((key, ini_value(value)))
    order = [s for s in SECTION_ORDER if s in sections] + sorted(set(sections) - set(SECTION_ORDER))
    blocks = []
    for section in order:
        lines = [f"[{section}]"] + [f"{key} = {value}" for key, value in sections[section]]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def ini_value(value: object) -> str:
    # ansible reads the file with configparser's basic interpolation: a literal % is written %%.
    text = ("True" if value else "False") if isinstance(value, bool) else str(value)
    return text.replace("%", "%%")
