#!/bin/sh
# Initialise $PGDATA on first start (user $POSTGRES_USER with $POSTGRES_PASSWORD, database $POSTGRES_DB,
# password authentication over TCP), then run PostgreSQL in the foreground as user postgres.  Arguments that
# start with '-' go to postgres; another command (psql ...) runs instead, as with the official image.
set -eu
if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ] && [ "$1" != postgres ]; then
    exec "$@"  # another program (psql, pg_isready ...)
fi
[ "${1:-}" = postgres ] && shift
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    chown postgres "$pwfile"
    as_postgres initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    if [ "$db" != postgres ]; then
        as_postgres pg_ctl --silent --wait --options="-c listen_addresses=''" start
        as_postgres psql --quiet --username="$user" --dbname=postgres \
            --command="CREATE DATABASE \"$db\" OWNER \"$user\""
        as_postgres pg_ctl --silent --wait stop
    fi
    echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db)"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres "$@"
