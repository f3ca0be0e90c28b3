#!/usr/bin/env bash
# Runs a command with a throwaway nats-server (JetStream on, its store in a fresh temporary folder)
# beside it, and TRADELOOP_TEST_NATS set to its URL: what the fleet's tests connect to. Tests that
# must kill and restart a server of their own find its binary in TRADELOOP_NATS_SERVER. The server
# listens on 127.0.0.1 on a free port and is stopped, and its folder removed, when the command ends.
#
#   scripts/with-nats.sh npm run test:suite
#   scripts/with-nats.sh node --test test/fleet/publisher.test.ts
#
# The binary comes from PATH; as root without it, Debian's nats-server package is installed.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]: runs COMMAND with TRADELOOP_TEST_NATS set to a throwaway nats-server" >&2
  exit 2
fi

# A server named already (a developer's own, or an outer run of this script): use it as it is.
if [ -n "${TRADELOOP_TEST_NATS:-}" ]; then
  exec "$@"
fi

if ! command -v nats-server >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "$0: no nats-server in PATH. Install it (Debian: apt-get install nats-server) and run this again." >&2
    exit 1
  fi
  echo "$0: installing Debian's nats-server package for the tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nats-server >/dev/null
fi
NATS_BIN=$(command -v nats-server)

DIR=$(mktemp -d "${TMPDIR:-/tmp}/tradeloop-nats-XXXXXX")
PID=""
stop_server() {
  if [ -n "$PID" ]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$DIR"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT=$(node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
"$NATS_BIN" -a 127.0.0.1 -p "$PORT" -js -sd "$DIR/store" >"$DIR/server.log" 2>&1 &
PID=$!

# Ready when the port answers with the server's INFO line (a few ms; 10 s before giving up).
for _ in $(seq 1 200); do
  if node -e 'const c = require("node:net").connect(+process.argv[1], "127.0.0.1"); c.once("data", (d) => process.exit(String(d).startsWith("INFO") ? 0 : 1)); c.once("error", () => process.exit(1));' "$PORT" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$PID" 2>/dev/null; then
    cat "$DIR/server.log" >&2
    exit 1
  fi
  sleep 0.05
done

export TRADELOOP_TEST_NATS="nats://127.0.0.1:$PORT"
export TRADELOOP_NATS_SERVER="$NATS_BIN"
echo "$0: $("$NATS_BIN" --version) at TRADELOOP_TEST_NATS=$TRADELOOP_TEST_NATS (store in $DIR, removed at the end)" >&2
status=0
"$@" || status=$?
exit "$status"
