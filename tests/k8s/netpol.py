"""A small evaluator of NetworkPolicy semantics (pod and namespace selectors, ports) for tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from k8s.policy import labels_match


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: Mapping[str, str]
    namespace_labels: Mapping[str, str] = field(default_factory=dict)


def _peer_matches(peer: Mapping[str, Any], policy_ns: str, other: Pod) -> bool:
    if "ipBlock" in peer:
        return False  # cluster pods are not addressed by ipBlock here
    ns_selector = peer.get("namespaceSelector")
    if ns_selector is None:
        if other.namespace != policy_ns:
            return False
    elif not labels_match(ns_selector, other.namespace_labels):
        return False
    pod_selector = peer.get("podSelector")
    return pod_selector is None or labels_match(pod_selector, other.labels)


def _rule_allows(rule: Mapping[str, Any], key: str, policy_ns: str, other: Pod, port: int) -> bool:
    ports = rule.get("ports") or []
    if ports and not any(p.get("port") == port for p in ports):
        return False
    peers = rule.get(key)
    if not peers:
        return True  # no from/to: every peer
    return any(_peer_matches(peer, policy_ns, other) for peer in peers)


def _direction_allows(
    policies: Sequence[Mapping[str, Any]], kind: str, subject: Pod, other: Pod, port: int
) -> bool:
    selecting = [
        p
        for p in policies
        if p["metadata"].get("namespace") == subject.namespace
        and kind in (p["spec"].get("policyTypes") or [])
        and labels_match(p["spec"].get("podSelector") or {}, subject.labels)
    ]
    if not selecting:
        return True  # not isolated in this direction
    rules_key, peer_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    return any(
        _rule_allows(rule, peer_key, p["metadata"]["namespace"], other, port)
        for p in selecting
        for rule in p["spec"].get(rules_key) or []
    )


def allowed(policies: Sequence[Mapping[str, Any]], src: Pod, dst: Pod, port: int) -> bool:
    """Whether a TCP connection from src to dst:port passes egress of src and ingress of dst."""
    return _direction_allows(policies, "Egress", src, dst, port) and _direction_allows(
        policies, "Ingress", dst, src, port
    )
