#!/bin/sh
# First start: a cluster in $PGDATA whose superuser is $POSTGRES_USER with $POSTGRES_PASSWORD (scram-sha-256 over the
# network), and the database $POSTGRES_DB. Then (and on every start) the server, as tini's child.
set -eu
: "${POSTGRES_USER:=ocrmill}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres-entrypoint: set POSTGRES_PASSWORD for the first start" >&2
    exit 1
  fi
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  # local (socket) connections are trusted: only this container's own processes reach the socket
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ "$POSTGRES_DB" != "postgres" ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -s -w start
    psql -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
    pg_ctl -D "$PGDATA" -m fast -s -w stop
  fi
  echo "postgres-entrypoint: made the cluster, user $POSTGRES_USER, database $POSTGRES_DB"
fi
exec postgres -D "$PGDATA"
