# lib_db.sh: the HQ databases of the audit integration tests, sourced after
# lib.sh. SQLite files by default; with FERRY_AUDIT_BACKEND=postgresql, one
# schema each on the server FERRY_TEST_PG names (tests/run starts one:
# tests/pg/cluster), dropped when the test ends.
FERRY_AUDIT_BACKEND=${FERRY_AUDIT_BACKEND:-sqlite}
_db_schemas=()

# db_new NAME: prints the --db target of a new empty database called NAME.
db_new() {
	if [ "$FERRY_AUDIT_BACKEND" = sqlite ]; then
		mkdir -p "$T/$1"; echo "$T/$1/hq.db"; return
	fi
	local schema=fi_$$_$1
	psql -X -q "$FERRY_TEST_PG" -c "CREATE SCHEMA $schema" >/dev/null || return 1
	echo "$FERRY_TEST_PG&options=-csearch_path%3D$schema"
}

# sql TARGET SQL: runs SQL on the database TARGET; rows printed as a|b|c.
sql() {
	case $1 in
	postgresql:*) psql -X -q -A -t -F'|' -v ON_ERROR_STOP=1 "$1" -c "$2" ;;
	*) sqlite3 "$1" "$2" ;;
	esac
}
# sql_script TARGET: runs the SQL statements on stdin.
sql_script() {
	case $1 in
	postgresql:*) psql -X -q -v ON_ERROR_STOP=1 "$1" -f - >/dev/null ;;
	*) sqlite3 "$1" ;;
	esac
}

# db_copy SRC NAME: prints the target of a copy of database SRC called NAME
# (its tables and rows, as a backup restored elsewhere would hold them).
db_copy() {
	if [ "$FERRY_AUDIT_BACKEND" = sqlite ]; then
		mkdir -p "$T/$2"; cp "$1" "$T/$2/hq.db"; echo "$T/$2/hq.db"; return
	fi
	local to t from=${1##*search_path%3D}
	to=$(db_new "$2") || return 1
	for t in schema_version devices device_versions device_groups records imports policy_serials export_sigs; do
		echo "CREATE TABLE ${to##*search_path%3D}.$t AS SELECT * FROM $from.$t;"
	done | psql -X -q -v ON_ERROR_STOP=1 "$FERRY_TEST_PG" -f - >/dev/null || return 1
	echo "$to"
}

_db_drop_all() {
	[ "$FERRY_AUDIT_BACKEND" = sqlite ] && return 0
	psql -X -q "$FERRY_TEST_PG" -c "DO \$\$ DECLARE s text; BEGIN
		FOR s IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'fi\\_$$\\_%' LOOP
			EXECUTE format('DROP SCHEMA %I CASCADE', s); END LOOP; END \$\$" >/dev/null 2>&1 || true
}
FERRY_TEST_CLEANUP_HOOK=_db_drop_all
