#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster beside it, and TRADELOOP_TEST_PG set to a
# database in it: what the PostgreSQL journal's tests connect to. The cluster lives in a fresh
# temporary folder, listens on 127.0.0.1 on a free port (and on a socket in that folder, never the
# system's), and is stopped and removed when the command ends, however it ends.
#
#   scripts/with-postgres.sh npm test
#   scripts/with-postgres.sh node --test test/journal/postgres-journal.contract.test.ts
#
# The server's binaries come from PATH, else from Debian's /usr/lib/postgresql/*/bin; as root with
# neither, Debian's postgresql package is installed. initdb refuses to run as root, so as root the
# cluster runs as the postgres user (created if missing).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]: runs COMMAND with TRADELOOP_TEST_PG set to a throwaway PostgreSQL database" >&2
  exit 2
fi

find_bin() {
  # A link in PATH (/usr/local/bin/initdb) is followed to the folder that holds createdb too.
  if command -v initdb >/dev/null 2>&1; then
    local found
    found=$(dirname "$(readlink -f "$(command -v initdb)")")
    if [ -x "$found/pg_ctl" ] && [ -x "$found/createdb" ]; then
      echo "$found"
      return
    fi
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; fi
}

# A server named already (a developer's own, or an outer run of this script): use it as it is.
if [ -n "${TRADELOOP_TEST_PG:-}" ]; then
  exec "$@"
fi

PG_BIN=$(find_bin)
if [ -z "$PG_BIN" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "$0: no PostgreSQL server binaries (initdb, pg_ctl) in PATH or /usr/lib/postgresql/*/bin. Install them (Debian: apt-get install postgresql) and run this again." >&2
    exit 1
  fi
  echo "$0: installing Debian's postgresql package for the tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  PG_BIN=$(find_bin)
  if [ -z "$PG_BIN" ]; then
    echo "$0: postgresql was installed, but no initdb under /usr/lib/postgresql/*/bin" >&2
    exit 1
  fi
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/tradeloop-pg-XXXXXX")
AS=()
if [ "$(id -u)" -eq 0 ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  chown postgres: "$DIR"
  AS=(runuser -u postgres --)
fi

stop_cluster() {
  if [ -f "$DIR/data/postmaster.pid" ]; then
    "${AS[@]}" "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port on the loopback, asked of the kernel (port 0); the server takes it a moment later.
PORT=$(node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')

"${AS[@]}" "$PG_BIN/initdb" -D "$DIR/data" --username=postgres --auth=trust --no-locale --encoding=UTF8 >"$DIR/initdb.log" 2>&1 || {
  cat "$DIR/initdb.log" >&2
  exit 1
}
# fsync off: the tests kill tradeloop's processes, never this server, and it is thrown away after.
if ! "${AS[@]}" "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR -c fsync=off -c max_connections=200" start >/dev/null; then
  cat "$DIR/server.log" >&2
  exit 1
fi
"${AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres tradeloop_test

export TRADELOOP_TEST_PG="postgres://postgres@127.0.0.1:$PORT/tradeloop_test"
echo "$0: $("$PG_BIN/pg_ctl" --version) at TRADELOOP_TEST_PG=$TRADELOOP_TEST_PG (in $DIR, removed at the end)" >&2
status=0
"$@" || status=$?
exit "$status"
