"""The policy checker catches each kind of violation: every rule is broken once on a copy of the
rendered prod overlay, or of prod-tls for the TLS rules (both clean themselves), and must be
reported, so the checker cannot pass silently. Also its command line (exit status) and the
secret-template check."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from k8s import policy
from tests.k8s.conftest import K8S

Objects = list[dict[str, Any]]


def _get(objects: Objects, kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def _main(objects: Objects, name: str = "scanner") -> dict[str, Any]:
    pod = _get(objects, "Deployment", name)["spec"]["template"]["spec"]
    return next(c for c in pod["containers"] if c["name"] == name)


def _pod(objects: Objects, name: str = "scanner") -> dict[str, Any]:
    spec: dict[str, Any] = _get(objects, "Deployment", name)["spec"]["template"]["spec"]
    return spec


def _set_image(tag: str) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        _main(objects)["image"] = tag

    return mutate


def _secret_env(objects: Objects) -> None:
    _main(objects)["env"].append({"name": "S3_SECRET_KEY_BACKUP", "value": "hunter2hunter2"})


def _uri_env(objects: Objects) -> None:
    env = _main(objects)["env"]
    env[0] = {"name": "MONGODB_URI", "value": "mongodb://scanner:pw@mongodb-0.mongodb:27017/"}


def _secret_object(objects: Objects) -> None:
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "leak", "namespace": "customs"},
            "stringData": {"password": "x"},
        }
    )


def _config_map_key(objects: Objects) -> None:
    data = _get(objects, "ConfigMap", "customs-platform")["data"]
    data["SIGNING_KEY_PEM"] = "-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n-----END PRIVATE KEY-----"


def _drop_pdb(objects: Objects) -> None:
    objects.remove(_get(objects, "PodDisruptionBudget", "camera"))


def _drop_deny_all(objects: Objects) -> None:
    objects.remove(_get(objects, "NetworkPolicy", "default-deny-all"))


def _drop_grpc_service_port(objects: Objects) -> None:
    _get(objects, "Service", "seal")["spec"]["ports"][0]["name"] = "rpc"


MUTATIONS: dict[str, tuple[Callable[[Objects], object], str]] = {
    "latest tag": (_set_image("registry.example/customs/customs-suite:latest"), "image-tag"),
    "no tag": (_set_image("registry.example/customs/customs-suite"), "image-tag"),
    "init container untagged": (
        lambda o: _pod(o)["initContainers"][0].__setitem__("image", "busybox"),
        "image-tag",
    ),
    "no readiness probe": (lambda o: _main(o).pop("readinessProbe"), "probes"),
    "no liveness probe": (lambda o: _main(o, "gateway").pop("livenessProbe"), "probes"),
    "tcp instead of grpc probe": (
        lambda o: _main(o).__setitem__("livenessProbe", {"tcpSocket": {"port": 50051}}),
        "grpc-probes",
    ),
    "no memory limit": (lambda o: _main(o)["resources"]["limits"].pop("memory"), "resources"),
    "no cpu request": (lambda o: _main(o)["resources"]["requests"].pop("cpu"), "resources"),
    "sidecar without resources": (
        lambda o: _get(o, "StatefulSet", "mongodb")["spec"]["template"]["spec"]["initContainers"][
            1
        ].pop("resources"),
        "resources",
    ),
    "may run as root": (
        lambda o: (
            _main(o)["securityContext"].pop("runAsNonRoot"),
            _pod(o)["securityContext"].pop("runAsNonRoot"),
        ),
        "run-as-non-root",
    ),
    "uid 0": (lambda o: _main(o)["securityContext"].__setitem__("runAsUser", 0), "run-as-non-root"),
    "writable root": (
        lambda o: _main(o)["securityContext"].__setitem__("readOnlyRootFilesystem", False),
        "read-only-root",
    ),
    "capabilities kept": (
        lambda o: _main(o)["securityContext"]["capabilities"].__setitem__("drop", ["NET_RAW"]),
        "drop-all-capabilities",
    ),
    "capability added": (
        lambda o: _main(o)["securityContext"]["capabilities"].__setitem__("add", ["NET_ADMIN"]),
        "drop-all-capabilities",
    ),
    "privilege escalation": (
        lambda o: _main(o)["securityContext"].pop("allowPrivilegeEscalation"),
        "no-privilege-escalation",
    ),
    "no seccomp": (lambda o: _pod(o)["securityContext"].pop("seccompProfile"), "seccomp"),
    "host network": (lambda o: _pod(o).__setitem__("hostNetwork", True), "no-host-namespaces"),
    "api token mounted": (
        lambda o: _pod(o).pop("automountServiceAccountToken"),
        "no-api-token",
    ),
    "grace too short": (
        lambda o: _pod(o).__setitem__("terminationGracePeriodSeconds", 25),
        "graceful-shutdown",
    ),
    "no preStop": (lambda o: _main(o, "camera").pop("lifecycle"), "graceful-shutdown"),
    "literal secret env": (_secret_env, "no-literal-secrets"),
    "credentials in a URI": (_uri_env, "no-literal-secrets"),
    "Secret with data": (_secret_object, "no-literal-secrets"),
    "private key in a ConfigMap": (_config_map_key, "no-literal-secrets"),
    "replicas without PDB": (_drop_pdb, "pod-disruption-budget"),
    "HPA and replicas": (
        lambda o: _get(o, "Deployment", "seal")["spec"].__setitem__("replicas", 3),
        "hpa-owns-replicas",
    ),
    "default service account": (
        lambda o: _pod(o).__setitem__("serviceAccountName", "default"),
        "service-account",
    ),
    "no grpc service port": (_drop_grpc_service_port, "grpc-service"),
    "no deny-all": (_drop_deny_all, "default-deny"),
    "missing ConfigMap": (
        lambda o: o.remove(_get(o, "ConfigMap", "scanner-config")),
        "config-map-ref",
    ),
}


def _cert(objects: Objects, name: str = "scanner-tls") -> dict[str, Any]:
    spec: dict[str, Any] = _get(objects, "Certificate", name)["spec"]
    return spec


def _unmount(objects: Objects, volume: str, name: str = "scanner") -> None:
    mounts = _main(objects, name)["volumeMounts"]
    mounts[:] = [m for m in mounts if m["name"] != volume]


# Broken once on a copy of the rendered prod-tls overlay (TLS rules and cert-manager objects)
TLS_MUTATIONS: dict[str, tuple[Callable[[Objects], object], str]] = {
    "grpc probe on the TLS port": (
        lambda o: _main(o)["readinessProbe"]["grpc"].__setitem__("port", 50051),
        "tls-probes",
    ),
    "TLS without a health listener": (
        lambda o: _get(o, "ConfigMap", "customs-platform")["data"].pop("GRPC_HEALTH_LISTEN"),
        "tls-probes",
    ),
    "gateway probed over HTTP": (
        lambda o: _main(o, "gateway")["livenessProbe"]["httpGet"].pop("scheme"),
        "tls-probes",
    ),
    "certificate not mounted": (lambda o: _unmount(o, "tls", "camera"), "mounted-files"),
    "certificate field misspelt": (
        lambda o: _cert(o).__setitem__("dnsName", _cert(o).pop("dnsNames")),
        "certificate",
    ),
    "certificate without issuer": (lambda o: _cert(o).pop("issuerRef"), "certificate"),
    "certificate renewed after it expires": (
        lambda o: _cert(o).__setitem__("renewBefore", "2400h"),
        "certificate",
    ),
    "certificate duration not a duration": (
        lambda o: _cert(o).__setitem__("duration", "90d"),
        "certificate",
    ),
    "certificate unknown key algorithm": (
        lambda o: _cert(o)["privateKey"].__setitem__("algorithm", "DSA"),
        "certificate",
    ),
    "certificate unknown usage": (
        lambda o: _cert(o)["usages"].append("server-auth"),
        "certificate",
    ),
}
MUTATIONS["auth keys not mounted"] = (lambda o: _unmount(o, "auth"), "mounted-files")


@pytest.mark.parametrize(
    ("overlay", "case"),
    [("prod", c) for c in sorted(MUTATIONS)] + [("prod-tls", c) for c in sorted(TLS_MUTATIONS)],
)
def test_each_violation_is_caught(overlay: str, case: str, rendered: dict[str, Objects]) -> None:
    mutate, rule = {**MUTATIONS, **TLS_MUTATIONS}[case]
    objects = copy.deepcopy(rendered[overlay])
    assert policy.check(objects) == []
    mutate(objects)
    rules = {v.rule for v in policy.check(objects)}
    assert rule in rules, f"{case}: got {rules or 'nothing'}"


def test_shutdown_grace_is_read_from_the_config_map(rendered: dict[str, Objects]) -> None:
    objects = copy.deepcopy(rendered["prod"])
    data = _get(objects, "ConfigMap", "scanner-config")["data"]
    data["SHUTDOWN_GRACE_SECONDS"] = "60"
    found = [v for v in policy.check(objects) if v.rule == "graceful-shutdown"]
    assert len(found) == 1 and "scanner" in found[0].subject and "60" in found[0].message


@pytest.mark.parametrize(
    ("image", "ok"),
    [
        ("docker.io/library/mongo:8.0.12", True),
        ("registry.example:5000/customs/customs-suite:0.1.0", True),
        ("registry.example:5000/customs/customs-suite", False),
        ("mongo@sha256:" + "a" * 64, True),
        ("mongo:latest", False),
        ("mongo", False),
    ],
)
def test_image_references(image: str, ok: bool) -> None:
    assert (policy.check_image("x", image) == []) == ok


def _run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(K8S / "policy.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_command_line_exit_status(rendered_text: dict[str, str]) -> None:
    good = _run_cli("-", stdin=rendered_text["prod"])
    assert good.returncode == 0, good.stderr
    bad_text = rendered_text["prod"].replace(
        "registry.example/customs/customs-suite:0.1.0", "registry.example/customs/customs-suite"
    )
    bad = _run_cli("-", stdin=bad_text)
    assert bad.returncode == 1
    assert "image-tag" in bad.stderr
    assert _run_cli("-", stdin="").returncode == 1  # nothing rendered is a failure too


def test_secret_templates(tmp_path: Path) -> None:
    assert policy.check_secret_sources(K8S / "secrets") == []
    broken = tmp_path / "secrets"
    broken.mkdir()
    (broken / ".gitignore").write_text("# nothing ignored\n")
    (broken / "kustomization.yaml").write_text(
        "secretGenerator:\n"
        "  - name: a\n    envs: [a.env]\n"
        "  - name: b\n    literals: [password=x]\n    files: [key=b.key]\n"
    )
    (broken / "a.env.example").write_text("password=CHANGE-ME\n")
    problems = policy.check_secret_sources(broken)
    assert any(".gitignore" in p for p in problems)
    assert any("b.key.example is missing" in p for p in problems)
    assert any("literals" in p for p in problems)
    assert not any("a.env.example" in p for p in problems)
