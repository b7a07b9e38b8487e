#!/bin/bash
# ferry-audit end to end: register device keys, import a stick of signed
# exports (made by bench/gen-audit like devices make them), re-import as a
# no-op, and refuse each kind of bad file with its reason while the good
# files still import; reports in every format (HTML parsed, rendered when
# Chromium is there); signed acks on the stick. On SQLite, or on PostgreSQL
# with FERRY_AUDIT_BACKEND=postgresql (audit_pg.sh runs it so: lib_db.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_db.sh"

GEN=$BUILD/bench/gen-audit
G=$T/g
DB=$(db_new hq) || { fail db_new "could not create the database"; finish; }
HQ_HOME=$T/hq/gnupg
audit() { ferry-audit --db "$DB" --homedir "$HQ_HOME" "$@"; }
records_of() { audit events --json --device "$1" | wc -l; }

# 7 devices x 30 records, 3 export files each: gw-0001..gw-0006, sn-0001
"$GEN" "$G" --devices 7 --records 210 --per-file 10 >/dev/null || { fail gen-audit "could not generate"; finish; }
S=$G/stick/ferry/audit
fpr() { cat "$G/keys/$1.fpr"; }
resign() { "$GEN" sign --homedir "$G/gnupg" --key "$(fpr "$1")" "$2"; }
F2() { echo "$S/$1/$1.00000011-00000020.jsonl"; }

for d in gw-0001 gw-0002 gw-0003 gw-0004 gw-0005 sn-0001; do
	audit register "$G/keys/$d.asc" --device-id "$d" >/dev/null || fail "register_$d" "exit $?"
done
check register_same_key_again_is_a_no_op bash -c "ferry-audit --db '$DB' --homedir '$HQ_HOME' register '$G/keys/gw-0001.asc' --device-id gw-0001 | grep -q 'nothing to do'"
refuses register_other_key_for_known_id 1 'already registered with another key' \
	audit register "$G/keys/gw-0006.asc" --device-id gw-0001
refuses register_one_key_for_two_ids 1 "already registered for device 'gw-0002'" \
	audit register "$G/keys/gw-0002.asc" --device-id gw-0099
gpgconf --homedir "$G/gnupg" --launch gpg-agent; gpg --homedir "$G/gnupg" --batch --pinentry-mode loopback --passphrase '' --export-secret-keys --armor "$(fpr gw-0003)" >"$T/secret.asc" 2>/dev/null
refuses register_refuses_secret_key 1 'holds a secret key' audit register "$T/secret.asc" --device-id gw-0077
refuses register_needs_device_id 2 'device-id' audit register "$G/keys/gw-0002.asc"

# --- a clean stick of the registered devices imports, then re-imports as a no-op
mkdir -p "$T/clean/ferry/audit"
cp -r "$S/gw-0001" "$S/gw-0002" "$T/clean/ferry/audit/"
check import_clean_stick audit import "$T/clean"
[ "$(records_of gw-0001)" = 30 ] && [ "$(records_of gw-0002)" = 30 ] && pass import_stores_every_record \
	|| fail import_stores_every_record "gw-0001: $(records_of gw-0001), gw-0002: $(records_of gw-0002)"
before=$(sql "$DB" 'SELECT count(*), sum(length(line)) FROM records')
out=$(audit import "$T/clean" 2>&1); rc=$?
after=$(sql "$DB" 'SELECT count(*), sum(length(line)) FROM records')
if [ $rc -eq 0 ] && [ "$before" = "$after" ] && printf '%s' "$out" | grep -q 'nothing new'; then
	pass reimport_is_a_no_op
else
	fail reimport_is_a_no_op "rc $rc, $before -> $after: $out"
fi
refuses import_missing_dir 1 'not a directory' audit import "$T/nowhere"
mkdir -p "$T/empty"
check import_empty_stick_is_nothing_to_do bash -c "ferry-audit --db '$DB' --homedir '$HQ_HOME' import '$T/empty' | grep -q 'nothing to import'"

# --- each kind of bad file, each in its own device's folder (file 2 of 3)
sed -i '5s/"time":"2026/"time":"2025/' "$(F2 gw-0003)"; resign gw-0003 "$(F2 gw-0003)"   # altered line, re-signed
sed -i '4d' "$(F2 gw-0004)"; resign gw-0004 "$(F2 gw-0004)"                           # removed line
sed -i '3{h;d};4{G}' "$(F2 gw-0005)"; resign gw-0005 "$(F2 gw-0005)"                  # swapped pair
resign gw-0001 "$(F2 sn-0001)"                                                       # another device's key
sed -i '2s/"time":"2026/"time":"2025/' "$S/gw-0002/gw-0002.00000021-00000030.jsonl"   # alters an imported record, no re-sign
out=$(audit import "$G/stick" 2>&1); rc=$?
[ $rc -eq 1 ] && pass import_with_refusals_exits_1 || fail import_with_refusals_exits_1 "exit $rc"
says() {   # says NAME FILE PATTERN: the refusal line of FILE names PATTERN
	if printf '%s\n' "$out" | grep -F "refused: audit/$2" | grep -Eq -- "$3"; then pass "$1"
	else fail "$1" "no '$3' for $2 in: $(printf '%s' "$out" | grep -F "$2" | head -2 | tr '\n' ' ')"; fi
}
says refuses_altered_line gw-0003/gw-0003.00000011-00000020.jsonl 'prev does not match'
says refuses_removed_line gw-0004/gw-0004.00000011-00000020.jsonl 'record missing'
says refuses_swapped_lines gw-0005/gw-0005.00000011-00000020.jsonl 'where [0-9]+ was expected'
says refuses_other_devices_key sn-0001/sn-0001.00000011-00000020.jsonl 'not signed by the device key'
says refuses_unregistered_device gw-0006/gw-0006.00000001-00000010.jsonl "unknown device 'gw-0006'"
says refuses_tampered_without_resign gw-0002/gw-0002.00000021-00000030.jsonl 'signature bad'
says refuses_gap_after_refused_file gw-0003/gw-0003.00000021-00000030.jsonl 'gap: records 11-20 missing'
for d in gw-0003 gw-0004 gw-0005 sn-0001; do n=$(records_of $d); [ "$n" = 10 ] || fail "good_files_still_import_$d" "$n records"; done
[ "$(records_of gw-0006)" = 0 ] && [ "$(records_of gw-0002)" = 30 ] && pass good_files_still_import \
	|| fail good_files_still_import "gw-0006: $(records_of gw-0006), gw-0002: $(records_of gw-0002)"
journal=$(sql "$DB" "SELECT count(*) FROM imports WHERE outcome = 'refused' AND reason LIKE '%prev does not match%'")
[ "$journal" -ge 1 ] && pass refusal_journaled_with_reason || fail refusal_journaled_with_reason "$journal"

# another device's records in a device's folder; a malformed line (re-signed)
mkdir -p "$T/foreign/ferry/audit/gw-0004"
cp "$S/gw-0001/gw-0001.00000001-00000010.jsonl" "$S/gw-0001/gw-0001.00000001-00000010.jsonl.sig" "$T/foreign/ferry/audit/gw-0004/"
refuses refuses_records_of_another_device 1 "records of device 'gw-0001' in the folder of 'gw-0004'" audit import "$T/foreign"
mkdir -p "$T/bad/ferry/audit/gw-0004"
f=$T/bad/ferry/audit/gw-0004/gw-0004.00000011-00000020.jsonl
printf '%s\n' '{"seq":11,"oops"' >"$f"; resign gw-0004 "$f"
refuses refuses_malformed_line 1 'gw-0004.00000011-00000020.jsonl' audit import "$T/bad"

# --- the database itself: stored chains re-verified; a tampered copy is noticed
check check_intact_database audit check
check check_json bash -c "ferry-audit --db '$DB' --homedir '$HQ_HOME' --json check | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"broken\"] == 0 and all(x[\"intact\"] for x in d[\"devices\"])'"
TDB=$(db_copy "$DB" tampered)
sql "$TDB" "UPDATE records SET line = replace(line, '\"time\":\"2026', '\"time\":\"2025') WHERE device = 'gw-0001' AND seq = 7;
	DELETE FROM records WHERE device = 'gw-0002' AND seq = 12"
# gw-0003's records rewritten from seq 5 on, consistently chained: only the signature can tell
cat >"$T/rechain.py" <<'PY'
import hashlib, json, sys
q = lambda v: "'" + v.replace("'", "''") + "'"
prev = None
for row in sys.stdin:   # "seq|line", in seq order
    seq, line = row.rstrip("\n").split("|", 1)
    if int(seq) >= 5:
        rec = json.loads(line)
        rec["prev"], rec["result"] = prev, "success"
        line = json.dumps(rec, sort_keys=True, separators=(",", ":"))
        print(f"UPDATE records SET line = {q(line)}, hash = {q(hashlib.sha256(line.encode()).hexdigest())},"
              f" prev = {q(prev)} WHERE device = 'gw-0003' AND seq = {seq};")
    prev = hashlib.sha256(line.encode()).hexdigest()
PY
sql "$TDB" "SELECT seq, line FROM records WHERE device = 'gw-0003' ORDER BY seq" | python3 "$T/rechain.py" | sql_script "$TDB"
out=$(ferry-audit --db "$TDB" --homedir "$HQ_HOME" check 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q '^gw-0001: BROKEN: record 7' <<<"$out" && grep -q '^gw-0002: BROKEN: .*seq 13 where 12 was expected' <<<"$out" &&
   grep -q '^gw-0003: BROKEN: records 1-10: the device signature .* does not verify' <<<"$out" &&
   grep -q '^gw-0005: 10 records, chain intact and signed' <<<"$out"; then
	pass check_notices_tampered_database
else
	fail check_notices_tampered_database "rc $rc: $(tr '\n' ' ' <<<"$out")"
fi

# --- devices may be upgraded before HQ (docs/formats.md): a record with a field
# of a newer minor version, chained and signed by the device, imports and
# verifies; a newer major version is refused with its reason. gw-0006's files
# are untouched; its last record of a file gets the change (the chain stays).
N=$T/newer/ferry/audit/gw-0006 M=$T/major/ferry/audit/gw-0006 NDB=$T/hq2/hq.db
mkdir -p "$N" "$M"
cp "$S/gw-0006/"*.jsonl "$N/"
cp "$S/gw-0006/gw-0006.00000001-00000010.jsonl" "$M/"
sed -i '$s/}$/,"zz_newer":{"from":"a newer agent"}}/' "$N/gw-0006.00000021-00000030.jsonl"
sed -i '$s/"format":1,/"format":2,/' "$M/gw-0006.00000001-00000010.jsonl"
for f in "$N"/*.jsonl "$M"/*.jsonl; do resign gw-0006 "$f"; done
ferry-audit --db "$NDB" -q register "$G/keys/gw-0006.asc" --device-id gw-0006
refuses newer_major_version_refused 1 'format 2 is newer than this reader knows' \
	ferry-audit --db "$NDB" import "$T/major"
check newer_minor_field_imports ferry-audit --db "$NDB" import "$T/newer"
n=$(ferry-audit --db "$NDB" events --json --device gw-0006 | grep -c '"zz_newer":{"from":"a newer agent"}')
[ "$n" = 1 ] && [ "$(ferry-audit --db "$NDB" events --json | wc -l)" = 30 ] && pass newer_minor_field_stored_raw \
	|| fail newer_minor_field_stored_raw "$n lines with the field"
check newer_minor_field_check_verifies ferry-audit --db "$NDB" --homedir "$T/hq2/gnupg" check
# a stick of a newer layout: nothing below ferry/ is read, the reason names MEDIA.json
mkdir -p "$T/layout2/ferry/audit"
cp -r "$N" "$T/layout2/ferry/audit/"
printf '{"bundles": [], "created": "2026-11-27T09:56:40Z", "format": 1, "layout": 2}\n' >"$T/layout2/ferry/MEDIA.json"
refuses newer_stick_layout_refused 1 'MEDIA.json: stick layout 2 is newer than this program knows' \
	ferry-audit --db "$NDB" import "$T/layout2"

# --- warranty and SBOM (what runs on a device: its inventory's software)
check warranty_set_on_registered_device audit register --device-id gw-0001 --warranty-until 2031-12-31
refuses warranty_of_unknown_device 1 "device 'gw-0099' is not registered" audit register --device-id gw-0099 --warranty-until 2031-12-31
refuses warranty_needs_a_date 2 "expected YYYY-MM-DD or none" audit register --device-id gw-0001 --warranty-until 31.12.2031
check warranty_cleared audit register --device-id gw-0001 --warranty-until none
refuses sbom_without_software 0 "gw-0001: no software reported" audit sbom --device gw-0001
refuses sbom_json 0 '"software": \[\]' audit --json sbom --device gw-0001
refuses sbom_of_unknown_device 1 "device 'nope' is not registered" audit sbom --device nope
refuses sbom_needs_device 2 "needs --device ID" audit sbom
refuses report_regression_needs_a_percentage 2 "expected a percentage" audit report --regression ten
refuses report_regression_threshold 0 "more than 5% worse" audit report --regression 5%
check report_json_has_support_sections bash -c "ferry-audit --db '$DB' --homedir '$HQ_HOME' report --format json | python3 -c 'import json,sys; s=json.load(sys.stdin)[\"sections\"]; assert {\"past_support\", \"support_before_warranty\", \"metrics\", \"metrics_ignored\"} <= set(s), s.keys()'"

# --- reports
check report_text bash -c "ferry-audit --db '$DB' --homedir '$HQ_HOME' report | grep -q 'Rollbacks'"
check report_csv bash -c "ferry-audit --db '$DB' --homedir '$HQ_HOME' report --format csv | grep -q '^section,device,event,bundle,version,time,reason'"
check report_json bash -c "ferry-audit --db '$DB' --homedir '$HQ_HOME' report --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"summary\"][\"devices\"] == 6'"
check report_html_written audit report --format html -o "$T/report.html" --stale-days 3650
if command -v xmllint >/dev/null; then
	check report_html_is_well_formed xmllint --noout "$T/report.html"
else
	skip report_html_is_well_formed "xmllint not installed (libxml2-utils)"
fi
check report_html_parses_with_python python3 -c "
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(s): super().__init__(); s.tags = {}
    def handle_starttag(s, t, a): s.tags[t] = s.tags.get(t, 0) + 1
p = P(); p.feed(open('$T/report.html').read())
assert p.tags.get('svg', 0) >= 3 and p.tags.get('table', 0) >= 5, p.tags
assert 'script' not in p.tags and 'link' not in p.tags and 'img' not in p.tags, p.tags
"
python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" "$T/report.html" 2>"$T/xml.err" &&
	pass report_html_is_xml || fail report_html_is_xml "$(tail -n 1 "$T/xml.err")"
# Rendered by Chromium from Debian (scripts/debian-packages.txt): a screenshot
# that is not blank (a blank page compresses to a few KB of one colour).
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chromium" ]; then
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--disable-background-networking --disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$(mktemp -d "$T/chromium.XXXXXX")" \
		--window-size=1100,2400 --screenshot="$T/report.png" "file://$T/report.html" >/dev/null 2>&1
	if [ ! -s "$T/report.png" ]; then fail report_html_renders "no screenshot"
	elif [ "$(stat -c %s "$T/report.png")" -lt 20000 ]; then fail report_html_renders "screenshot looks blank ($(stat -c %s "$T/report.png") bytes)"
	else pass report_html_renders; fi
	[ -n "${FERRY_KEEP_REPORT_PNG:-}" ] && cp "$T/report.png" "$FERRY_KEEP_REPORT_PNG"
elif [ "${CI:-}" = true ]; then
	fail report_html_renders "chromium missing in CI: scripts/install-deps should have installed it"
else
	skip report_html_renders "chromium not installed (scripts/install-deps installs it)"
fi
check devices_lists_inventory bash -c "ferry-audit --db '$DB' --homedir '$HQ_HOME' devices | grep -q 'gateway-os'"
check events_since_filters bash -c "[ \$(ferry-audit --db '$DB' --homedir '$HQ_HOME' events --json --since 2030-01-01 | wc -l) = 0 ]"
refuses events_bad_since 2 'YYYY-MM-DD' audit events --since yesterday
check subcommand_help bash -c "ferry-audit import --help | grep -q 'MEDIA_DIR'"
refuses unknown_command 2 "unknown command 'bogus'" ferry-audit bogus
refuses unknown_option 2 'unknown option' audit devices --bogus

# --- acks (C4): signed by the HQ key, atomically on the stick
hq_fpr=$(audit keygen --name "ferry HQ test" -o "$T/hq.asc" | head -1)
check ack_written audit ack "$G/stick" --key "$hq_fpr"
ack=$G/stick/ferry/ack/gw-0001.json
if [ -f "$ack" ] && python3 -c "import json; a=json.load(open('$ack')); assert a['seq'] == 30 and a['device'] == 'gw-0001' and a['format'] == 1"; then
	pass ack_holds_highest_imported_seq
else
	fail ack_holds_highest_imported_seq "$(cat "$ack" 2>/dev/null)"
fi
check ack_signature_verifies gpg --homedir "$HQ_HOME" --batch --verify "$ack.sig" "$ack"
[ ! -e "$G/stick/ferry/ack/gw-0006.json" ] && pass ack_only_for_imported_devices || fail ack_only_for_imported_devices "gw-0006 acked"
refuses ack_needs_secret_key 2 'no secret key' audit ack "$G/stick" --key 0123456789ABCDEF0123456789ABCDEF01234567

# --- the real producers: virtual devices provisioned by ferry-keys install a
# bundle from a stick written by ferry-pack and export their audit logs
if ! command -v ferry-keys >/dev/null || ! command -v ferry-pack >/dev/null || ! command -v ferry-agent >/dev/null; then
	skip virtual_devices_import "ferry-keys, ferry-pack or ferry-agent not built"
	finish
fi
V=$T/v VDB=$(db_new v) VH=$T/v/hq/gnupg
jfield() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
ferry-keys --homedir "$V/k" -q init --root-name Root >/dev/null
CI=$(ferry-keys --homedir "$V/k" --json signer add CI --role release --device-type '*' | jfield fingerprint)
HQ=$(ferry-audit --db "$VDB" --homedir "$VH" --json keygen --name "ferry HQ" -o "$V/hq.asc" | jfield fingerprint)
ferry-keys --homedir "$V/k" -q signer add HQ --role hq --device-type '*' --key "$V/hq.asc" >/dev/null
ferry-keys --homedir "$V/k" -q policy sign >/dev/null
for d in gw-0301 gw-0302; do
	ferry-keys --homedir "$V/k" -q provision "$V/$d" --device-id $d --device-type gw-x --hw-revision 2 \
		--group canary --installed gateway-os=2.3.0 >/dev/null
done
mkdir -p "$V/in" "$V/stick"
head -c 65536 /dev/urandom >"$V/in/root.img"
cat >"$V/in/spec.json" <<'JSON'
{ "format": 1, "name": "gateway-os", "version": "2.4.1", "security_version": 7,
  "created": "2026-11-24T10:00:00Z", "description": "hq integration test",
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
      "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "root.img" } ] } ],
  "rollout": { "groups": ["canary"], "percent": 100 } }
JSON
if ! out=$(ferry-pack --homedir "$V/k/gnupg" -q create "$V/in/spec.json" -o "$V/b.ferry" --sign "$CI" 2>&1 &&
	ferry-pack -q write "$V/stick" "$V/b.ferry" --policy "$V/k/policy" 2>&1); then
	fail virtual_devices_stick "ferry-pack could not make the stick: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')"
	finish
fi
for d in gw-0301 gw-0302; do
	ferry-agent -c "$V/$d/agent.json" -q install "$V/stick" >/dev/null 2>&1 || fail "virtual_install_$d" "exit $?"
	ferry-audit --db "$VDB" --homedir "$VH" -q register "$V/$d/$d.asc" --device-id $d
done
check virtual_devices_import ferry-audit --db "$VDB" --homedir "$VH" import "$V/stick"
n=$(ferry-audit --db "$VDB" --homedir "$VH" events --json | wc -l)
[ "$n" -ge 4 ] && pass virtual_devices_records_stored || fail virtual_devices_records_stored "$n records"
check virtual_devices_inventory bash -c "ferry-audit --db '$VDB' --homedir '$VH' devices | grep gw-0301 | grep -q 'gw-x .* gateway-os 2.3.0 \\[canary\\]'"
check virtual_devices_reimport_no_op bash -c "ferry-audit --db '$VDB' --homedir '$VH' import '$V/stick' | grep -q 'nothing new'"
ferry-agent -c "$V/gw-0301/agent.json" -q reboot >/dev/null 2>&1
ferry-agent -c "$V/gw-0301/agent.json" -q commit >/dev/null 2>&1
ferry-agent -c "$V/gw-0301/agent.json" -q export "$V/stick" >/dev/null 2>&1
check virtual_devices_later_export_continues ferry-audit --db "$VDB" --homedir "$VH" import "$V/stick"
check virtual_devices_inventory_after_commit bash -c "ferry-audit --db '$VDB' --homedir '$VH' devices | grep gw-0301 | grep -q 'gateway-os 2.4.1'"
check virtual_devices_report bash -c "ferry-audit --db '$VDB' --homedir '$VH' report | grep -q 'canary'"

# HQ acknowledges; the device prunes what HQ holds (agent/ack.c), keeping its newest record
ACKT=$BUILD/tests/tools/ack-apply
check virtual_devices_ack_written ferry-audit --db "$VDB" --homedir "$VH" -q ack "$V/stick" --key "$HQ"
last=$(ferry-audit --db "$VDB" --homedir "$VH" --json devices | python3 -c "import json,sys; print([d['last_seq'] for d in json.load(sys.stdin) if d['id'] == 'gw-0301'][0])")
out=$("$ACKT" "$V/gw-0301/agent.json" "$V/stick" 2>&1)
[ "$out" = "found $last pruned $((last - 1))" ] && pass virtual_device_prunes_acknowledged_records \
	|| fail virtual_device_prunes_acknowledged_records "$out (HQ holds up to $last)"
# the same through the stick flow: `ferry-agent export` applies the ack it finds
before=$(ferry-agent -c "$V/gw-0302/agent.json" --json status | python3 -c "import json,sys; print(json.load(sys.stdin)['journal']['first_seq'])")
ferry-agent -c "$V/gw-0302/agent.json" -q export "$V/stick" >/dev/null 2>&1
after=$(ferry-agent -c "$V/gw-0302/agent.json" --json status | python3 -c "import json,sys; print(json.load(sys.stdin)['journal']['first_seq'])")
[ "$before" = 1 ] && [ "$after" -gt 1 ] && pass export_applies_the_ack_on_the_stick ||
	fail export_applies_the_ack_on_the_stick "first_seq $before -> $after"
cp "$V/stick/ferry/ack/gw-0302.json.sig" "$V/stick/ferry/ack/gw-0301.json.sig"
refuses virtual_device_refuses_ack_with_wrong_signature 1 'role .hq.' "$ACKT" "$V/gw-0301/agent.json" "$V/stick"
rm -f "$V/stick/ferry/ack/gw-0301.json"*
check virtual_device_without_ack_does_nothing bash -c "'$ACKT' '$V/gw-0301/agent.json' '$V/stick' | grep -q 'no ack'"
finish
