"""Who is calling and what they may do: bearer JWT verification (cached per token until it
expires), the per-subject rate limit, and role checks per route.

No ``from __future__ import annotations`` here: FastAPI reads each role check's parameter
annotation, which names that check's roles, when the check is defined."""

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

import jwt
from fastapi import Security as Requirement
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.problems import Problem
from services.gateway.rate_limit import RateLimiter, retry_after_header
from services.platform.auth import Principal, Role, TokenVerifier
from services.platform.errors import Unauthenticated

_CACHE_MAX = 4096
_bearer = HTTPBearer(auto_error=False, description="OAuth2 bearer JWT of the caller")


class Security:
    """Authenticates requests, applies the rate limit, and builds role-checking dependencies."""

    def __init__(self, verifier: TokenVerifier, limiter: RateLimiter) -> None:
        self._verifier = verifier
        self.limiter = limiter
        self._cache: dict[str, tuple[Principal, float]] = {}

    def authenticate(self, token: str) -> Principal:
        """The principal of a valid token; a token already verified is not verified again
        until it expires (signature checks are the costliest step of a small request)."""
        cached = self._cache.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        try:
            principal = self._verifier.verify(token)
        except Unauthenticated as error:
            raise Problem(
                401,
                "Unauthenticated",
                error.message,
                headers={"WWW-Authenticate": "Bearer"},
                reason=error.reason,
            ) from error
        expires = float(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
        if len(self._cache) >= _CACHE_MAX:
            for key in list(self._cache)[: _CACHE_MAX // 2]:
                del self._cache[key]
        self._cache[token] = (principal, expires)
        return principal

    def admit(self, principal: Principal) -> None:
        """Takes one request from the subject's bucket; 429 with Retry-After when empty."""
        wait = self.limiter.take(principal.subject)
        if wait > 0:
            raise Problem(
                429,
                "Too many requests",
                f"rate limit of {self.limiter.rate:g} requests per second "
                f"(burst {self.limiter.burst}) exceeded for {principal.subject}",
                headers={"Retry-After": retry_after_header(wait)},
                reason="RATE_LIMITED",
            )

    def token_principal(self, token: str | None) -> Principal:
        if not token:
            raise Problem(
                401,
                "Unauthenticated",
                "missing bearer token",
                headers={"WWW-Authenticate": "Bearer"},
                reason="MISSING_TOKEN",
            )
        principal = self.authenticate(token)
        self.admit(principal)
        return principal

    def allow(self, roles: Iterable[Role]) -> Callable[..., Awaitable[Principal]]:
        """A dependency that yields the caller when they hold one of ``roles``; 403 otherwise.
        The roles are the scopes of the route's bearer requirement in the OpenAPI document
        (OpenAPI 3.1: role names for schemes other than OAuth2)."""
        allowed = frozenset(roles)
        names = sorted(r.value for r in allowed)

        async def caller(
            credentials: Annotated[
                HTTPAuthorizationCredentials | None, Requirement(_bearer, scopes=names)
            ],
        ) -> Principal:
            principal = self.token_principal(credentials.credentials if credentials else None)
            if not principal.has_any(allowed):
                raise Problem(
                    403,
                    "Permission denied",
                    f"this action needs one of the roles: {', '.join(names)}",
                    reason="ROLE_NOT_ALLOWED",
                    grpc_status="PERMISSION_DENIED",
                )
            return principal

        return caller
