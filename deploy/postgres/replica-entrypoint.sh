#!/bin/sh
# Streaming replica of the `postgres` service: on first start, clone the
# primary with pg_basebackup -R (which writes standby.signal and the
# primary_conninfo), then run the image's usual entrypoint, which finds the
# data directory initialised and starts PostgreSQL as a hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  until gosu postgres pg_isready --host "$PRIMARY_HOST" --port 5432 --quiet; do
    echo "waiting for the primary at $PRIMARY_HOST"
    sleep 1
  done
  # PGPASSWORD is written into primary_conninfo too, so the standby can reconnect.
  PGPASSWORD="$REPLICATION_PASSWORD" gosu postgres pg_basebackup \
    --host "$PRIMARY_HOST" --port 5432 --username replicator \
    --pgdata "$PGDATA" --wal-method stream --write-recovery-conf --progress
fi
exec docker-entrypoint.sh postgres
