"""Shape the generated project to the answers, and say what to do next.

* the chosen licence becomes LICENSE; the others go;
* ``ci=none`` removes the GitHub Actions workflow;
* ``example=minimal`` replaces the order saga's modules and tests with the
  minimal example's (kept in ``_examples/minimal/``, same layout).

Never prompts and never uses the network: it works with --no-input and without
a terminal. The answers arrive as JSON data, never as Python source.
"""

import json
import shutil
import sys
from pathlib import Path
from typing import Any

ANSWERS: dict[str, Any] = json.loads(r'''{{ cookiecutter | tojson }}''')

# What only the order saga has. Everything else is shared by both examples.
ORDER_SAGA_ONLY = [
    "src/{package}/domain/orders.py",
    "src/{package}/domain/inventory.py",
    "src/{package}/domain/payments.py",
    "src/{package}/services/orders.py",
    "src/{package}/services/inventory.py",
    "src/{package}/services/payments.py",
    "src/{package}/bench.py",
    "tests/test_bench.py",
    "docs/tutorial.md",
]


def choose_licence(project: Path, licence: str) -> None:
    licences = project / "_licenses"
    (licences / licence).replace(project / "LICENSE")
    shutil.rmtree(licences)


def choose_example(project: Path, example: str, package: str) -> None:
    examples = project / "_examples"
    if example == "minimal":
        for path in ORDER_SAGA_ONLY:
            (project / path.format(package=package)).unlink(missing_ok=True)
        docs = project / "docs"
        if docs.is_dir() and not any(docs.iterdir()):
            docs.rmdir()
        minimal = examples / "minimal"
        for source in sorted(p for p in minimal.rglob("*") if p.is_file()):
            target = project / source.relative_to(minimal)
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
    shutil.rmtree(examples)


def next_steps(answers: dict[str, Any]) -> str:
    slug = answers["project_slug"]
    embedded = ""
    if answers["default_database"] == "postgresql":  # not running yet, perhaps
        embedded = f" --database sqlite:///var/{answers['package_name']}.sqlite3"
    lines = [
        f"Created {slug}. Next:",
        f"  cd {slug}",
        "  python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'",
        f"  .venv/bin/{slug} demo{embedded}      # run the system",
        "  .venv/bin/pytest           # run its tests",
    ]
    if answers["example"] == "order-saga":
        lines.append("  then read docs/tutorial.md")
    return "\n".join(lines)


def main() -> int:
    project = Path.cwd()
    choose_licence(project, ANSWERS["license"])
    if ANSWERS["ci"] == "none":
        shutil.rmtree(project / ".github")
    choose_example(project, ANSWERS["example"], ANSWERS["package_name"])
    print(next_steps(ANSWERS), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
