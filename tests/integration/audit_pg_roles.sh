#!/bin/bash
# The roles docs/hq.md gives a PostgreSQL HQ: an owner that creates and
# migrates the schema, an import role (SELECT, INSERT, UPDATE of devices,
# DELETE of the inventory lists) that registers and imports, and a read-only
# report role that reports and checks but cannot write. Needs a server where
# the test user may create roles and databases (tests/run starts one).
source "$(dirname "$0")/lib.sh"
if [ -z "${FERRY_TEST_PG:-}" ]; then
	skip postgresql_roles "${FERRY_TEST_PG_SKIP:-FERRY_TEST_PG not set (tests/run starts a server with tests/pg/cluster)}"
	finish
fi
n=$$ DBN=ferry_roles_$$
admin() { psql -X -q -v ON_ERROR_STOP=1 "$FERRY_TEST_PG" -c "$1" >/dev/null; }
url() { echo "${FERRY_TEST_PG/\/\/\/ferry/\/\/\/$DBN}" | sed "s/user=[^&]*/user=$1/"; }
FERRY_TEST_CLEANUP_HOOK=drop_all
drop_all() {
	admin "DROP DATABASE IF EXISTS $DBN" 2>/dev/null
	admin "DROP ROLE IF EXISTS owner_$n, import_$n, report_$n" 2>/dev/null
}
admin "CREATE ROLE owner_$n LOGIN; CREATE ROLE import_$n LOGIN; CREATE ROLE report_$n LOGIN" ||
	{ skip postgresql_roles "the test user may not create roles on this server"; finish; }
admin "CREATE DATABASE $DBN OWNER owner_$n"
OWNER=$(url "owner_$n") IMPORT=$(url "import_$n") REPORT=$(url "report_$n")

GEN=$BUILD/bench/gen-audit
"$GEN" "$T/g" --devices 3 --records 60 --per-file 10 >/dev/null || { fail gen-audit "could not generate"; finish; }
check owner_creates_the_schema ferry-audit --db "$OWNER" --homedir "$T/h" devices
# the grants of docs/hq.md, word for word
psql -X -q -v ON_ERROR_STOP=1 "$OWNER" >/dev/null <<SQL || fail grants "psql failed"
GRANT USAGE ON SCHEMA public TO import_$n, report_$n;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO import_$n, report_$n;
GRANT INSERT ON ALL TABLES IN SCHEMA public TO import_$n;
GRANT UPDATE ON devices TO import_$n;
GRANT DELETE ON device_versions, device_groups, device_software, device_components TO import_$n;
SQL
ok=0
for k in "$T"/g/keys/*.asc; do
	ferry-audit --db "$IMPORT" --homedir "$T/h" -q register "$k" --device-id "$(basename "$k" .asc)" || ok=1
done
[ $ok = 0 ] && pass import_role_registers || fail import_role_registers "register failed"
check import_role_imports ferry-audit --db "$IMPORT" --homedir "$T/h" import "$T/g/stick"
check import_role_reimports ferry-audit --db "$IMPORT" --homedir "$T/h" import "$T/g/stick"
check report_role_reports bash -c "ferry-audit --db '$REPORT' --homedir '$T/h' report --format json | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"summary\"][\"records\"] == 60'"
check report_role_checks ferry-audit --db "$REPORT" --homedir "$T/h" check
refuses report_role_cannot_import 1 'permission denied' ferry-audit --db "$REPORT" --homedir "$T/h" import "$T/g/stick"
"$GEN" "$T/g2" --devices 1 --records 1 >/dev/null   # a key no device holds yet
refuses report_role_cannot_register 1 'permission denied' \
	ferry-audit --db "$REPORT" --homedir "$T/h" register "$T/g2/keys/gw-0001.asc" --device-id gw-0099
refuses import_role_cannot_delete_records 1 'permission denied' \
	psql -X -q -v ON_ERROR_STOP=1 "$IMPORT" -c "DELETE FROM records"
finish
