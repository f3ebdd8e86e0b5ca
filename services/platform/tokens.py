"""A development token issuer: an Ed25519 key pair, its JWKS, and minted tokens.

The embedded stack and the tests use it; production uses the agency's identity provider and
only configures AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_FILE.

    python -m services.platform.tokens init DIR
    python -m services.platform.tokens mint DIR --sub alice --roles officer,analyst [--ttl 28800]
"""

from __future__ import annotations

import argparse
import base64
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DEV_ISSUER = "https://dev-issuer.customs.local"
DEV_AUDIENCE = "customs-suite"
_KEY_FILE = "issuer-key.pem"
_JWKS_FILE = "jwks.json"


@dataclass(frozen=True, slots=True)
class DevIssuer:
    """Signs development tokens with a local Ed25519 key."""

    key: Ed25519PrivateKey
    key_id: str
    issuer: str = DEV_ISSUER
    audience: str = DEV_AUDIENCE

    @classmethod
    def create(cls, directory: Path) -> DevIssuer:
        """Loads the issuer kept in ``directory``, creating key and JWKS the first time."""
        directory.mkdir(parents=True, exist_ok=True)
        key_path = directory / _KEY_FILE
        if key_path.exists():
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{key_path} is not an Ed25519 key")
            key = loaded
        else:
            key = Ed25519PrivateKey.generate()
            key_path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            key_path.chmod(0o600)
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        key_id = base64.urlsafe_b64encode(public[:9]).decode().rstrip("=")
        issuer = cls(key=key, key_id=key_id)
        (directory / _JWKS_FILE).write_text(json.dumps(issuer.jwks(), indent=2), encoding="utf-8")
        return issuer

    @staticmethod
    def jwks_path(directory: Path) -> Path:
        return directory / _JWKS_FILE

    def jwks(self) -> dict[str, object]:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        x = base64.urlsafe_b64encode(public).decode().rstrip("=")
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": x,
                    "kid": self.key_id,
                    "alg": "EdDSA",
                    "use": "sig",
                }
            ]
        }

    def mint(
        self,
        subject: str,
        roles: Iterable[str],
        ttl_seconds: int = 8 * 3600,
        name: str | None = None,
        sites: Sequence[str] = (),
        audience: str | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": audience or self.audience,
            "sub": subject,
            "name": name or subject,
            "roles": sorted(set(roles)),
            "sites": list(sites),
            "iat": now,
            "nbf": now - 5,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.key_id})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.platform.tokens")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create (or keep) the issuer key and JWKS in DIR")
    init.add_argument("directory", type=Path)
    mint = sub.add_parser("mint", help="print a signed token")
    mint.add_argument("directory", type=Path)
    mint.add_argument("--sub", required=True)
    mint.add_argument("--roles", required=True, help="comma separated, e.g. officer,analyst")
    mint.add_argument("--name")
    mint.add_argument("--sites", default="", help="comma separated site names")
    mint.add_argument("--ttl", type=int, default=8 * 3600, help="seconds")
    args = parser.parse_args(argv)
    issuer = DevIssuer.create(args.directory)
    if args.command == "init":
        print(DevIssuer.jwks_path(args.directory))
        return 0
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    sites = [s.strip() for s in args.sites.split(",") if s.strip()]
    print(issuer.mint(args.sub, roles, args.ttl, args.name, sites))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
