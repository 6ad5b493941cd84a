#!/usr/bin/env bash
# Runs a command with AWS_ENDPOINT_URL pointing at an AWS-compatible endpoint.
# If AWS_ENDPOINT_URL is already set (e.g. LocalStack on http://localhost:4566), uses it as is.
# Otherwise starts moto_server (infra/moto_server.py) from the local venv on a free 127.0.0.1 port and stops it
# afterwards, also when the command fails or is interrupted.
set -euo pipefail

venv="${VENV:-.venv}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"

if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
  echo "using the endpoint at $AWS_ENDPOINT_URL"
  exec "$@"
fi

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log="${TMPDIR:-/tmp}/stagepass-moto-$port.log"
# moto_server with DynamoDB item operations serialized, as real DynamoDB's are (see the file).
"$venv/bin/python" "$(dirname "$0")/moto_server.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT INT TERM

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/')" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    echo "moto_server failed to start:"; cat "$log"; exit 1
  fi
  sleep 0.2
done
echo "moto_server is up at $AWS_ENDPOINT_URL (log: $log)"
"$@"
