"""Check the answers before anything is written.

The answers arrive as JSON data (rendered with ``tojson``, which escapes every
quote), never pasted into Python source, so no answer can run as code.
A bad answer stops generation with one line naming the field, the value and the
rule; cookiecutter then removes the half-made project directory.
"""

import json
import keyword
import re
import sys
from typing import Any

ANSWERS: dict[str, Any] = json.loads(r'''{{ cookiecutter | tojson }}''')

# Names the generated project imports, or that its tools install: a package of
# the same name would shadow them.
DEPENDENCY_NAMES = frozenset(
    {
        "eventsourcing",
        "eventsourcing_sqlalchemy",
        "sqlalchemy",
        "sqlalchemy_utils",
        "psycopg",
        "psycopg_binary",
        "psycopg_pool",
        "typing_extensions",
        "greenlet",
        "pytest",
        "_pytest",
        "pluggy",
        "mypy",
        "ruff",
        "setuptools",
        "pip",
        "cookiecutter",
    }
)
RESERVED_NAMES = frozenset({"tests", "test", "src", "docs", "var"})
PACKAGE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# PEP 508 distribution names; a console script is named after the slug too.
PROJECT_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# PEP 440 (public versions), as pip will check it at install time.
VERSION = re.compile(
    r"^([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*"
    r"((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?$"
)
# Answers that are one line of text in the package metadata.
ONE_LINE_FIELDS = ("project_name", "description", "author_name")
MAX_PACKAGE_NAME = 30


def problems(answers: dict[str, Any]) -> list[str]:
    """One line per bad answer: the field, the value, and the rule it breaks."""
    found: list[str] = []

    def bad(field: str, rule: str) -> None:
        found.append(f"{field} {json.dumps(str(answers.get(field, '')))}: {rule}")

    if not str(answers.get("project_name", "")).strip():
        bad("project_name", "must not be blank")

    slug = str(answers.get("project_slug", ""))
    if not PROJECT_SLUG.match(slug):
        bad(
            "project_slug",
            "must be a distribution name: lowercase letters, digits, '-', '_' and "
            "'.', starting and ending with a letter or digit (e.g. bar-shop)",
        )

    package = str(answers.get("package_name", ""))
    if not PACKAGE_NAME.match(package):
        bad(
            "package_name",
            "must be a Python identifier in lowercase ASCII: letters, digits and "
            "'_', not starting with a digit (e.g. bar_shop)",
        )
    elif keyword.iskeyword(package) or keyword.issoftkeyword(package):
        bad("package_name", "is a Python keyword; choose another name")
    elif package in sys.stdlib_module_names:
        bad("package_name", "is a standard-library module; choose another name")
    elif package in DEPENDENCY_NAMES:
        bad("package_name", "is the name of a dependency; choose another name")
    elif package in RESERVED_NAMES:
        bad("package_name", "is a folder name in the generated project; choose another")
    elif len(package) > MAX_PACKAGE_NAME:
        bad("package_name", f"must be at most {MAX_PACKAGE_NAME} characters long")

    if not EMAIL.match(str(answers.get("author_email", ""))):
        bad("author_email", "must be an e-mail address like name@example.com")

    if not VERSION.match(str(answers.get("version", ""))):
        bad("version", "must be a PEP 440 version such as 0.1.0, 1.0b1 or 2.0.post1")

    for field in ONE_LINE_FIELDS:
        if any(ord(char) < 0x20 for char in str(answers.get(field, ""))):
            bad(field, "must be one line, without control characters")
    return found


def main() -> int:
    found = problems(ANSWERS)
    if found:
        # The first problem only: later ones are often derived from it (a bad
        # slug makes a bad package name), and one line is easier to act on.
        print(f"error: {found[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
