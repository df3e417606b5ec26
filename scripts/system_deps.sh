#!/usr/bin/env bash
# Install the Debian packages the tests use (redis-server for the scale-out test, chromium for
# the browser tests). Needs root and apt-get; does nothing when they are already present.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: missing ${need[*]} (install them with your package manager); the tests that need them will fail" >&2
  fi
fi
