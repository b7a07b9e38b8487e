#!/bin/bash
# ferry-audit end to end: register device keys, import a stick of signed
# exports (made by bench/gen-audit like devices make them), re-import as a
# no-op, and refuse each kind of bad file with its reason while the good
# files still import; reports in every format (HTML parsed, rendered when
# Chromium is there); signed acks on the stick.
source "$(dirname "$0")/lib.sh"

GEN=$BUILD/bench/gen-audit
G=$T/g
DB=$T/hq/hq.db
audit() { ferry-audit --db "$DB" "$@"; }
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
check register_same_key_again_is_a_no_op bash -c "ferry-audit --db '$DB' register '$G/keys/gw-0001.asc' --device-id gw-0001 | grep -q 'nothing to do'"
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
before=$(sqlite3 "$DB" 'SELECT count(*), sum(length(line)) FROM records')
out=$(audit import "$T/clean" 2>&1); rc=$?
after=$(sqlite3 "$DB" 'SELECT count(*), sum(length(line)) FROM records')
if [ $rc -eq 0 ] && [ "$before" = "$after" ] && printf '%s' "$out" | grep -q 'nothing new'; then
	pass reimport_is_a_no_op
else
	fail reimport_is_a_no_op "rc $rc, $before -> $after: $out"
fi
refuses import_missing_dir 1 'not a directory' audit import "$T/nowhere"

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
journal=$(sqlite3 "$DB" "SELECT count(*) FROM imports WHERE outcome = 'refused' AND reason LIKE '%prev does not match%'")
[ "$journal" -ge 1 ] && pass refusal_journaled_with_reason || fail refusal_journaled_with_reason "$journal"

# another device's records in a device's folder; a malformed line (re-signed)
mkdir -p "$T/foreign/ferry/audit/gw-0004"
cp "$S/gw-0001/gw-0001.00000001-00000010.jsonl" "$S/gw-0001/gw-0001.00000001-00000010.jsonl.sig" "$T/foreign/ferry/audit/gw-0004/"
refuses refuses_records_of_another_device 1 "records of device 'gw-0001' in the folder of 'gw-0004'" audit import "$T/foreign"
mkdir -p "$T/bad/ferry/audit/gw-0004"
f=$T/bad/ferry/audit/gw-0004/gw-0004.00000011-00000020.jsonl
printf '%s\n' '{"seq":11,"oops"' >"$f"; resign gw-0004 "$f"
refuses refuses_malformed_line 1 'gw-0004.00000011-00000020.jsonl' audit import "$T/bad"

# --- reports
check report_text bash -c "ferry-audit --db '$DB' report | grep -q 'Rollbacks'"
check report_csv bash -c "ferry-audit --db '$DB' report --format csv | grep -q '^section,device,bundle,version,time,reason'"
check report_json bash -c "ferry-audit --db '$DB' report --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"summary\"][\"devices\"] == 6'"
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
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -n "$chromium" ]; then
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size=1100,2400 --screenshot="$T/report.png" "file://$T/report.html" >/dev/null 2>&1
	[ -s "$T/report.png" ] && pass report_html_renders || fail report_html_renders "no screenshot"
	[ -n "${FERRY_KEEP_REPORT_PNG:-}" ] && cp "$T/report.png" "$FERRY_KEEP_REPORT_PNG"
else
	skip report_html_renders "chromium not installed (optional: apt-get install chromium)"
fi
check devices_lists_inventory bash -c "ferry-audit --db '$DB' devices | grep -q 'gateway-os'"
check events_since_filters bash -c "[ \$(ferry-audit --db '$DB' events --json --since 2030-01-01 | wc -l) = 0 ]"
refuses events_bad_since 2 'YYYY-MM-DD' audit events --since yesterday

# --- acks (C4): signed by the HQ key, atomically on the stick
hq_fpr=$(audit keygen --name "ferry HQ test" -o "$T/hq.asc" | head -1)
check ack_written audit ack "$G/stick" --key "$hq_fpr"
ack=$G/stick/ferry/ack/gw-0001.json
if [ -f "$ack" ] && python3 -c "import json; a=json.load(open('$ack')); assert a['seq'] == 30 and a['device'] == 'gw-0001' and a['format'] == 1"; then
	pass ack_holds_highest_imported_seq
else
	fail ack_holds_highest_imported_seq "$(cat "$ack" 2>/dev/null)"
fi
check ack_signature_verifies gpg --homedir "$T/hq/gnupg" --batch --verify "$ack.sig" "$ack"
[ ! -e "$G/stick/ferry/ack/gw-0006.json" ] && pass ack_only_for_imported_devices || fail ack_only_for_imported_devices "gw-0006 acked"
refuses ack_needs_secret_key 2 'no secret key' audit ack "$G/stick" --key 0123456789ABCDEF0123456789ABCDEF01234567
finish
