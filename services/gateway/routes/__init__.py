"""HTTP routes of the gateway, one module per domain.

Each module has ``router(gw) -> APIRouter`` whose endpoints are closures over the gateway's
stubs and role checks. These modules must not use ``from __future__ import annotations``:
FastAPI reads the ``Annotated[..., Depends(local)]`` parameters when the endpoint is defined,
and a string annotation naming a closure variable cannot be resolved later.
"""
