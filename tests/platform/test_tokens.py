"""Bearer tokens: signature, issuer, audience and expiry are all checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.platform.auth import Role, TokenVerifier, bearer
from services.platform.errors import Unauthenticated
from services.platform.tokens import DevIssuer


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    return DevIssuer.create(tmp_path / "a")


@pytest.fixture
def verifier(issuer: DevIssuer) -> TokenVerifier:
    return TokenVerifier(json.dumps(issuer.jwks()), issuer.issuer, issuer.audience)


def test_valid_token_gives_principal(issuer: DevIssuer, verifier: TokenVerifier) -> None:
    token = issuer.mint("alice", ["officer", "analyst", "astronaut"], sites=["sites/cat-lai"])
    principal = verifier.verify(token)
    assert principal.subject == "alice"
    assert principal.roles == {Role.OFFICER, Role.ANALYST}  # unknown roles are dropped
    assert principal.sites == {"sites/cat-lai"}


@pytest.mark.parametrize("reason", ["expired", "audience", "other-key", "tampered"])
def test_bad_tokens_are_refused(
    tmp_path: Path, issuer: DevIssuer, verifier: TokenVerifier, reason: str
) -> None:
    if reason == "expired":
        token = issuer.mint("alice", ["officer"], ttl_seconds=-120)
    elif reason == "audience":
        token = issuer.mint("alice", ["officer"], audience="someone-else")
    elif reason == "other-key":
        token = DevIssuer.create(tmp_path / "b").mint("alice", ["officer"])
    else:
        header, payload, signature = issuer.mint("alice", ["officer"]).split(".")
        token = f"{header}.{payload}x.{signature}"
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_authorization_header_parsing() -> None:
    assert bearer([("authorization", "Bearer abc")]) == "abc"
    for metadata in ([], [("authorization", "Basic abc")], [("authorization", "Bearer ")]):
        with pytest.raises(Unauthenticated):
            bearer(metadata)
