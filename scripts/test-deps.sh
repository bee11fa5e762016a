#!/usr/bin/env bash
# Install what the tests need beyond Go and PostGIS, only when it is missing:
#   /usr/bin/chromium   from apt (Debian package "chromium"), for e2e/map.spec.mjs
#   ogrinfo, ogr2ogr    from apt (Debian package "gdal-bin"), for e2e/gdal_test.go
#   iso_3166-1.json     from apt (Debian package "iso-codes"), for exchange/countries_test.go
#                       (exchange/countries.go is generated from it)
#   pgbouncer           from apt (Debian package "pgbouncer"), for e2e/pgbouncer_test.go
#   PyQGIS              from apt (Debian packages "qgis" and "python3-qgis"), for e2e/qgis_test.go;
#                       it runs under Debian's /usr/bin/python3, whatever python3 is first in PATH
#   nginx               from apt (Debian package "nginx"), the caching proxy of e2e/cache_test.go;
#                       the tests start their own nginx on a free port (the package's service
#                       is not needed)
#   node_modules/       `npm ci` when missing or older than package-lock.json
# Idempotent and fast (no network) when everything is already present.
# Usage: bash scripts/test-deps.sh
set -euo pipefail

cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v ogrinfo >/dev/null && command -v ogr2ogr >/dev/null || missing+=(gdal-bin)
[ -f /usr/share/iso-codes/json/iso_3166-1.json ] || missing+=(iso-codes)
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
[ -x /usr/bin/qgis ] || missing+=(qgis)
/usr/bin/python3 -c 'import qgis.core' 2>/dev/null || missing+=(python3-qgis)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
	echo "test-deps: installing ${missing[*]} (apt)" >&2
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "test-deps: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
		sudo="sudo"
	fi
	$sudo apt-get update
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

command -v npm >/dev/null || { echo "test-deps: npm not found (install Node.js 18+)" >&2; exit 1; }
# npm writes node_modules/.package-lock.json on every install: compare against it.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
	|| [ ! -f node_modules/playwright-core/package.json ]; then
	echo "test-deps: npm ci" >&2
	npm ci --no-audit --no-fund --loglevel=error
fi

echo "test-deps: ok ($(/usr/bin/chromium --version 2>/dev/null | head -n1); $(ogrinfo --version); $(/usr/sbin/pgbouncer --version | head -n1); QGIS $(/usr/bin/python3 -c 'from qgis.core import Qgis; print(Qgis.version())' 2>/dev/null); $(/usr/sbin/nginx -v 2>&1); playwright-core $(node -p 'require("./node_modules/playwright-core/package.json").version'))" >&2
