#!/usr/bin/env bash
# scripts/pg.sh: a private, project-local PostgreSQL + PostGIS cluster for
# development and tests. It never touches the system cluster (Debian's "main"
# on 5432); everything lives under one directory:
#
#   ${EVENTMAP_PG_DIR:-<repo>/.data/pg}/
#     data/              PGDATA (initdb output)
#     password           superuser password for role "eventmap" (mode 0600)
#     port               TCP port on 127.0.0.1, chosen once at init
#     run/               unix socket directory
#     log/postgres.log   server log
#     .lock              flock(1) lock serialising concurrent "ensure" runs
#
# Ports are picked and clusters started under one machine-wide lock, and
# each cluster's port is registered in ${EVENTMAP_PG_PORTS:-/tmp/eventmap-pg-ports}/
# (a file per port naming the cluster directory): two clusters initialised
# at once, or one initialised while another is stopped, never share a port.
#
# Usage:
#   scripts/pg.sh ensure          install packages if needed, init, start, create db
#   scripts/pg.sh url [DBNAME]    print a postgres:// URL (default db: eventmap)
#   scripts/pg.sh status          print running/stopped, port, data dir
#   scripts/pg.sh stop [immediate] fast (or immediate: crash-like) shutdown if running
#   scripts/pg.sh destroy         stop and delete the cluster directory
#   scripts/pg.sh psql [ARGS...]  ensure, then run psql against the eventmap db
#   scripts/pg.sh claim-port      pick a free port for EVENTMAP_PG_DIR and register it
#                                 (for clusters made by other means: pg-standby.sh)
#
# When run as root, PostgreSQL programs run as the OS user "postgres" (created
# by the Debian package) and the cluster directory is owned by that user.
set -euo pipefail

readonly DB_USER=eventmap
readonly DB_NAME=eventmap
readonly PORT_FIRST=54329
readonly PORT_LAST=54429

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
readonly SCRIPT_DIR
readonly REPO_ROOT=${SCRIPT_DIR%/*}

DIR=${EVENTMAP_PG_DIR:-$REPO_ROOT/.data/pg}
PORTS=${EVENTMAP_PG_PORTS:-/tmp/eventmap-pg-ports}
PGDATA_DIR='' # set by resolve_dir
MAJOR=''
BINDIR=''
APT_UPDATED=0

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() {
	printf 'pg.sh: error: %s\n' "$*" >&2
	exit 1
}

is_root() { [[ $EUID -eq 0 ]]; }

# Make DIR absolute and canonical (it must exist).
resolve_dir() {
	DIR=$(cd -- "$DIR" && pwd -P)
	PGDATA_DIR=$DIR/data
}

# Resolve DIR without creating it; returns 1 if it does not exist.
resolve_existing_dir() {
	[[ -d $DIR ]] || return 1
	resolve_dir
}

is_initialised() { [[ -f $PGDATA_DIR/PG_VERSION && -f $DIR/port && -f $DIR/password ]]; }

require_initialised() {
	if resolve_existing_dir && [[ -f $DIR/port && ! -r $DIR/password ]]; then
		die "cannot read $DIR/password (cluster owned by '$(stat -c %U -- "$DIR")'; created as root?)"
	fi
	if ! resolve_existing_dir || ! is_initialised; then
		die "no cluster at $DIR; run: scripts/pg.sh ensure"
	fi
}

# Run a PostgreSQL server program as the right OS user. File descriptors 9
# (the ensure lock) and 8 (the port lock) are closed so that a started
# postmaster never inherits a lock.
as_pg() {
	if is_root; then
		(cd -- "$DIR" && runuser -u postgres -- "$@") 9>&- 8>&-
	else
		(cd -- "$DIR" && "$@") 9>&- 8>&-
	fi
}

# ---------------------------------------------------------------- packages --

highest_installed_major() {
	local p v best=''
	for p in /usr/lib/postgresql/*/bin/postgres; do
		[[ -x $p ]] || continue
		v=${p#/usr/lib/postgresql/}
		v=${v%%/*}
		[[ $v =~ ^[0-9]+$ ]] || continue
		if [[ -z $best ]] || ((v > best)); then best=$v; fi
	done
	printf '%s' "$best"
}

apt_install() {
	if ! is_root; then
		die "missing packages: $*
  install them first, e.g.:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends $*"
	fi
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install manually: $*"
	export DEBIAN_FRONTEND=noninteractive
	if ((APT_UPDATED == 0)); then
		log "apt-get update"
		apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 9>&- 8>&-
		APT_UPDATED=1
	fi
	log "apt-get install $*"
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >&2 9>&- 8>&-
}

ensure_packages() {
	# An existing cluster pins the major version; otherwise use the highest installed.
	if [[ -f $PGDATA_DIR/PG_VERSION ]]; then
		MAJOR=$(<"$PGDATA_DIR/PG_VERSION")
		if [[ ! -x /usr/lib/postgresql/$MAJOR/bin/postgres ]]; then
			log "cluster at $DIR needs PostgreSQL $MAJOR server binaries"
			apt_install "postgresql-$MAJOR"
		fi
	else
		MAJOR=$(highest_installed_major)
		if [[ -z $MAJOR ]]; then
			log "PostgreSQL server binaries not found"
			# Non-root: name PostGIS too (postgresql-postgis = the distribution's
			# default postgresql-N-postgis-3), so one install command suffices.
			is_root || apt_install postgresql postgresql-contrib postgresql-postgis
			apt_install postgresql postgresql-contrib
			MAJOR=$(highest_installed_major)
			[[ -n $MAJOR ]] || die "PostgreSQL installed but no /usr/lib/postgresql/*/bin/postgres found"
		fi
	fi
	if [[ ! -f /usr/share/postgresql/$MAJOR/extension/postgis.control ]]; then
		log "PostGIS for PostgreSQL $MAJOR not found"
		apt_install "postgresql-$MAJOR-postgis-3"
	fi
	[[ -x /usr/lib/postgresql/$MAJOR/bin/postgres ]] || die "PostgreSQL $MAJOR binaries missing after install"
	[[ -f /usr/share/postgresql/$MAJOR/extension/postgis.control ]] || die "PostGIS for PostgreSQL $MAJOR missing after install"
	BINDIR=/usr/lib/postgresql/$MAJOR/bin
	if is_root; then
		id -u postgres >/dev/null 2>&1 || die "OS user 'postgres' does not exist (it is created by the Debian postgresql package)"
	fi
}

# Client binaries only (url/psql/status don't need the server or PostGIS).
find_client_bindir() {
	local v=''
	[[ -f $PGDATA_DIR/PG_VERSION ]] && v=$(<"$PGDATA_DIR/PG_VERSION")
	if [[ -n $v && -x /usr/lib/postgresql/$v/bin/psql ]]; then
		BINDIR=/usr/lib/postgresql/$v/bin
	else
		v=$(highest_installed_major)
		[[ -n $v ]] || die "PostgreSQL binaries not found; run: scripts/pg.sh ensure"
		BINDIR=/usr/lib/postgresql/$v/bin
	fi
}

# ------------------------------------------------------------------ helpers --

port_in_use() {
	local p=$1
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]] && return 0
	fi
	# Fallback (and double check): can we connect to it?
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		return 0
	fi
	return 1
}

# The machine-wide port lock (fd 8): picking a port and starting the
# cluster that listens on it happen under it, so no other pg.sh run can
# see the port free in between. The registry directory is shared by every
# user, like /tmp (sticky, world-writable).
take_port_lock() {
	if [[ ! -d $PORTS ]]; then
		(umask 000 && mkdir -p -- "$PORTS") 2>/dev/null || true
		chmod 1777 -- "$PORTS" 2>/dev/null || true
	fi
	[[ -d $PORTS && -w $PORTS ]] || die "cannot write the port registry $PORTS; set EVENTMAP_PG_PORTS to a shared writable directory"
	(umask 000 && : >>"$PORTS/.lock") 2>/dev/null || true
	exec 8>>"$PORTS/.lock" || die "cannot open the port lock $PORTS/.lock"
	if ! flock -n 8; then
		log "waiting for another pg.sh run to pick its port (lock $PORTS/.lock)"
		flock -w 600 8 || die "timed out waiting for lock $PORTS/.lock"
	fi
}

release_port_lock() { exec 8>&-; }

# Whether port $1 is registered to a cluster directory other than ours
# that still exists (it may be stopped, or being made).
port_claimed() {
	local owner
	[[ -f $PORTS/$1 ]] || return 1
	owner=$(<"$PORTS/$1") || return 1
	[[ -n $owner && $owner != "$DIR" && -d $owner ]]
}

# Register port $1 as this cluster's.
claim_port() {
	(umask 000 && printf '%s\n' "$DIR" >"$PORTS/$1.tmp" && mv -f -- "$PORTS/$1.tmp" "$PORTS/$1") ||
		die "cannot register port $1 in $PORTS"
}

# Forget this cluster's port (destroy).
release_port() {
	local p
	[[ -f $DIR/port ]] || return 0
	p=$(<"$DIR/port")
	if [[ -f $PORTS/$p && $(<"$PORTS/$p") == "$DIR" ]]; then rm -f -- "$PORTS/$p"; fi
}

# A port nobody listens on and no other cluster has registered. Call it
# under the port lock, and register the result before releasing it.
pick_port() {
	local p
	for ((p = PORT_FIRST; p <= PORT_LAST; p++)); do
		if ! port_in_use "$p" && ! port_claimed "$p"; then
			printf '%s' "$p"
			return 0
		fi
	done
	die "no free TCP port on 127.0.0.1 in $PORT_FIRST-$PORT_LAST (ports of other clusters are registered in $PORTS)"
}

urlencode() {
	local LC_ALL=C s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

read_port() { printf '%s' "$(<"$DIR/port")"; }
read_password() { printf '%s' "$(<"$DIR/password")"; }

# PID of our postmaster if it is running, else empty. Verifies that the PID in
# postmaster.pid really is a postgres process working in our data directory
# (after a reboot or container restart the PID may belong to something else).
running_pid() {
	local pid
	[[ -f $PGDATA_DIR/postmaster.pid ]] || return 0
	pid=$(head -n1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	[[ -d /proc/$pid ]] || return 0
	if [[ /proc/$pid/cwd -ef $PGDATA_DIR ]]; then
		printf '%s' "$pid"
	fi
}

# One-letter process state from /proc/PID/stat (R, S, Z, ...), empty if gone.
proc_state() {
	local st=''
	st=$(cat "/proc/$1/stat" 2>/dev/null || true)
	st=${st##*) }
	printf '%s' "${st%% *}"
}

# Processes still working in our data directory (orphaned backends after the
# postmaster was killed).
leftover_pids() {
	local d pids=()
	for d in /proc/[0-9]*; do
		if [[ $d/cwd -ef $PGDATA_DIR ]]; then
			pids+=("${d#/proc/}")
		fi
	done
	printf '%s' "${pids[*]}"
}

# Called when the server is not running but postmaster.pid exists.
handle_stale_pidfile() {
	local pid pids i
	pid=$(head -n1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
	log "found stale postmaster.pid (pid ${pid:-?}); recovering"
	# Wait for orphaned children of a crashed postmaster to exit; the new
	# postmaster refuses to start while they still hold the old shared memory.
	# Idle ones exit at once; a backend busy in a long query only notices at
	# its next wait, so after 5 s send SIGQUIT (postgres' "quit now" signal).
	# Only processes working in this cluster's data directory are touched.
	for ((i = 0; i < 100; i++)); do
		pids=$(leftover_pids)
		[[ -z $pids ]] && break
		if ((i == 50)); then
			log "orphaned backends still running after 5 s, sending SIGQUIT: $pids"
			# shellcheck disable=SC2086 # word splitting of the pid list is intended
			kill -QUIT $pids 2>/dev/null || true
		fi
		sleep 0.1
	done
	[[ -z $pids ]] || die "processes still using $PGDATA_DIR after the postmaster died: $pids (stop them and retry)"
	# If that PID now belongs to an unrelated live process, postgres would
	# refuse to start ("lock file already exists"): remove the stale files.
	# If the PID is dead, leave the file alone; postgres cleans it up itself
	# (and releases the old shared memory segment).
	# A zombie (killed postmaster not yet reaped by init, common in
	# containers) also counts as alive for postgres' own check.
	if [[ $pid =~ ^[0-9]+$ ]] && [[ -d /proc/$pid ]]; then
		if [[ $(proc_state "$pid") != Z ]] &&
			! readlink "/proc/$pid/cwd" >/dev/null 2>&1 &&
			[[ $(cat "/proc/$pid/comm" 2>/dev/null || true) == postgres ]]; then
			die "pid $pid from $PGDATA_DIR/postmaster.pid is a postgres process owned by another user;
  cannot tell whether it serves this cluster. Run as root or stop it first"
		fi
		rm -f -- "$PGDATA_DIR/postmaster.pid" "$DIR"/run/.s.PGSQL.*
	fi
}

psql_tcp() { # psql_tcp DBNAME ARGS...
	local db=$1
	shift
	PGPASSWORD=$(read_password) PGCONNECT_TIMEOUT=10 \
		"$BINDIR/psql" -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(read_port)" -U "$DB_USER" -d "$db" "$@"
}

# ---------------------------------------------------------------- ensure ----

# Root only: the cluster directory must belong to, and be reachable by, the
# OS user "postgres" that runs the server.
check_ownership() {
	if is_root; then
		# Check the parents before chowning anything (DIR itself is at least
		# 0755 here, or already owned by postgres).
		if ! runuser -u postgres -- test -x "$DIR"; then
			die "OS user 'postgres' cannot reach $DIR (a parent directory is not traversable,
  e.g. a 0700 home directory). Point EVENTMAP_PG_DIR at a reachable place, e.g.:
    EVENTMAP_PG_DIR=/var/tmp/eventmap-pg scripts/pg.sh ensure"
		fi
		if [[ $(stat -c %U -- "$DIR") != postgres ]]; then
			if [[ -e $PGDATA_DIR ]]; then log "chown -R postgres: $DIR"; fi
			chown -R postgres:postgres -- "$DIR"
		fi
	fi
}

init_cluster() {
	local port locale locales sockdir sock
	if [[ -e $PGDATA_DIR ]]; then
		# "port" is written last: without it, an earlier init was interrupted.
		if [[ ! -f $DIR/port && -z $(running_pid) ]]; then
			log "removing incomplete cluster from an interrupted init"
			rm -rf -- "$PGDATA_DIR"
		elif [[ -n $(ls -A -- "$PGDATA_DIR" 2>/dev/null) ]]; then
			die "$PGDATA_DIR exists but the cluster is incomplete (missing PG_VERSION or password);
  remove it with: scripts/pg.sh destroy"
		fi
	fi
	log "initialising PostgreSQL $MAJOR cluster in $DIR"
	mkdir -p -- "$DIR/log" "$DIR/run"
	chmod 0700 -- "$DIR/run"

	# Password: hex, so no quoting or URL-encoding issues anywhere.
	(
		umask 077
		od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$DIR/password.tmp"
	)
	chmod 0600 -- "$DIR/password.tmp"

	port=$(pick_port)
	claim_port "$port"

	locales=$(locale -a 2>/dev/null || true)
	if grep -Eqix 'c\.utf-?8' <<<"$locales"; then
		locale=C.UTF-8
	else
		log "locale C.UTF-8 not available; using C (encoding stays UTF8)"
		locale=C
	fi

	if is_root; then chown -R postgres:postgres -- "$DIR"; fi
	if ! as_pg "$BINDIR/initdb" -D "$PGDATA_DIR" -U "$DB_USER" --auth=scram-sha-256 \
		--pwfile="$DIR/password.tmp" --encoding=UTF8 --locale="$locale" \
		>"$DIR/log/initdb.log" 2>&1; then
		cat -- "$DIR/log/initdb.log" >&2
		rm -rf -- "$PGDATA_DIR"
		die "initdb failed (output above)"
	fi

	sockdir=$DIR/run
	sock="$sockdir/.s.PGSQL.$port"
	if ((${#sock} >= 100)); then
		log "socket path would be too long (${#sock} chars); disabling unix sockets (TCP only)"
		sockdir=
	fi
	cat >>"$PGDATA_DIR/postgresql.conf" <<EOF

# ---- eventmap dev cluster (written by scripts/pg.sh) ----
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 200
shared_buffers = 256MB
fsync = on
# A bulk import writes 7-12 KB of WAL per event (its row, revision, links,
# aggregates and their indexes): with the default 1 GB a checkpoint came
# every hundred thousand events, each followed by full-page images of
# every page touched again. Bigger and compressed, it wrote 40 % less.
max_wal_size = 4GB
wal_compression = lz4
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
EOF
	# Commit: port and password files mark a complete cluster.
	mv -f -- "$DIR/password.tmp" "$DIR/password"
	printf '%s\n' "$port" >"$DIR/port"
	if is_root; then chown -R postgres:postgres -- "$DIR"; fi
	log "cluster ready: port $port, data $PGDATA_DIR"
}

start_cluster() {
	local i
	if [[ -n $(running_pid) ]]; then
		return 0
	fi
	if [[ -f $PGDATA_DIR/postmaster.pid ]]; then
		handle_stale_pidfile
	fi
	log "starting PostgreSQL on 127.0.0.1:$(read_port) (log: $DIR/log/postgres.log)"
	for ((i = 1; ; i++)); do
		if as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -l "$DIR/log/postgres.log" -w -t 60 -s start >&2; then
			return 0
		fi
		# Retry only for transient leftovers of a crash (old shared memory or
		# lock file still in use for a moment); anything else fails at once.
		if ((i >= 3)) || ! tail -n 5 -- "$DIR/log/postgres.log" 2>/dev/null |
			grep -Eq 'shared memory block is still in use|lock file .* already exists'; then
			break
		fi
		log "start failed, retrying ($i)"
		sleep 1
	done
	log "pg_ctl start failed; last lines of $DIR/log/postgres.log:"
	tail -n 20 -- "$DIR/log/postgres.log" >&2 || true
	die "could not start PostgreSQL (is port $(read_port) taken by another program?)"
}

ensure_database() {
	local exists
	exists=$(psql_tcp postgres -qAt -c "select 1 from pg_database where datname = '$DB_NAME'") ||
		die "cannot connect to 127.0.0.1:$(read_port) as $DB_USER"
	if [[ $exists != 1 ]]; then
		log "creating database $DB_NAME"
		psql_tcp postgres -q -c "create database $DB_NAME" >&2
	fi
}

# Serialise ensure/stop/destroy on fd 9 (closed again for every child that
# could outlive us, see as_pg).
take_lock() {
	if ! is_root && [[ $(stat -c %U -- "$DIR") != "$(id -un)" ]]; then
		die "$DIR is owned by '$(stat -c %U -- "$DIR")', not by you; it was probably created as root.
  Run this script as root, or remove it (sudo rm -rf '$DIR') and run ensure again"
	fi
	exec 9>>"$DIR/.lock"
	if ! flock -n 9; then
		log "waiting for another pg.sh run to finish (lock $DIR/.lock)"
		flock -w 600 9 || die "timed out waiting for lock $DIR/.lock"
	fi
}

cmd_ensure() {
	mkdir -p -- "$DIR" 2>/dev/null || die "cannot create $DIR; set EVENTMAP_PG_DIR to a writable directory"
	resolve_dir
	take_lock
	ensure_packages
	check_ownership
	take_port_lock
	if ! is_initialised; then
		init_cluster
	fi
	# A cluster made before the registry existed, or whose entry went with
	# /tmp at a reboot, registers its port again here; if, while it was
	# stopped, another cluster took that port, it moves to a free one.
	if [[ -z $(running_pid) ]] && { port_claimed "$(read_port)" || port_in_use "$(read_port)"; }; then
		move_port
	fi
	claim_port "$(read_port)"
	start_cluster
	release_port_lock
	ensure_database
	exec 9>&-
}

# Give a stopped cluster a free port: its own was taken while it was down.
move_port() {
	local old port
	old=$(read_port)
	port=$(pick_port)
	sed -i "s/^port = $old\$/port = $port/" -- "$PGDATA_DIR/postgresql.conf"
	grep -qx "port = $port" -- "$PGDATA_DIR/postgresql.conf" || die "cannot set port $port in $PGDATA_DIR/postgresql.conf"
	printf '%s\n' "$port" >"$DIR/port"
	log "port $old is taken by another cluster or program; this cluster moves to port $port"
}

cmd_claim_port() {
	local port
	mkdir -p -- "$DIR" 2>/dev/null || die "cannot create $DIR"
	resolve_dir
	take_port_lock
	port=$(pick_port)
	claim_port "$port"
	release_port_lock
	printf '%s\n' "$port"
}

# ----------------------------------------------------------- other commands --

cmd_url() {
	local db=${1:-$DB_NAME}
	require_initialised
	printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable\n' \
		"$DB_USER" "$(urlencode "$(read_password)")" "$(read_port)" "$(urlencode "$db")"
}

cmd_status() {
	local pid
	if ! resolve_existing_dir || [[ ! -f $DIR/port ]]; then
		printf 'state:    not initialised\ndata dir: %s\n' "$DIR"
		return 0
	fi
	if [[ ! -r $PGDATA_DIR/PG_VERSION ]]; then
		# Data directory owned by another user (root-created cluster seen by a
		# normal user): all we can do is probe the port.
		if port_in_use "$(read_port)"; then
			printf 'state:    running (port open; cluster owned by %s)\n' "$(stat -c %U -- "$DIR")"
		else
			printf 'state:    stopped (cluster owned by %s)\n' "$(stat -c %U -- "$DIR")"
		fi
		printf 'port:     %s\ndata dir: %s\n' "$(read_port)" "$DIR"
		return 0
	fi
	pid=$(running_pid)
	if [[ -n $pid ]]; then
		printf 'state:    running (pid %s)\n' "$pid"
	else
		printf 'state:    stopped\n'
	fi
	printf 'port:     %s\ndata dir: %s\nversion:  %s\n' "$(read_port)" "$DIR" "$(<"$PGDATA_DIR/PG_VERSION")"
}

cmd_stop() {
	# fast (default) ends sessions cleanly; immediate is a crash, as after a
	# power cut: the next start replays the WAL (the chaos test uses both).
	local mode=${1:-fast}
	[[ $mode == fast || $mode == immediate ]] || die "stop: mode must be fast or immediate, not $mode"
	if ! resolve_existing_dir || ! is_initialised; then
		log "no cluster at $DIR; nothing to stop"
		return 0
	fi
	if [[ -z $(running_pid) ]]; then
		log "not running"
		return 0
	fi
	take_lock
	find_client_bindir
	log "stopping PostgreSQL ($DIR, $mode)"
	as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -m "$mode" -w -t 60 -s stop >&2
}

cmd_destroy() {
	local pid
	if ! resolve_existing_dir; then
		log "no cluster at $DIR; nothing to destroy"
		return 0
	fi
	# Safety net: only delete something that looks like our cluster directory.
	if [[ $DIR == / || $DIR == "$REPO_ROOT" || $DIR == "${HOME:-}" ]] ||
		{ [[ -n $(ls -A -- "$DIR") ]] && [[ ! -f $DIR/port && ! -f $PGDATA_DIR/PG_VERSION && ! -f $DIR/.lock ]]; }; then
		die "$DIR does not look like a pg.sh cluster directory; refusing to delete it"
	fi
	take_lock
	pid=$(running_pid)
	if [[ -n $pid ]]; then
		cmd_stop
		# pg_ctl stop must have worked; if not, don't pull the rug from under it.
		[[ -z $(running_pid) ]] || die "PostgreSQL still running (pid $pid); not deleting $DIR"
	fi
	release_port
	log "removing $DIR"
	rm -rf -- "$DIR"
}

cmd_psql() {
	cmd_ensure
	find_client_bindir
	PGPASSWORD=$(read_password) exec "$BINDIR/psql" -h 127.0.0.1 -p "$(read_port)" -U "$DB_USER" -d "$DB_NAME" "$@"
}

usage() {
	cat >&2 <<'EOF'
usage: scripts/pg.sh COMMAND [ARGS]

  ensure          install PostgreSQL/PostGIS if needed (root), init and start the
                  project cluster, create database "eventmap"; idempotent
  url [DBNAME]    print postgres://eventmap:...@127.0.0.1:PORT/DBNAME?sslmode=disable
  status          print running/stopped, port and data directory
  stop [immediate] fast shutdown (immediate: like a crash; the next start replays the WAL)
  destroy         stop and delete the cluster directory
  psql [ARGS]     run psql against the eventmap database
  claim-port      pick and register a free port for EVENTMAP_PG_DIR, print it

Cluster directory: ${EVENTMAP_PG_DIR:-<repo>/.data/pg}
EOF
}

main() {
	local cmd=${1:-}
	[[ $# -gt 0 ]] && shift
	case $cmd in
	ensure) cmd_ensure ;;
	url) cmd_url "$@" ;;
	status) cmd_status ;;
	stop) cmd_stop "$@" ;;
	destroy) cmd_destroy ;;
	psql) cmd_psql "$@" ;;
	claim-port) cmd_claim_port ;;
	-h | --help | help)
		usage
		;;
	*)
		usage
		exit 2
		;;
	esac
}

main "$@"
