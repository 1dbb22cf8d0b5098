#!/bin/sh
# The container's entrypoint; also runs as is on a host (tests/test_ops_entrypoint.py), with `stuf-fin`
# on PATH and the settings in STUF_FIN_* variables (docs/operator.md).
#
#   serve [options]    wait for the database, run the migrations (`stuf-fin db upgrade`), then
#                      replace this shell by `stuf-fin serve [options]` (signals reach it directly)
#   worker [options]   the same for the outbox worker (`stuf-fin worker`, docs/outbound.md)
#   anything else      `stuf-fin <arguments>`, e.g. `config check --connect`, `db upgrade`, `archive purge`
#
# STUF_FIN_DB_WAIT: seconds to keep retrying an unreachable database before giving up (default 60).
set -eu

[ "$#" -gt 0 ] || set -- serve
# As PID 1 of a container this shell gets `docker stop`'s SIGTERM while it waits for the database: stop then
# (after a migration in progress has finished) instead of being killed 10 s later.
trap 'echo "stuf-fin-entrypoint: stopped before starting" >&2; exit 0' TERM INT

migrate() {
    wait_seconds="${STUF_FIN_DB_WAIT:-60}"
    deadline=$(( $(date +%s) + wait_seconds ))
    while :; do
        status=0
        stuf-fin db upgrade || status=$?
        [ "$status" -eq 0 ] && return 0
        if [ "$status" -eq 2 ]; then  # a configuration error: retrying will not help
            echo "stuf-fin-entrypoint: configuration error, not starting" >&2
            exit 2
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "stuf-fin-entrypoint: database still unreachable after ${wait_seconds}s, giving up" >&2
            exit 1
        fi
        echo "stuf-fin-entrypoint: database not reachable yet, retrying in 2s" >&2
        sleep 2
    done
}

case "$1" in
    serve|worker)
        migrate
        exec stuf-fin "$@"
        ;;
    stuf-fin)
        shift
        exec stuf-fin "$@"
        ;;
    *)
        exec stuf-fin "$@"
        ;;
esac
