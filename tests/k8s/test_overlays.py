"""Every overlay renders, is schema-valid for the pinned Kubernetes version, passes the policy
checks, and has the shape the issue asks for (replicas, PDBs, HPAs, spread, telemetry, stores,
network policies that allow exactly the suite's calls, TLS wired to one certificate per
workload)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from k8s import policy
from tests.k8s.conftest import K8S, OVERLAYS, render, tool
from tests.k8s.netpol import Pod, allowed

SERVICES = ("scanner", "camera", "seal", "dutylog")
APPS = (*SERVICES, "gateway")
NS = "customs"
# who calls whom on the gRPC port (README architecture): everything else must be refused
CALLS = {
    "camera": {"scanner", "seal"},
    "dutylog": {"scanner", "camera", "seal"},
    "gateway": {"scanner", "camera", "seal", "dutylog"},
}

Objects = Sequence[Mapping[str, Any]]


def find(objects: Objects, kind: str, name: str) -> Mapping[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def kinds(objects: Objects, kind: str) -> dict[str, Mapping[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def container(objects: Objects, name: str) -> Mapping[str, Any]:
    spec = find(objects, "Deployment", name)["spec"]["template"]["spec"]
    return next(c for c in spec["containers"] if c["name"] == name)


def test_the_overlays_exist() -> None:
    assert set(OVERLAYS) == {"dev", "prod", "prod-external-s3", "prod-tls"}


def platform_data(objects: Objects) -> Mapping[str, str]:
    data: Mapping[str, str] = find(objects, "ConfigMap", "customs-platform")["data"]
    return data


def health_port(objects: Objects) -> int:
    """Where kubelet probes the services: the plaintext health-only port under TLS."""
    listen = platform_data(objects).get("GRPC_HEALTH_LISTEN")
    return int(listen.rpartition(":")[2]) if listen else 50051


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_is_valid_for_kubernetes_1_33(overlay: str, rendered_text: dict[str, str]) -> None:
    result = subprocess.run(
        [tool("kubernetes-validate"), "--strict", "-k", "1.33.0", "--quiet", "-"],
        input=rendered_text[overlay],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_passes_policy(overlay: str, rendered: dict[str, list[dict[str, Any]]]) -> None:
    assert [str(v) for v in policy.check(rendered[overlay])] == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_is_in_the_namespace(
    overlay: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    stray = [
        f"{o['kind']}/{o['metadata']['name']}"
        for o in rendered[overlay]
        if o["kind"] != "Namespace" and o["metadata"].get("namespace") != NS
    ]
    assert stray == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_deployment_service_account_and_config(
    overlay: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    objects = rendered[overlay]
    for name in APPS:
        pod = find(objects, "Deployment", name)["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == name
        find(objects, "ServiceAccount", name)
        find(objects, "ConfigMap", f"{name}-config")
        c = container(objects, name)
        assert c["command"] == ["python", "-m", f"services.{name}"]
    for name in SERVICES:
        ports = find(objects, "Service", name)["spec"]["ports"]
        assert [(p["name"], p["port"]) for p in ports] == [("grpc", 50051)]
        c = container(objects, name)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert c[probe]["grpc"]["port"] == health_port(objects), (name, probe)
        assert c["livenessProbe"]["grpc"]["service"] == "liveness"
    gateway = container(objects, "gateway")
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_inlined(
    overlay: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    objects = rendered[overlay]
    assert kinds(objects, "Secret") == {}
    for name in SERVICES:
        env = {e["name"]: e for e in container(objects, name).get("env", [])}
        for var in ("MONGODB_URI", "S3_ACCESS_KEY", "S3_SECRET_KEY"):
            ref = env[var]["valueFrom"]["secretKeyRef"]
            assert ref["name"] == f"customs-{name}-store"
    dutylog_env = {e["name"]: e for e in container(objects, "dutylog")["env"]}
    assert "secretKeyRef" in dutylog_env["DUTYLOG_SIGNING_KEY"]["valueFrom"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_scanner_and_seal_get_a_writable_numba_cache(
    overlay: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    objects = rendered[overlay]
    platform = find(objects, "ConfigMap", "customs-platform")["data"]
    for name in ("scanner", "seal"):
        pod = find(objects, "Deployment", name)["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes["numba-cache"]
        mounts = {m["mountPath"] for m in container(objects, name)["volumeMounts"]}
        assert platform["NUMBA_CACHE_DIR"] in mounts and "/tmp" in mounts
        init = pod["initContainers"][0]
        assert init["name"] == "numba-cache" and "/opt/numba-cache" in init["command"][-1]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_export_to_the_collector(
    overlay: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    objects = rendered[overlay]
    data = platform_data(objects)
    assert data["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"
    for name in APPS:  # the gateway exports too, from the same ConfigMap
        assert {"configMapRef": {"name": "customs-platform"}} in container(objects, name)["envFrom"]
    ports = {
        p["name"]: p["port"] for p in find(objects, "Service", "otel-collector")["spec"]["ports"]
    }
    assert ports == {"otlp-grpc": 4317, "otlp-http": 4318, "metrics": 8889}
    image = container_image(find(objects, "Deployment", "otel-collector"))
    assert image.startswith("docker.io/otel/opentelemetry-collector-contrib:0.")


def container_image(workload: Mapping[str, Any]) -> str:
    return str(workload["spec"]["template"]["spec"]["containers"][0]["image"])


def test_prod_replicas_budgets_autoscalers_and_spread(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    objects = rendered["prod"]
    hpas = kinds(objects, "HorizontalPodAutoscaler")
    assert set(hpas) == {"scanner", "seal"}
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert hpa["spec"]["minReplicas"] >= 2
        assert "replicas" not in find(objects, "Deployment", name)["spec"]
    for name in ("camera", "dutylog", "gateway"):
        assert find(objects, "Deployment", name)["spec"]["replicas"] >= 2
    pdbs = kinds(objects, "PodDisruptionBudget")
    assert set(APPS) | {"mongodb", "seaweedfs-master", "seaweedfs-volume"} <= set(pdbs)
    for workload in [
        *kinds(objects, "Deployment").values(),
        *kinds(objects, "StatefulSet").values(),
    ]:
        spread = workload["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert {s["topologyKey"] for s in spread} == {
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
        }
        assert all(s["matchLabelKeys"] == ["app.kubernetes.io/name"] for s in spread)


def test_dev_runs_one_of_everything(rendered: dict[str, list[dict[str, Any]]]) -> None:
    objects = rendered["dev"]
    for workload in [
        *kinds(objects, "Deployment").values(),
        *kinds(objects, "StatefulSet").values(),
    ]:
        assert workload["spec"].get("replicas", 1) == 1, workload["metadata"]["name"]
    assert find(objects, "ConfigMap", "mongodb-config")["data"]["MONGODB_MEMBERS"] == "1"
    seaweed = find(objects, "ConfigMap", "seaweedfs-config")["data"]
    assert seaweed["SEAWEEDFS_MASTERS"].count(":9333") == 1
    assert kinds(objects, "HorizontalPodAutoscaler") == {}


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_mongodb_is_a_keyfile_replica_set_with_volumes(
    overlay: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    objects = rendered[overlay]
    sts = find(objects, "StatefulSet", "mongodb")
    config = find(objects, "ConfigMap", "mongodb-config")["data"]
    assert int(config["MONGODB_MEMBERS"]) == sts["spec"].get("replicas", 1)
    mongod = sts["spec"]["template"]["spec"]["containers"][0]
    assert "--replSet=$(REPLICA_SET)" in mongod["args"]
    assert "--keyFile=/keyfile/keyfile" in mongod["args"]
    assert sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    sidecar = sts["spec"]["template"]["spec"]["initContainers"][1]
    assert sidecar["name"] == "rs-init" and sidecar["restartPolicy"] == "Always"
    assert find(objects, "Service", "mongodb")["spec"]["clusterIP"] == "None"


def test_prod_seaweedfs_is_distributed(rendered: dict[str, list[dict[str, Any]]]) -> None:
    objects = rendered["prod"]
    replicas = {
        n: kinds(objects, "StatefulSet")[f"seaweedfs-{n}"]["spec"]["replicas"]
        for n in ("master", "volume", "filer")
    }
    assert replicas["master"] == 3 and replicas["volume"] >= 3 and replicas["filer"] >= 2
    config = find(objects, "ConfigMap", "seaweedfs-config")["data"]
    assert config["SEAWEEDFS_MASTERS"].count(":9333") == 3
    assert config["SEAWEEDFS_REPLICATION"] != "000"
    assert find(objects, "ConfigMap", "customs-platform")["data"]["S3_ENDPOINT"] == (
        "seaweedfs-s3:8333"
    )


def test_external_s3_replaces_the_bundled_store(rendered: dict[str, list[dict[str, Any]]]) -> None:
    objects = rendered["prod-external-s3"]
    assert not [o for o in objects if o["metadata"]["name"].startswith("seaweedfs-")]
    data = find(objects, "ConfigMap", "customs-platform")["data"]
    assert data["S3_ENDPOINT"] != "seaweedfs-s3:8333" and data["S3_SECURE"] == "true"
    scanner = Pod(NS, {"app.kubernetes.io/name": "scanner", "customs.example/store-client": "true"})
    policies = list(kinds(objects, "NetworkPolicy").values())
    egress = find(objects, "NetworkPolicy", "store-clients-external-s3-egress")
    assert egress["spec"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 443}]
    assert allowed(policies, scanner, Pod(NS, {"app.kubernetes.io/name": "mongodb"}), 27017)


def app_pod(objects: Objects, name: str) -> Pod:
    kind = "Deployment" if name in APPS or name == "otel-collector" else "StatefulSet"
    labels = find(objects, kind, name)["spec"]["template"]["metadata"]["labels"]
    return Pod(NS, labels, {"kubernetes.io/metadata.name": NS})


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_allow_exactly_the_suite_calls(
    overlay: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    objects = rendered[overlay]
    policies = list(kinds(objects, "NetworkPolicy").values())
    pods = {name: app_pod(objects, name) for name in (*APPS, "mongodb", "otel-collector")}
    for src in APPS:
        for dst in APPS:
            expected = dst in CALLS.get(src, set())
            port = 8080 if dst == "gateway" else 50051
            assert allowed(policies, pods[src], pods[dst], port) == expected, (src, dst)
        assert allowed(policies, pods[src], pods["otel-collector"], 4317), src
        assert allowed(policies, pods[src], pods["mongodb"], 27017) == (src in SERVICES), src
    outside = Pod("ingress-nginx", {"app": "ingress"}, {"kubernetes.io/metadata.name": "x"})
    assert allowed(policies, outside, pods["gateway"], 8080)
    for name in (*SERVICES, "mongodb"):
        port = 27017 if name == "mongodb" else 50051
        assert not allowed(policies, outside, pods[name], port), name
    dns = Pod(
        "kube-system", {"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"}
    )
    assert all(allowed(policies, pods[name], dns, 53) for name in pods)
    assert not allowed(policies, pods["scanner"], outside, 443)
    prometheus = Pod("monitoring", {}, {"kubernetes.io/metadata.name": "monitoring"})
    assert allowed(policies, prometheus, pods["otel-collector"], 8889)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_services_reach_the_bundled_object_store(
    overlay: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    objects = rendered[overlay]
    policies = list(kinds(objects, "NetworkPolicy").values())
    filer = app_pod(objects, "seaweedfs-filer")
    for name in SERVICES:
        assert allowed(policies, app_pod(objects, name), filer, 8333), name
    assert not allowed(policies, app_pod(objects, "gateway"), filer, 8333)
    assert allowed(policies, filer, app_pod(objects, "mongodb"), 27017)
    volume = app_pod(objects, "seaweedfs-volume")
    assert allowed(policies, filer, volume, 8080)
    assert not allowed(policies, app_pod(objects, "scanner"), volume, 8080)


def _secret_refs(objects: Objects) -> set[tuple[str, str]]:
    """(secret, key) pairs the workloads need; a whole Secret volume counts as key ''."""
    found: set[tuple[str, str]] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if ref and not ref.get("optional"):
                found.add((ref["name"], ref["key"]))
            secret = node.get("secret")
            if isinstance(secret, dict) and "secretName" in secret:
                found.add((secret["secretName"], ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(list(objects))
    return found


def test_every_secret_the_overlays_need_comes_from_k8s_secrets(
    rendered: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    copy = tmp_path / "secrets"
    shutil.copytree(K8S / "secrets", copy)
    for template in copy.glob("*.example"):
        shutil.copy(template, template.with_suffix(""))
    provided = {
        (o["metadata"]["name"], key)
        for o in policy.load([render(copy)])
        for key in ["", *(o.get("data") or {})]
    }
    for overlay, objects in rendered.items():
        issued = {  # Secrets cert-manager writes for the overlay's Certificates
            (c["spec"]["secretName"], key)
            for c in kinds(objects, "Certificate").values()
            for key in ("", "tls.crt", "tls.key", "ca.crt")
        }
        missing = _secret_refs(objects) - provided - issued
        assert missing == set(), f"{overlay}: {sorted(missing)}"


def _mount_of(pod: Mapping[str, Any], c: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The volume holding ``path`` in container ``c`` of ``pod``."""
    mount = next(m for m in c["volumeMounts"] if path.startswith(m["mountPath"].rstrip("/") + "/"))
    return next(v for v in pod["volumes"] if v["name"] == mount["name"])


def test_tls_gives_each_workload_its_certificate_under_the_names_its_callers_dial(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    objects = rendered["prod-tls"]
    platform = platform_data(objects)
    assert platform["GRPC_TLS_CLIENT_AUTH"] == "require"
    certificates = {
        c["spec"]["secretName"]: c["spec"] for c in kinds(objects, "Certificate").values()
    }
    issued: dict[str, Mapping[str, Any]] = {}
    for name in APPS:
        pod = find(objects, "Deployment", name)["spec"]["template"]["spec"]
        c = container(objects, name)
        files = [platform[f"GRPC_TLS_{part}_FILE"] for part in ("CERT", "KEY", "CA")]
        volumes = [_mount_of(pod, c, path) for path in files]
        secret = volumes[0]["secret"]["secretName"]
        assert secret == f"customs-{name}-tls" and all(v == volumes[0] for v in volumes)
        assert {"server auth", "client auth"} <= set(certificates[secret]["usages"])
        issued[name] = certificates[secret]
    for config in ("camera-config", "dutylog-config", "gateway-config"):
        for variable, address in find(objects, "ConfigMap", config)["data"].items():
            if variable.endswith("_ADDRESS"):
                callee, host = variable.removesuffix("_ADDRESS").lower(), address.rpartition(":")[0]
                assert host in issued[callee]["dnsNames"], (config, variable)
    gateway = find(objects, "ConfigMap", "gateway-config")["data"]
    assert gateway["GATEWAY_TLS_CERT_FILE"] == platform["GRPC_TLS_CERT_FILE"]
    assert gateway["GATEWAY_TLS_KEY_FILE"] == platform["GRPC_TLS_KEY_FILE"]


def test_tls_probes_reach_plaintext_health_and_https(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    objects = rendered["prod-tls"]
    assert health_port(objects) == 50052
    for name in SERVICES:
        ports = {p["name"]: p["containerPort"] for p in container(objects, name)["ports"]}
        assert ports == {"grpc": 50051, "health": 50052}
        assert "appProtocol" not in find(objects, "Service", name)["spec"]["ports"][0]
    gateway = container(objects, "gateway")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert gateway[probe]["httpGet"]["scheme"] == "HTTPS"
        assert gateway[probe]["httpGet"]["port"] == "https"
    ports = find(objects, "Service", "gateway")["spec"]["ports"]
    assert ports == [{"name": "https", "port": 443, "targetPort": "https", "appProtocol": "https"}]
    plain = rendered["prod"]
    assert "GRPC_TLS_CERT_FILE" not in platform_data(plain)
    assert kinds(plain, "Certificate") == {}
