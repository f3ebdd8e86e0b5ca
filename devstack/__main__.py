"""``python -m devstack``: the whole suite on one machine, with demo data, until Ctrl-C.

Starts SecantusDB and SeaweedFS (unless MONGODB_URI / S3_ENDPOINT name servers to use), the four
domain services and the gateway, loads demo data on a fresh data folder, prints where to look.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from devstack.demo import load_all
from devstack.stores import start_stores
from devstack.suite import DOMAIN_SERVICES, REPO, Suite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/run", description=__doc__)
    parser.add_argument(
        "--data",
        type=Path,
        default=REPO / "var" / "devstack",
        help="folder for databases, objects, keys and logs (default: var/devstack)",
    )
    parser.add_argument("--fresh", action="store_true", help="wipe the data folder first")
    parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
    args = parser.parse_args(argv)
    if args.fresh and args.data.exists():
        import shutil

        shutil.rmtree(args.data)
    first_run = not (args.data / "demo-loaded").exists()
    args.data.mkdir(parents=True, exist_ok=True)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    print("starting storage…", flush=True)
    stores = start_stores(args.data)
    suite = Suite(args.data, stores)
    try:
        for name in DOMAIN_SERVICES:
            print(f"starting {name}…", flush=True)
            suite.start(name)
        gateway = suite.start_gateway()
        lines: list[str] = []
        if first_run and not args.no_demo:
            print("loading demo data…", flush=True)
            lines = load_all(suite)
            (args.data / "demo-loaded").write_text("yes\n")
        supervisor = suite.token("demo-supervisor", "supervisor", "officer", "analyst", "auditor")
        officer = suite.token("demo-officer", "officer")
        print(f"""
Customs supervision suite is running. Press Ctrl-C to stop everything.

  gateway (HTTP/JSON)   {gateway.address}      OpenAPI: {gateway.address}/openapi.json
                        readiness: {gateway.address}/readyz
  monitoring console    {gateway.address}/console/?token={supervisor}""")
        for name in DOMAIN_SERVICES:
            print(f"  {name:<21} {suite.services[name].address}   (gRPC, reflection on)")
        print(f"""
  MongoDB               {stores.mongodb_uri}
  S3                    http://{stores.s3_endpoint}
  data and logs         {args.data}

Development tokens (8 h):
  supervisor (all roles): {supervisor}
  officer:                {officer}
  more: python -m services.platform.tokens mint {args.data / "issuer"} --sub me --roles analyst

Try:
  curl -H "Authorization: Bearer $TOKEN" {gateway.address}/v1/seals
""")
        for line in lines:
            print(f"  demo: {line}")
        sys.stdout.flush()
        while not stop.wait(1.0):
            for running in suite.services.values():
                if not running.process.alive():
                    print(f"{running.name} exited; see {running.process.log_path}", flush=True)
                    stop.set()
        return 0
    finally:
        print("stopping…", flush=True)
        suite.stop()
        stores.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
