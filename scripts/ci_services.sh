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

if have_postgres; then
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
    say "postgresql: $("${initdb:-initdb}" --version 2>/dev/null)"
    id postgres >/dev/null 2>&1 || say "warning: no postgres system user (the test runs the server as it when root)"
fi
have_chromium && say "chromium: $(chromium --version 2>/dev/null | head -n 1)"
exit 0
