"""scripts/check-k8s end to end: passes on the repository, fails on a copy with one broken rule,
one schema error or one missing secret template."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.k8s.conftest import K8S, REPO

SCRIPT = REPO / "scripts" / "check-k8s"


def run(k8s_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "K8S_DIR": str(k8s_dir)}
    return subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, check=False, timeout=300
    )


@pytest.fixture
def k8s_copy(tmp_path: Path) -> Path:
    target = tmp_path / "k8s"
    shutil.copytree(K8S, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_passes_on_the_repository() -> None:
    result = run(K8S)
    assert result.returncode == 0, result.stdout + result.stderr
    for overlay in ("dev", "prod", "prod-external-s3", "prod-tls"):
        assert f"== k8s: {overlay}" in result.stdout
    assert "k8s checks passed" in result.stdout


def test_fails_on_a_policy_violation(k8s_copy: Path) -> None:
    kustomization = k8s_copy / "base" / "kustomization.yaml"
    text = kustomization.read_text()
    assert "newTag: 0.1.0" in text
    kustomization.write_text(text.replace("newTag: 0.1.0", "newTag: latest"))
    result = run(k8s_copy)
    assert result.returncode != 0
    assert "image-tag" in result.stderr


def test_fails_on_a_schema_error(k8s_copy: Path) -> None:
    hpa = k8s_copy / "overlays" / "prod" / "hpa.yaml"
    hpa.write_text(hpa.read_text().replace("minReplicas: 2", "minReplica: 2"))
    result = run(k8s_copy)
    assert result.returncode != 0
    assert "minReplica" in result.stdout + result.stderr


def test_fails_on_a_missing_secret_template(k8s_copy: Path) -> None:
    (k8s_copy / "secrets" / "mongodb-admin.env.example").unlink()
    result = run(k8s_copy)
    assert result.returncode != 0
    assert "mongodb-admin.env.example is missing" in result.stderr
