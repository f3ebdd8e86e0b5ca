"""Policy checks over rendered Kubernetes manifests (the output of ``kubectl kustomize``).

Schema validity is kubernetes-validate's job; this module checks what the suite promises on top:

- images carry an explicit tag (never ``latest``) or a digest;
- every container (init containers and sidecars included) has CPU and memory requests and limits
  and a restricted security context: non-root, read-only root filesystem, no privilege
  escalation, ALL capabilities dropped, nothing added; pods use the RuntimeDefault seccomp
  profile, no host namespaces or hostPath volumes, no automounted API token;
- every long-running main container has readiness and liveness probes, native gRPC probes when it
  serves a port named ``grpc`` (by convention here, that name means "serves grpc.health.v1"; the
  stores' internal gRPC ports are named ``grpc-internal``);
- every Deployment has a preStop delay and terminationGracePeriodSeconds greater than that delay
  plus SHUTDOWN_GRACE_SECONDS (from its environment or ConfigMaps; 10 when unset);
- probes that can pass under TLS (kubelet's gRPC probes speak no TLS): a container serving gRPC
  with GRPC_TLS_CERT_FILE set probes the plaintext port of GRPC_HEALTH_LISTEN, one serving HTTPS
  (GATEWAY_TLS_CERT_FILE) probes with scheme HTTPS; every ``*_FILE`` variable of a main container
  names a path under one of its volume mounts (the root filesystem is the image);
- cert-manager Certificates (whose schema the offline validation does not have): known spec
  fields only, a Secret name, an issuer, a DNS name, key parameters and usages cert-manager
  accepts, renewBefore shorter than duration;
- a Deployment serving ``grpc`` is exposed by a Service with a port named ``grpc`` and runs under
  its own ServiceAccount; a workload with more than one replica (or an HPA minimum above one) has
  a PodDisruptionBudget; a Deployment scaled by an HPA does not also set ``replicas``;
- a namespace with NetworkPolicies has a deny-all policy; every ConfigMap a pod needs is rendered;
- no literal secrets: no Secret with data in the output, no credential-looking literal env value
  or ConfigMap entry (passwords in URIs, private keys, values of *_PASSWORD/*_SECRET/*_TOKEN/...).

Usage: ``python k8s/policy.py RENDERED.yaml...`` (``-`` for stdin) prints every violation and exits
1 when there is one; ``python k8s/policy.py --secrets-dir k8s/secrets`` checks that every file the
secret generator reads has a committed ``.example`` and is ignored by git.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs pinned (types-PyYAML)

Obj = Mapping[str, Any]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
LONG_RUNNING_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
DEFAULT_SHUTDOWN_GRACE_SECONDS = 10.0
_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|ACCESS_KEY|SIGNING_KEY|API_KEY|CREDENTIAL)",
    re.IGNORECASE,
)
_PATH_NAME = re.compile(r"(_FILE|_PATH|_DIR)$", re.IGNORECASE)
_URI_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
#: Fields of a cert-manager.io/v1 Certificate's spec.
_CERTIFICATE_SPEC = frozenset(
    {
        "additionalOutputFormats", "commonName", "dnsNames", "duration", "emailAddresses",
        "encodeUsagesInRequest", "ipAddresses", "isCA", "issuerRef", "keystores",
        "literalSubject", "nameConstraints", "otherNames", "privateKey", "renewBefore",
        "renewBeforePercentage", "revisionHistoryLimit", "secretName", "secretTemplate",
        "subject", "uris", "usages",
    }
)  # fmt: skip
_KEY_USAGES = frozenset(
    {
        "signing", "digital signature", "content commitment", "key encipherment",
        "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only",
        "decipher only", "any", "server auth", "client auth", "code signing",
        "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user",
        "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc",
    }
)  # fmt: skip
_PRIVATE_KEYS = {
    "algorithm": {"RSA", "ECDSA", "Ed25519"},
    "encoding": {"PKCS1", "PKCS8"},
    "rotationPolicy": {"Never", "Always"},
}
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which object (and container), which rule, what is wrong."""

    subject: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.rule}: {self.message}"


def load(texts: Iterable[str]) -> list[dict[str, Any]]:
    """The objects of one or more multi-document YAML texts (empty documents skipped)."""
    objects: list[dict[str, Any]] = []
    for text in texts:
        for doc in yaml.safe_load_all(text):
            if isinstance(doc, dict):
                objects.append(doc)
    return objects


def _name(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind')}/{ns + '/' if ns else ''}{meta.get('name')}"


def _pod_template(obj: Obj) -> Obj | None:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
    if kind in WORKLOAD_KINDS:
        return spec.get("template")
    if kind == "Pod":
        return obj
    return None


def _containers(pod_spec: Obj) -> Iterator[tuple[str, Obj, bool]]:
    """(role, container, is_main) for init containers, sidecars and main containers."""
    for c in pod_spec.get("initContainers") or []:
        role = "sidecar" if c.get("restartPolicy") == "Always" else "init container"
        yield role, c, False
    for c in pod_spec.get("containers") or []:
        yield "container", c, True


def labels_match(selector: Obj | None, labels: Mapping[str, str]) -> bool:
    """Label selector semantics (matchLabels and matchExpressions; an empty selector matches)."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def check_image(subject: str, image: str) -> list[Violation]:
    if "@sha256:" in image:
        return []
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return [Violation(subject, "image-tag", f"{image!r} has no tag: pin an exact version")]
    tag = last.rsplit(":", 1)[1]
    if tag == "latest" or not tag:
        return [Violation(subject, "image-tag", f"{image!r} uses {tag or 'an empty'} tag")]
    return []


def _check_security(subject: str, container: Obj, pod_ctx: Obj) -> list[Violation]:
    out: list[Violation] = []
    ctx = container.get("securityContext") or {}
    non_root = ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot"))
    if non_root is not True:
        out.append(Violation(subject, "run-as-non-root", "runAsNonRoot must be true"))
    if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
        out.append(Violation(subject, "run-as-non-root", "runAsUser must not be 0"))
    if ctx.get("readOnlyRootFilesystem") is not True:
        out.append(Violation(subject, "read-only-root", "readOnlyRootFilesystem must be true"))
    if ctx.get("allowPrivilegeEscalation") is not False:
        out.append(
            Violation(subject, "no-privilege-escalation", "allowPrivilegeEscalation must be false")
        )
    if ctx.get("privileged") is True:
        out.append(Violation(subject, "no-privileged", "privileged containers are not allowed"))
    caps = ctx.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        out.append(Violation(subject, "drop-all-capabilities", "capabilities.drop must be [ALL]"))
    if caps.get("add"):
        out.append(Violation(subject, "drop-all-capabilities", f"adds {caps['add']}"))
    return out


def _check_resources(subject: str, container: Obj) -> list[Violation]:
    res = container.get("resources") or {}
    out = []
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (res.get(kind) or {}):
                out.append(Violation(subject, "resources", f"no {resource} {kind[:-1]}"))
    return out


def _check_probes(subject: str, container: Obj) -> list[Violation]:
    out = []
    grpc = any(p.get("name") == "grpc" for p in container.get("ports") or [])
    for probe in ("readinessProbe", "livenessProbe"):
        spec = container.get(probe)
        if not spec:
            out.append(Violation(subject, "probes", f"no {probe}"))
        elif grpc and "grpc" not in spec:
            out.append(Violation(subject, "grpc-probes", f"{probe} must be a native gRPC probe"))
    return out


def _secretish_value(name: str, value: str) -> str | None:
    """Why a literal (env value or ConfigMap entry) looks like a secret, or None."""
    if _URI_CREDENTIALS.search(value):
        return "a URI with user:password"
    if _PRIVATE_KEY.search(value):
        return "a private key"
    if value and _SECRET_NAME.search(name) and not _PATH_NAME.search(name):
        return f"a literal value for {name}"
    return None


def _check_env(subject: str, container: Obj) -> list[Violation]:
    out = []
    for env in container.get("env") or []:
        value = env.get("value")
        if isinstance(value, str):
            why = _secretish_value(env["name"], value)
            if why:
                out.append(Violation(subject, "no-literal-secrets", f"env {env['name']}: {why}"))
    return out


def _env_value(container: Obj, name: str, config_maps: Mapping[str, Obj]) -> str | None:
    """The value a variable gets from literal env or envFrom ConfigMaps (env wins)."""
    for env in container.get("env") or []:
        if env.get("name") == name and "value" in env:
            return str(env["value"])
    found: str | None = None
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref:
            data = (config_maps.get(ref["name"]) or {}).get("data") or {}
            if name in data:
                found = str(data[name])
    return found


def _pre_stop_seconds(container: Obj) -> float | None:
    pre_stop = (container.get("lifecycle") or {}).get("preStop")
    if not pre_stop:
        return None
    if "sleep" in pre_stop:
        return float(pre_stop["sleep"]["seconds"])
    command = (pre_stop.get("exec") or {}).get("command") or []
    if len(command) == 2 and command[0].endswith("sleep"):
        return float(command[1])
    return 0.0


def _check_shutdown(
    subject: str, grace: float, container: Obj, config_maps: Mapping[str, Obj]
) -> list[Violation]:
    pre_stop = _pre_stop_seconds(container)
    if pre_stop is None:
        return [Violation(subject, "graceful-shutdown", "no preStop delay")]
    raw = _env_value(container, "SHUTDOWN_GRACE_SECONDS", config_maps)
    shutdown = float(raw) if raw else DEFAULT_SHUTDOWN_GRACE_SECONDS
    if not grace > pre_stop + shutdown:
        return [
            Violation(
                subject,
                "graceful-shutdown",
                f"terminationGracePeriodSeconds {grace:g} must exceed preStop {pre_stop:g} s "
                f"+ SHUTDOWN_GRACE_SECONDS {shutdown:g} s",
            )
        ]
    return []


def _port_of(address: str) -> int | None:
    _, sep, port = address.rpartition(":")
    return int(port) if sep and port.isdigit() else None


def _check_tls_probes(
    subject: str, container: Obj, config_maps: Mapping[str, Obj]
) -> list[Violation]:
    """kubelet's gRPC probes speak no TLS: a container serving gRPC over TLS must probe the
    plaintext health-only port (GRPC_HEALTH_LISTEN); a container serving HTTPS must probe with
    scheme HTTPS. A probe on the TLS port fails forever and the pod never becomes ready."""
    out = []
    probes = [(name, container[name]) for name in PROBES if container.get(name)]
    serves_grpc = any(p.get("name") == "grpc" for p in container.get("ports") or [])
    if serves_grpc and _env_value(container, "GRPC_TLS_CERT_FILE", config_maps):
        health = _env_value(container, "GRPC_HEALTH_LISTEN", config_maps)
        port = _port_of(health) if health else None
        if port is None:
            out.append(
                Violation(
                    subject,
                    "tls-probes",
                    "GRPC_TLS_CERT_FILE is set without GRPC_HEALTH_LISTEN: kubelet's gRPC "
                    "probes speak no TLS",
                )
            )
            probes = []
        for name, probe in probes:
            if "grpc" in probe and probe["grpc"].get("port") != port:
                out.append(
                    Violation(
                        subject,
                        "tls-probes",
                        f"{name} probes port {probe['grpc'].get('port')}, not the plaintext "
                        f"health port {port} (GRPC_HEALTH_LISTEN)",
                    )
                )
    if _env_value(container, "GATEWAY_TLS_CERT_FILE", config_maps):
        for name, probe in probes:
            if "httpGet" in probe and probe["httpGet"].get("scheme", "HTTP") != "HTTPS":
                out.append(
                    Violation(
                        subject,
                        "tls-probes",
                        f"{name} must use scheme HTTPS (GATEWAY_TLS_CERT_FILE)",
                    )
                )
    return out


def _check_mounted_files(
    subject: str, container: Obj, config_maps: Mapping[str, Obj]
) -> list[Violation]:
    """Every ``*_FILE`` variable names a path under one of the container's volume mounts: the
    services refuse to start when such a file is missing."""
    names = {str(e["name"]) for e in container.get("env") or [] if "value" in e}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref:
            names |= set((config_maps.get(ref["name"]) or {}).get("data") or {})
    mounts = [str(m["mountPath"]).rstrip("/") for m in container.get("volumeMounts") or []]
    out = []
    for name in sorted(n for n in names if n.endswith("_FILE")):
        path = _env_value(container, name, config_maps) or ""
        if path.startswith("/") and not any(path.startswith(m + "/") for m in mounts):
            out.append(
                Violation(subject, "mounted-files", f"{name}={path} is under no volume mount")
            )
    return out


def _go_seconds(value: object) -> float | None:
    """Seconds of a Go duration such as ``2160h`` or ``1h30m``; None when it is not one."""
    text = str(value)
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _SECONDS[u] for n, u in parts)


def _check_certificate(obj: Obj) -> list[Violation]:
    """What cert-manager would refuse or issue unusably, for want of its CRD schema offline."""
    subject, spec = _name(obj), obj.get("spec") or {}
    problems = [f"unknown field spec.{k}" for k in sorted(set(spec) - _CERTIFICATE_SPEC)]
    if not spec.get("secretName"):
        problems.append("no spec.secretName")
    if not (spec.get("issuerRef") or {}).get("name"):
        problems.append("no spec.issuerRef.name")
    if not any(spec.get(k) for k in ("dnsNames", "ipAddresses", "uris", "commonName")):
        problems.append("no name to certify (dnsNames, ipAddresses, uris or commonName)")
    problems += [f"unknown usage {u!r}" for u in spec.get("usages") or [] if u not in _KEY_USAGES]
    key = spec.get("privateKey") or {}
    problems += [
        f"unknown privateKey field {k}" for k in sorted(set(key) - {*_PRIVATE_KEYS, "size"})
    ]
    for field, allowed in _PRIVATE_KEYS.items():
        if field in key and key[field] not in allowed:
            problems.append(f"privateKey.{field} {key[field]!r} is not one of {sorted(allowed)}")
    durations = {k: _go_seconds(spec[k]) for k in ("duration", "renewBefore") if k in spec}
    problems += [
        f"spec.{k} is not a duration such as 2160h" for k, v in durations.items() if v is None
    ]
    duration, renew = durations.get("duration"), durations.get("renewBefore")
    if duration is not None and renew is not None and not renew < duration:
        problems.append("spec.renewBefore must be shorter than spec.duration")
    return [Violation(subject, "certificate", p) for p in problems]


def _check_config_refs(subject: str, spec: Obj, config_maps: Mapping[str, Obj]) -> list[Violation]:
    """Every ConfigMap a pod needs (not marked optional) is in the output, with the key used."""
    out = []
    wanted: list[tuple[str, str | None, bool]] = []
    for volume in spec.get("volumes") or []:
        if "configMap" in volume:
            ref = volume["configMap"]
            wanted.append((ref["name"], None, bool(ref.get("optional"))))
    for _, container, _ in _containers(spec):
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                ref = source["configMapRef"]
                wanted.append((ref["name"], None, bool(ref.get("optional"))))
        for env in container.get("env") or []:
            ref = (env.get("valueFrom") or {}).get("configMapKeyRef")
            if ref:
                wanted.append((ref["name"], ref["key"], bool(ref.get("optional"))))
    for name, key, optional in wanted:
        if optional:
            continue
        if name not in config_maps:
            out.append(Violation(subject, "config-map-ref", f"ConfigMap {name} is not rendered"))
        elif key is not None and key not in (config_maps[name].get("data") or {}):
            out.append(Violation(subject, "config-map-ref", f"ConfigMap {name} has no {key}"))
    return out


def _check_pod(obj: Obj, pod: Obj, config_maps: Mapping[str, Obj]) -> list[Violation]:
    subject = _name(obj)
    spec = pod.get("spec") or {}
    pod_ctx = spec.get("securityContext") or {}
    out: list[Violation] = []
    if (pod_ctx.get("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
        out.append(Violation(subject, "seccomp", "pod seccompProfile must be RuntimeDefault"))
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            out.append(Violation(subject, "no-host-namespaces", f"{key} is set"))
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            out.append(Violation(subject, "no-host-path", f"volume {volume.get('name')}"))
    if spec.get("automountServiceAccountToken") is not False:
        out.append(Violation(subject, "no-api-token", "automountServiceAccountToken must be false"))
    out += _check_config_refs(subject, spec, config_maps)
    grace = float(spec.get("terminationGracePeriodSeconds", 30))
    for role, container, main in _containers(spec):
        where = f"{subject} {role} {container.get('name')}"
        out += check_image(where, str(container.get("image", "")))
        out += _check_security(where, container, pod_ctx)
        out += _check_resources(where, container)
        out += _check_env(where, container)
        if main and obj.get("kind") in LONG_RUNNING_KINDS:
            out += _check_probes(where, container)
        if main and obj.get("kind") == "Deployment":
            out += _check_shutdown(where, grace, container, config_maps)
        if main:
            out += _check_tls_probes(where, container, config_maps)
            out += _check_mounted_files(where, container, config_maps)
    return out


def _check_literal_secrets(obj: Obj) -> list[Violation]:
    kind = obj.get("kind")
    if kind == "Secret" and (obj.get("data") or obj.get("stringData")):
        return [
            Violation(
                _name(obj),
                "no-literal-secrets",
                "Secret with data in the manifests: reference Secrets created outside "
                "(k8s/secrets) instead",
            )
        ]
    if kind == "ConfigMap":
        out = []
        for key, value in (obj.get("data") or {}).items():
            why = _secretish_value(str(key), str(value))
            if why:
                out.append(Violation(_name(obj), "no-literal-secrets", f"entry {key}: {why}"))
        return out
    return []


def _namespace(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def _pod_labels(obj: Obj) -> Mapping[str, str]:
    pod = _pod_template(obj) or {}
    return (pod.get("metadata") or {}).get("labels") or {}


def _check_topology(objects: Sequence[Obj]) -> list[Violation]:
    out: list[Violation] = []
    by_kind: dict[str, list[Obj]] = {}
    for obj in objects:
        by_kind.setdefault(str(obj.get("kind")), []).append(obj)
    hpa_min: dict[tuple[str, str, str], int] = {}
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        ref = hpa["spec"]["scaleTargetRef"]
        hpa_min[(_namespace(hpa), ref["kind"], ref["name"])] = int(
            hpa["spec"].get("minReplicas", 1)
        )
    accounts = {(_namespace(a), a["metadata"]["name"]) for a in by_kind.get("ServiceAccount", [])}
    for obj in by_kind.get("Deployment", []) + by_kind.get("StatefulSet", []):
        subject, ns, kind = _name(obj), _namespace(obj), str(obj["kind"])
        labels = _pod_labels(obj)
        spec = obj.get("spec") or {}
        key = (ns, kind, obj["metadata"]["name"])
        if key in hpa_min and "replicas" in spec:
            out.append(
                Violation(subject, "hpa-owns-replicas", "scaled by an HPA: do not set replicas")
            )
        replicas = hpa_min.get(key, int(spec.get("replicas", 1)))
        if replicas > 1 and not any(
            _namespace(p) == ns and labels_match(p["spec"].get("selector"), labels)
            for p in by_kind.get("PodDisruptionBudget", [])
        ):
            out.append(Violation(subject, "pod-disruption-budget", f"{replicas} replicas, no PDB"))
        pod_spec = (_pod_template(obj) or {}).get("spec") or {}
        account = pod_spec.get("serviceAccountName")
        if not account or account == "default" or (ns, account) not in accounts:
            out.append(Violation(subject, "service-account", "needs its own ServiceAccount"))
        serves_grpc = any(
            p.get("name") == "grpc"
            for c in pod_spec.get("containers") or []
            for p in c.get("ports") or []
        )
        if kind == "Deployment" and serves_grpc:
            exposed = any(
                _namespace(s) == ns
                and s["spec"].get("selector")
                and labels_match({"matchLabels": s["spec"]["selector"]}, labels)
                and any(p.get("name") == "grpc" for p in s["spec"].get("ports") or [])
                for s in by_kind.get("Service", [])
            )
            if not exposed:
                out.append(Violation(subject, "grpc-service", "no Service with a port named grpc"))
    namespaces_with_policies = {_namespace(p) for p in by_kind.get("NetworkPolicy", [])}
    for ns in sorted(namespaces_with_policies):
        deny_all = any(
            _namespace(p) == ns
            and not (p["spec"].get("podSelector") or {})
            and set(p["spec"].get("policyTypes") or []) == {"Ingress", "Egress"}
            and not p["spec"].get("ingress")
            and not p["spec"].get("egress")
            for p in by_kind.get("NetworkPolicy", [])
        )
        if not deny_all:
            out.append(
                Violation(f"namespace {ns}", "default-deny", "NetworkPolicies without a deny-all")
            )
    return out


def check(objects: Sequence[Obj]) -> list[Violation]:
    """Every violation of the rules above in one rendered set of objects."""
    config_maps = {str(o["metadata"]["name"]): o for o in objects if o.get("kind") == "ConfigMap"}
    out: list[Violation] = []
    for obj in objects:
        out += _check_literal_secrets(obj)
        if obj.get("kind") == "Certificate" and str(obj.get("apiVersion")) == "cert-manager.io/v1":
            out += _check_certificate(obj)
        pod = _pod_template(obj)
        if pod is not None:
            out += _check_pod(obj, pod, config_maps)
    out += _check_topology(objects)
    return out


def check_secret_sources(directory: Path) -> list[str]:
    """Problems with the secret generator's inputs: each file it reads needs a committed
    ``<file>.example`` and must be ignored by the directory's .gitignore (``*`` first)."""
    problems = []
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    ignore = [
        line.strip()
        for line in (directory / ".gitignore").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if (
        not ignore
        or ignore[0] != "*"
        or any(
            line.startswith("!")
            and line not in ("!.gitignore", "!kustomization.yaml", "!*.example")
            for line in ignore
        )
    ):
        problems.append(".gitignore must ignore everything but the kustomization and *.example")
    for generator in kustomization.get("secretGenerator") or []:
        if generator.get("literals"):
            problems.append(f"{generator['name']}: literals would commit secret values")
        for entry in (generator.get("envs") or []) + (generator.get("files") or []):
            source = str(entry).split("=", 1)[-1]
            if not (directory / f"{source}.example").is_file():
                problems.append(f"{generator['name']}: {source}.example is missing")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("files", nargs="*", help="rendered manifests ('-' for stdin)")
    parser.add_argument("--secrets-dir", type=Path, help="check the secret generator's inputs")
    args = parser.parse_args(argv)
    problems: list[str] = []
    if args.secrets_dir is not None:
        problems += [f"{args.secrets_dir}: {p}" for p in check_secret_sources(args.secrets_dir)]
    for name in args.files:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        objects = load([text])
        if not objects:
            problems.append(f"{name}: no objects")
        problems += [f"{name}: {v}" for v in check(objects)]
    for problem in problems:
        print(f"policy: {problem}", file=sys.stderr)
    if problems:
        print(f"policy: {len(problems)} violation(s)", file=sys.stderr)
        return 1
    print(f"policy: ok ({', '.join(args.files) or 'secrets'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
