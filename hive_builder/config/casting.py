"""Turn the text a user typed (`hive set NAME VALUE`, command-line options) into a typed value."""

from __future__ import annotations

import json
import os

from hive_builder.config.catalogue import Type, Variable
from hive_builder.errors import HiveError, did_you_mean

TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")


def cast(var: Variable, text: str) -> object:
    """Return `text` as a value of `var`'s type, or raise HiveError saying what is accepted."""
    if var.type is Type.BOOLEAN:
        return parse_boolean(text, var.name)
    if var.type is Type.ENUM:
        if text not in var.options:
            raise HiveError(f"value {text} not in {list(var.options)} for variable {var.name}"
                            + did_you_mean(text, var.options))
        return text
    if var.type is Type.INTEGER:
        try:
            return int(text)
        except ValueError:
            raise HiveError(f"cannot parse as integer {text} for variable {var.name}") from None
    if var.type is Type.DIRECTORY:
        return existing_directory(text)
    if var.type is Type.DICT:
        try:
            value = json.loads(text)
        except ValueError as e:
            raise HiveError(f"cannot parse as JSON {text} for variable {var.name}: {e}") from None
        if not isinstance(value, dict):
            raise HiveError(f"variable {var.name} must be a JSON object, not {text}")
        return value
    return text


def parse_boolean(text: str, name: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    accepted = ", ".join(TRUE_WORDS + FALSE_WORDS)
    raise HiveError(f"cannot parse as boolean {text} for variable {name}: "
                    f"accepted words are {accepted} (case-insensitive)")


def existing_directory(text: str) -> str:
    """Absolute path of an existing directory, without trailing slash."""
    path = os.path.abspath(os.path.expanduser(text))
    if not os.path.isdir(path):
        raise HiveError(f"{text} is not a directory")
    return path


def format_value(value: object) -> str:
    """How a value is shown back to the user (YAML-like: true, not True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)
