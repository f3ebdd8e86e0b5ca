"""Object storage through the ``minio`` SDK (any S3 store: SeaweedFS, MinIO, AWS S3).

The SDK blocks, so every call runs in a bounded thread pool off the event loop, inside a span so
traces show storage time. A store that cannot be reached (connection refused or reset, timeouts,
5xx answers) raises :class:`~services.platform.errors.Unavailable`: callers see UNAVAILABLE, a
status that tells them the call is safe to retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import urllib3.exceptions
from minio import Minio
from minio.error import S3Error, ServerError
from opentelemetry import trace

from services.platform.errors import Unavailable

T = TypeVar("T")
_tracer = trace.get_tracer("customs.objects")


class ObjectStore:
    """One bucket of an S3 store."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        workers: int = 4,
        public_endpoint: str | None = None,
        public_secure: bool | None = None,
    ) -> None:
        self._client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )
        # Presigned URLs are for clients outside the cluster: sign them for the address those
        # clients reach (signing is local; this client never connects).
        self._signer = (
            Minio(
                public_endpoint,
                access_key=access_key,
                secret_key=secret_key,
                secure=secure if public_secure is None else public_secure,
                region=region,
            )
            if public_endpoint
            else self._client
        )
        self.bucket = bucket
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="s3")

    async def _run(self, operation: str, key: str, call: Callable[[], T]) -> T:
        with _tracer.start_as_current_span(
            f"s3.{operation}",
            kind=trace.SpanKind.CLIENT,
            attributes={"s3.bucket": self.bucket, "s3.key": key},
        ):
            try:
                return await asyncio.get_running_loop().run_in_executor(self._pool, call)
            except (urllib3.exceptions.HTTPError, OSError, ServerError) as exc:
                raise Unavailable(
                    f"object store unavailable during {operation}: {type(exc).__name__}",
                    "OBJECT_STORE_UNAVAILABLE",
                ) from exc

    async def ensure_bucket(self, within_seconds: float = 30.0) -> None:
        """Creates the bucket if missing, waiting for the store to answer."""
        deadline = time.monotonic() + within_seconds

        def create() -> None:
            if not self._client.bucket_exists(self.bucket):
                self._client.make_bucket(self.bucket)

        while True:
            try:
                await self._run("ensure_bucket", "", create)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.25)

    async def ping(self) -> None:
        """Raises when the store or the bucket is unreachable."""
        if not await self._run("ping", "", lambda: self._client.bucket_exists(self.bucket)):
            raise RuntimeError(f"bucket {self.bucket} is missing")

    async def put(self, key: str, data: bytes, content_type: str) -> str:
        """Stores ``data`` under ``key``; returns its SHA-256 (hex)."""
        digest = hashlib.sha256(data).hexdigest()

        def put() -> None:
            self._client.put_object(
                self.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata={"sha256": digest},
            )

        await self._run("put", key, put)
        return digest

    async def get(self, key: str) -> bytes:
        def get() -> bytes:
            response = self._client.get_object(self.bucket, key)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        return await self._run("get", key, get)

    async def exists(self, key: str) -> bool:
        def stat() -> bool:
            try:
                self._client.stat_object(self.bucket, key)
                return True
            except S3Error as exc:
                if exc.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                    return False
                raise

        return await self._run("stat", key, stat)

    async def remove(self, key: str) -> None:
        await self._run("remove", key, lambda: self._client.remove_object(self.bucket, key))

    async def presigned_get(self, key: str, expires: timedelta) -> str:
        """A URL that lets anyone holding it read the object until it expires."""
        call: Callable[[], Any] = lambda: self._signer.presigned_get_object(  # noqa: E731
            self.bucket, key, expires=expires
        )
        url: str = await self._run("presign", key, call)
        return url

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
