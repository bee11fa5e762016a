#!/usr/bin/env bash
# scripts/pg-standby.sh: a local hot standby (streaming replica) of a
# scripts/pg.sh cluster, to try DATABASE_READ_URL and to test it
# (e2e/standby_test.go). It is made with pg_basebackup -R from the running
# primary and laid out like a pg.sh cluster (data/, password, port, run/,
# log/), so once created, pg.sh itself starts, stops, prints the URL of and
# destroys it:
#
#   scripts/pg-standby.sh create [STANDBY_DIR]    copy the primary, start streaming
#   EVENTMAP_PG_DIR=STANDBY_DIR scripts/pg.sh url|status|stop|ensure|destroy
#   scripts/pg-standby.sh lag [STANDBY_DIR]       bytes of WAL received but not replayed yet, and seconds since the last replayed commit
#
# The primary is ${EVENTMAP_PG_DIR:-<repo>/.data/pg}; the standby defaults
# to ${EVENTMAP_STANDBY_DIR:-<repo>/.data/pg-standby}. Like pg.sh, when run
# as root the PostgreSQL programs run as the OS user "postgres".
#
# What it needs from the primary is what initdb gives by default: wal_level
# replica, max_wal_senders > 0, and a pg_hba.conf line for "replication"
# from 127.0.0.1 (the role pg.sh creates is a superuser, so it may
# replicate). No replication slot is created: if the standby is stopped for
# long, the primary may recycle WAL it still needs, and it must be created
# again. A production standby should use a slot (pg_basebackup -C -S NAME).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
readonly SCRIPT_DIR
readonly REPO_ROOT=${SCRIPT_DIR%/*}
readonly PRIMARY=${EVENTMAP_PG_DIR:-$REPO_ROOT/.data/pg}
readonly DB_USER=eventmap

log() { printf 'pg-standby.sh: %s\n' "$*" >&2; }
die() {
	printf 'pg-standby.sh: error: %s\n' "$*" >&2
	exit 1
}

is_root() { [[ $EUID -eq 0 ]]; }

as_pg() {
	if is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

port_in_use() {
	if command -v ss >/dev/null 2>&1 && [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; then
		return 0
	fi
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

bindir() {
	local v
	v=$(<"$1/data/PG_VERSION")
	[[ -x /usr/lib/postgresql/$v/bin/pg_basebackup ]] || die "PostgreSQL $v client programs not found"
	printf '/usr/lib/postgresql/%s/bin' "$v"
}

cmd_create() {
	local standby=${1:-${EVENTMAP_STANDBY_DIR:-$REPO_ROOT/.data/pg-standby}}
	local port bin sockdir
	[[ -f $PRIMARY/port && -r $PRIMARY/password && -f $PRIMARY/data/PG_VERSION ]] ||
		die "no primary cluster at $PRIMARY; run: scripts/pg.sh ensure"
	port_in_use "$(<"$PRIMARY/port")" || die "the primary at $PRIMARY is not running; run: scripts/pg.sh ensure"
	if [[ -e $standby/data ]]; then
		die "$standby/data exists; remove it first: EVENTMAP_PG_DIR=$standby scripts/pg.sh destroy"
	fi
	bin=$(bindir "$PRIMARY")
	mkdir -p -- "$standby/log" "$standby/run"
	standby=$(cd -- "$standby" && pwd -P)
	chmod 0700 -- "$standby/run"
	install -m 0600 -- "$PRIMARY/password" "$standby/password"
	if is_root; then chown -R postgres:postgres -- "$standby"; fi

	log "copying the primary on port $(<"$PRIMARY/port") into $standby/data (pg_basebackup -R)"
	# -R writes standby.signal and primary_conninfo (password included, in
	# a 0600 file of the postgres user); -X stream copies the WAL written
	# during the copy, so the standby starts consistent.
	if ! PGPASSWORD=$(<"$PRIMARY/password") as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$(<"$PRIMARY/port")" -U "$DB_USER" \
		-D "$standby/data" -R -X stream -c fast >"$standby/log/basebackup.log" 2>&1; then
		cat -- "$standby/log/basebackup.log" >&2
		rm -rf -- "$standby/data"
		die "pg_basebackup failed (output above)"
	fi

	# Picked and registered under pg.sh's machine-wide port lock, so no
	# cluster initialised meanwhile takes it before the standby starts.
	port=$(EVENTMAP_PG_DIR=$standby bash "$SCRIPT_DIR/pg.sh" claim-port)
	sockdir=$standby/run
	if ((${#sockdir} + 20 >= 100)); then sockdir=; fi
	# Later lines win over the primary's copied settings.
	cat >>"$standby/data/postgresql.conf" <<EOF

# ---- eventmap hot standby (written by scripts/pg-standby.sh) ----
port = $port
unix_socket_directories = '$sockdir'
hot_standby = on
# Queries on the standby are cancelled when replay needs the rows they
# read; give them the statement timeout's worth of grace first.
max_standby_streaming_delay = 30s
hot_standby_feedback = on
EOF
	printf '%s\n' "$port" >"$standby/port"
	if is_root; then chown -R postgres:postgres -- "$standby"; fi
	EVENTMAP_PG_DIR=$standby bash "$SCRIPT_DIR/pg.sh" ensure
	log "standby streaming from port $(<"$PRIMARY/port") on port $port; URL: EVENTMAP_PG_DIR=$standby scripts/pg.sh url"
}

cmd_lag() {
	local standby=${1:-${EVENTMAP_STANDBY_DIR:-$REPO_ROOT/.data/pg-standby}}
	[[ -f $standby/port ]] || die "no standby at $standby"
	PGPASSWORD=$(<"$standby/password") "$(bindir "$standby")/psql" -X -qAt -h 127.0.0.1 -p "$(<"$standby/port")" -U "$DB_USER" -d postgres -c \
		"SELECT pg_is_in_recovery(), pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()),
		        extract(epoch FROM now() - pg_last_xact_replay_timestamp())::int" |
		awk -F'|' '{ printf "in_recovery: %s\nreplay_lag_bytes: %s\nseconds_since_last_replayed_commit: %s\n", $1, $2, $3 }'
}

case ${1:-} in
create)
	shift
	cmd_create "$@"
	;;
lag)
	shift
	cmd_lag "$@"
	;;
*)
	sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
