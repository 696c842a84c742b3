"""Jinja filters that quote answers for the file format they land in.

Answers are data: wherever one lands in a TOML or YAML file it goes through one
of these filters, so quotes, backslashes and accents survive intact.
"""

import json

from jinja2 import Environment
from jinja2.ext import Extension


def toml_string(value: object) -> str:
    """A TOML basic string: escape backslash, quote and control characters."""
    out = []
    for char in str(value):
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def yaml_string(value: object) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value), ensure_ascii=False)


class QuotingExtension(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["toml_string"] = toml_string
        environment.filters["yaml_string"] = yaml_string
