"""Who is calling: bearer-token (JWT) verification and the roles of the suite.

People carry tokens from the agency's identity provider; machines (services, device gateways)
carry tokens of their own identity. Both are verified the same way: signature against the
configured JWKS, issuer, audience, expiry. Roles come from the ``roles`` claim.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jwt

from services.platform.errors import Unauthenticated

ALGORITHMS = ("EdDSA", "ES256", "RS256")


class Role(enum.StrEnum):
    """What a caller may do. A token carries one or more."""

    OFFICER = "officer"
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    DEVICE = "device"
    SERVICE = "service"


PEOPLE = frozenset({Role.OFFICER, Role.ANALYST, Role.SUPERVISOR, Role.AUDITOR})
EVERYONE = frozenset(Role)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    subject: str
    roles: frozenset[Role]
    name: str
    sites: frozenset[str]
    token: str

    def has_any(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)


class TokenVerifier:
    """Verifies bearer tokens against a JWKS document, an issuer and an audience."""

    def __init__(self, jwks_json: str, issuer: str, audience: str, leeway_seconds: int = 30):
        self._keys = {key.key_id: key for key in jwt.PyJWKSet.from_json(jwks_json).keys}
        if not self._keys:
            raise ValueError("the JWKS has no usable key")
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds

    @classmethod
    def from_file(cls, path: Path, issuer: str, audience: str) -> TokenVerifier:
        return cls(path.read_text(encoding="utf-8"), issuer, audience)

    def verify(self, token: str) -> Principal:
        """Returns the principal of a valid token; raises Unauthenticated otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(header.get("kid")) if header.get("kid") else None
            if key is None:
                if len(self._keys) != 1 or header.get("kid"):
                    raise Unauthenticated("token signed by an unknown key", "UNKNOWN_SIGNING_KEY")
                key = next(iter(self._keys.values()))
            claims = jwt.decode(
                token,
                key.key,
                algorithms=list(ALGORITHMS),
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token expired", "TOKEN_EXPIRED") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}", "INVALID_TOKEN") from exc
        roles = _roles(claims.get("roles", []))
        sites = claims.get("sites", [])
        if not isinstance(sites, list) or not all(isinstance(s, str) for s in sites):
            raise Unauthenticated(
                "invalid token: 'sites' must be a list of strings", "INVALID_TOKEN"
            )
        return Principal(
            subject=str(claims["sub"]),
            roles=roles,
            name=str(claims.get("name", claims["sub"])),
            sites=frozenset(sites),
            token=token,
        )


def _roles(raw: object) -> frozenset[Role]:
    if not isinstance(raw, list):
        raise Unauthenticated("invalid token: 'roles' must be a list", "INVALID_TOKEN")
    known = {role.value for role in Role}
    return frozenset(Role(r) for r in raw if isinstance(r, str) and r in known)


def bearer(metadata: Iterable[tuple[str, str | bytes]] | None) -> str:
    """The bearer token from call metadata; raises Unauthenticated when absent or malformed."""
    for key, value in metadata or ():
        if key.lower() == "authorization":
            text = value.decode() if isinstance(value, bytes) else value
            scheme, _, token = text.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("authorization must be 'Bearer <token>'", "MALFORMED_AUTH")
            return token.strip()
    raise Unauthenticated("missing bearer token", "MISSING_TOKEN")


def jwks_document(path: Path) -> dict[str, object]:
    """Parses a JWKS file (used by tools that want to inspect keys)."""
    loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
