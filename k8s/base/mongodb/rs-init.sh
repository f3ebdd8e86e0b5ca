#!/bin/bash
# Sidecar of every MongoDB member (runs in the mongo image, beside mongod, in the same pod).
# On member 0 only:
#   1. rs.initiate() with MONGODB_MEMBERS members, unless the replica set already exists;
#   2. the first user (root, from Secret mongodb-admin) through MongoDB's localhost exception,
#      which only exists while the deployment has no user and only from 127.0.0.1;
#   3. every RECONCILE_SECONDS: one user per service (and SeaweedFS's filer), with readWrite on
#      its own database only, user name and password taken from the connection string the
#      service itself uses (Secret customs-<service>-store, key mongodb-uri, mounted as
#      /clients/<service>), so a password lives in one place; rotating it is: change the Secret,
#      wait for the next round (the mounted file follows the Secret), restart the service.
# Every step is idempotent: restarts of any pod, in any order, are safe.
set -uo pipefail
ordinal="${POD_NAME##*-}"
beat=/tmp/rs-init.heartbeat
local_shell() { mongosh --quiet --norc "mongodb://127.0.0.1:27017/?directConnection=true" "$@"; }

until local_shell --eval 'db.adminCommand({ping: 1}).ok' >/dev/null 2>&1; do
  touch "$beat"  # waiting for mongod (recovery can take minutes) is not being stuck
  sleep 2
done
if [ "$ordinal" != "0" ]; then
  while true; do touch "$beat"; sleep 30; done
fi

until local_shell --file /scripts/initiate.js; do
  echo "rs-init: replica set or first user not ready yet, retrying" >&2
  touch "$beat"
  sleep 5
done
hosts=""
for ((i = 0; i < MONGODB_MEMBERS; i++)); do
  hosts+="${hosts:+,}${STATEFULSET}-${i}.${GOVERNING_SERVICE}.${POD_NAMESPACE}.svc:27017"
done
while true; do
  mongosh --quiet --norc "mongodb://${hosts}/?replicaSet=${REPLICA_SET}" --file /scripts/users.js \
    || echo "rs-init: user reconciliation failed, will retry" >&2
  touch "$beat"
  sleep "${RECONCILE_SECONDS:-300}"
done
