"""One embedded stack per test session: storage servers (or those named in the environment:
MONGODB_URI, S3_ENDPOINT/S3_ACCESS_KEY/S3_SECRET_KEY) and the four domain services."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minio import Minio
from pymongo import MongoClient

from devstack.stores import Stores, start_stores
from devstack.suite import DOMAIN_SERVICES, Suite


@pytest.fixture(scope="session")
def stack_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def stores(stack_root: Path) -> Iterator[Stores]:
    started = start_stores(stack_root)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def suite(stack_root: Path, stores: Stores) -> Iterator[Suite]:
    """The four domain services, with databases and buckets unique to this test session."""
    running = Suite(stack_root, stores, namespace=f"t{uuid.uuid4().hex[:8]}")
    try:
        for name in DOMAIN_SERVICES:
            running.start(name)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def mongo(stores: Stores) -> Iterator[MongoClient[dict[str, Any]]]:
    client: MongoClient[dict[str, Any]] = MongoClient(stores.mongodb_uri, tz_aware=True)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def s3(stores: Stores) -> Minio:
    return Minio(
        stores.s3_endpoint, stores.s3_access_key, stores.s3_secret_key, secure=stores.s3_secure
    )
