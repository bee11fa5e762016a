#!/usr/bin/env bash
# Install what the browser test (e2e/map.spec.mjs) needs, only when it is missing:
#   /usr/bin/chromium   from apt (Debian package "chromium")
#   node_modules/       `npm ci` when missing or older than package-lock.json
# Idempotent and fast (no network) when everything is already present.
# Usage: bash scripts/test-deps.sh
set -euo pipefail

cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
	echo "test-deps: installing chromium (apt)" >&2
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "test-deps: need root or sudo to apt-get install chromium" >&2; exit 1; }
		sudo="sudo"
	fi
	$sudo apt-get update
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi

command -v npm >/dev/null || { echo "test-deps: npm not found (install Node.js 18+)" >&2; exit 1; }
# npm writes node_modules/.package-lock.json on every install: compare against it.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
	|| [ ! -f node_modules/playwright-core/package.json ]; then
	echo "test-deps: npm ci" >&2
	npm ci --no-audit --no-fund --loglevel=error
fi

echo "test-deps: ok ($(/usr/bin/chromium --version 2>/dev/null | head -n1); playwright-core $(node -p 'require("./node_modules/playwright-core/package.json").version'))" >&2
