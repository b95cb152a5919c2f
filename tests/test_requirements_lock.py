"""The lock installs everything pyproject.toml asks for.

`make install` installs requirements.lock and then the project with --no-deps, so a dependency
added to pyproject.toml but not to the lock is missing on a clean machine while a developer's
environment still has it (segno, issue 18, failed CI that way).
"""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _pins():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def _required():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def test_every_dependency_is_pinned_in_the_lock_at_a_version_it_allows():
    pins = _pins()
    problems = []
    for requirement in _required():
        if requirement.marker and not requirement.marker.evaluate():
            continue
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name}: not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}: the lock pins {version}, pyproject asks {requirement.specifier}")
        for extra in sorted(requirement.extras):
            if extra == "binary" and canonicalize_name(f"{requirement.name}-binary") not in pins:
                problems.append(f"{requirement.name}[binary]: {requirement.name}-binary not in requirements.lock")
    assert not problems, problems
