"""Tidy the generated project and say what to do next.

Never prompts and never uses the network: it works with --no-input and without
a terminal. The answers arrive as JSON data, never as Python source.
"""

import json
import sys
from pathlib import Path
from typing import Any

ANSWERS: dict[str, Any] = json.loads(r'''{{ cookiecutter | tojson }}''')


def next_steps(answers: dict[str, Any]) -> str:
    slug = answers["project_slug"]
    return "\n".join(
        [
            f"Created {slug}. Next:",
            f"  cd {slug}",
            "  python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'",
            f"  .venv/bin/{slug} demo      # the system, on an embedded SQLite file",
            "  .venv/bin/pytest           # its tests",
            "  then read docs/tutorial.md",
        ]
    )


def main() -> int:
    project = Path.cwd()
    assert (project / "pyproject.toml").is_file(), project
    print(next_steps(ANSWERS), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
