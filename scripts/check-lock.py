"""Fails when requirements-test.lock does not pin something pyproject.toml asks for (a dependency added or its range
moved without `make lock`), naming it: `make run` and `make test` install the lock and nothing else."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def problems(pyproject: Path, lock: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = [*project["dependencies"], *project.get("optional-dependencies", {}).get("dev", [])]
    pinned = {canonicalize_name(name): version for name, version in PIN.findall(lock.read_text())}
    found = []
    for line in wanted:
        requirement = Requirement(line)
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            found.append(f"{requirement} is not in {lock.name}")
        elif not requirement.specifier.contains(version, prereleases=True):
            found.append(f"{requirement} does not allow {lock.name}'s {requirement.name}=={version}")
    return found


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    found = problems(root / "pyproject.toml", root / "requirements-test.lock")
    for problem in found:
        print(f"check-lock: {problem}", file=sys.stderr)
    if found:
        print("check-lock: pyproject.toml changed since the lock files were made: run `make lock`", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
