#!/usr/bin/env bash
# Install what the service's integration tests need: PostgreSQL (tests/service/test_postgres.py
# starts its own throw-away cluster as the postgres user on a free 127.0.0.1 port) and Debian's
# chromium (tests/service/test_browser.py drives it headless through Playwright; never
# `playwright install`). Idempotent: installs only what is missing. Needs root and apt-get;
# without them, or when an install fails, it says so and exits 0 so the tests skip with a reason.
set -u

say() { echo "ci_services: $*"; }

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }
have_chromium() { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }

missing=()
have_postgres || missing+=(postgresql)
have_chromium || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
    say "postgresql and chromium already installed"
elif [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "cannot install ${missing[*]} (needs root and apt-get); those tests will skip"
    exit 0
else
    export DEBIAN_FRONTEND=noninteractive
    say "installing ${missing[*]}"
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
            >/tmp/ci_services_apt.log 2>&1; then
        say "apt-get failed (see /tmp/ci_services_apt.log); those tests will skip"
        exit 0
    fi
    # Debian starts a default cluster on install; the tests use their own, so stop it quietly.
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        for conf in /etc/postgresql/*/main; do
            [ -d "$conf" ] || continue
            version=$(basename "$(dirname "$conf")")
            pg_ctlcluster "$version" main stop >/dev/null 2>&1 || true
        done
    fi
fi

# What tests/service/test_postgres.py does, tried once here so that a broken set-up shows as
# a clear line in CI rather than as skipped tests: a throw-away cluster started as the
# postgres user on a free 127.0.0.1 port, where a superuser creates the schema owner and the
# application role the owner/role test uses, then everything is removed again.
smoke_postgres() {
    local bindir root port ok=1
    bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)")
    [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 || { say "postgresql smoke test skipped (needs root and the postgres user)"; return; }
    root=$(mktemp -d /tmp/bedplan-pg-smoke.XXXXXX) && chown postgres "$root"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_pg() { runuser -u postgres -- "$@"; }
    if as_pg "$bindir/initdb" -D "$root/data" -A trust -U postgres --no-sync -E UTF8 >"$root/initdb.log" 2>&1 \
        && as_pg "$bindir/pg_ctl" -D "$root/data" -w -l "$root/log" \
            -o "-p $port -k $root -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1; then
        as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
            -c "CREATE ROLE smoke_owner LOGIN" -c "CREATE ROLE smoke_app LOGIN" \
            -c "CREATE DATABASE smoke OWNER smoke_owner" >/dev/null 2>&1 && ok=0
        as_pg "$bindir/pg_ctl" -D "$root/data" -m immediate stop >/dev/null 2>&1
    fi
    rm -rf "$root"
    if [ $ok -eq 0 ]; then say "postgresql: a throw-away cluster starts and takes an owner and an application role"
    else say "warning: a throw-away PostgreSQL cluster did not start; test_postgres.py will skip"; fi
}

if have_postgres; then
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
    say "postgresql: $("${initdb:-initdb}" --version 2>/dev/null)"
    id postgres >/dev/null 2>&1 || say "warning: no postgres system user (the test runs the server as it when root)"
    smoke_postgres
fi
have_chromium && say "chromium: $(chromium --version 2>/dev/null | head -n 1)"
exit 0
