#!/bin/bash
# faillog: failure logs end to end (issue 17, docs/field-guide.md): a device
# provisioned by ferry-keys falls back from an uncommitted trial; the
# rollback record names a failure log holding the site's diagnostics; export
# puts it, signed, beside the records; ferry-audit imports and shows it; a
# tampered, oversized, misnamed or unreferenced log is refused with a reason.
source "$(dirname "$0")/lib.sh"
FAKE=$BUILD/tests/tools/agent_fake_install

if ! [ -x "$FAKE" ]; then skip faillog "no $FAKE (make all)"; finish; fi
if ! command -v gpg >/dev/null || ! command -v ferry-keys >/dev/null; then skip faillog "no gpg or ferry-keys"; finish; fi

K="ferry-keys --homedir $T/keys -q"
P=$T/prov
if ! { $K init --root-name Root && $K signer add release --role release --device-type 'gw-*' &&
       $K policy sign && $K provision "$P" --device-id gw-0009 --device-type gw-x \
       --installed gateway-os=2.3.0; } >/dev/null 2>&1; then
	fail faillog_provision "ferry-keys could not provision a device"; finish
fi
A() { ferry-agent -c "$P/agent.json" "$@"; }
hooks=$(sed -nE 's/.*"hooks_dir": *"([^"]*)".*/\1/p' "$P/agent.json")
case ${hooks:-hooks.d} in /*) H=${hooks} ;; *) H=$P/${hooks:-hooks.d} ;; esac
mkdir -p "$H/diagnostics.d"
printf '#!/bin/sh\necho "site-diag: hook=$FERRY_HOOK temp=71C"\n' >"$H/diagnostics.d/10-temp"
chmod +x "$H/diagnostics.d/10-temp"

check install_for_trial "$FAKE" "$P/agent.json" gateway-os 2.4.1 7
refuses trial_boot 0 "trial boot" A reboot
refuses uncommitted_trial_falls_back 0 "did not survive" A reboot
seq=$(A --json status --last 1 | grep -m1 '"seq":' | grep -o '[0-9]*')
sha=$(A --json status --last 1 | grep -m1 '"log":' | grep -oE '[0-9a-f]{64}')
[ -n "$sha" ] && [ -f "$P/state/logs/$sha.zst" ] 2>/dev/null || sha_file=$(ls "$P"/*/logs/"$sha".zst 2>/dev/null)
if [ -n "$sha" ] && { [ -f "$P/state/logs/$sha.zst" ] || [ -n "${sha_file:-}" ]; }; then pass rollback_record_names_kept_log
else fail rollback_record_names_kept_log "seq $seq sha '$sha': $(A --json status --last 1 | head -c 400)"; fi

S=$T/stick
refuses export_carries_failure_log 0 "with their failure logs" A export "$S"
L=$S/ferry/audit/gw-0009/logs
[ -f "$L/$(printf %08d "$seq").zst" ] && [ -f "$L/$(printf %08d "$seq").zst.sig" ] && pass log_on_stick_signed \
	|| fail log_on_stick_signed "$(ls -R "$S/ferry/audit" 2>&1 | tr '\n' ' ')"

DB=$T/hq.db; HQ=$T/hqgnupg
AU() { ferry-audit --db "$DB" --homedir "$HQ" "$@"; }
check register_device AU register "$P/gw-0009.asc" --device-id gw-0009
refuses import_takes_log 0 "" AU import "$S"
refuses logs_shows_diagnostics 0 "site-diag: hook=diagnostics temp=71C" AU logs --device gw-0009 --seq "$seq"
refuses logs_shows_what_failed 0 "== failure ==" AU logs --device gw-0009 --seq "$seq"
refuses logs_json_names_hash 0 "\"sha256\": \"$sha\"" AU --json logs --device gw-0009 --seq "$seq"
refuses logs_of_record_without_one 1 "names no failure log" AU logs --device gw-0009 --seq 1
refuses logs_needs_device_and_seq 2 "needs --device ID and --seq N" AU logs --device gw-0009
refuses report_points_at_log 0 "ferry-audit logs --device gw-0009 --seq $seq" AU report
refuses html_report_points_at_log 0 "ferry-audit logs --device gw-0009 --seq $seq" AU report --format html
refuses html_report_folds_log_under_row 0 "<details><summary>failure log</summary><pre>" AU report --format html
refuses html_report_embeds_log_text 0 "site-diag: hook=diagnostics temp=71C" AU report --format html
AU -q report --format html -o "$T/report.html" &&
	python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" "$T/report.html" 2>"$T/xml.err" &&
	pass html_report_with_log_is_xml || fail html_report_with_log_is_xml "$(tail -n 1 "$T/xml.err")"
AU --json import "$S" | grep -q '"outcome": "unchanged"' && pass reimport_is_unchanged || fail reimport_is_unchanged "$(AU --json import "$S")"

# hostile logs on a stick: each refused with a reason, nothing stored
X=$T/xstick; cp -r "$S" "$X"; XL=$X/ferry/audit/gw-0009/logs
DB=$T/hq2.db
check register_device_again AU register "$P/gw-0009.asc" --device-id gw-0009
f=$XL/$(printf %08d "$seq").zst
printf 'x' >>"$f"
out=$(AU import "$X" 2>&1)
printf '%s' "$out" | grep -Eq "refused: .*logs/$(printf %08d "$seq").zst: .*(signature|signed)" && pass tampered_log_refused \
	|| fail tampered_log_refused "$out"
refuses tampered_log_not_stored 1 "not imported" AU logs --device gw-0009 --seq "$seq"
# signed by the device, but not the log the record names
DH=$(sed -nE 's/.*"homedir": *"([^"]*)".*/\1/p' "$P/agent.json" | head -n1)
case $DH in /*) ;; *) DH=$P/$DH ;; esac
# the device home says no-autostart (common/pgp.c): start its agent to sign
sign() { rm -f "$1.sig"; gpgconf --homedir "$DH" --launch gpg-agent; gpg --homedir "$DH" --batch --quiet --detach-sign -o "$1.sig" "$1" 2>/dev/null; }
printf 'not the log\n' | zstd -q >"$f" && sign "$f"
out=$(AU import "$X" 2>&1)
printf '%s' "$out" | grep -q "SHA-256 does not match" && pass log_not_named_by_record_refused || fail log_not_named_by_record_refused "$out"
head -c 70000 /dev/urandom >"$f" && sign "$f"
out=$(AU import "$X" 2>&1)
printf '%s' "$out" | grep -Eq "logs/$(printf %08d "$seq").zst.*(too large|larger|more than|exceeds)" && pass oversized_log_refused \
	|| fail oversized_log_refused "$out"
rm -f "$f" "$f.sig"
cp "$S/ferry/audit/gw-0009/logs/$(printf %08d "$seq").zst" "$XL/7.zst"; sign "$XL/7.zst"
out=$(AU import "$X" 2>&1)
printf '%s' "$out" | grep -q "not a failure log name" && pass misnamed_log_refused || fail misnamed_log_refused "$out"
rm -f "$XL/7.zst" "$XL/7.zst.sig"
cp "$S/ferry/audit/gw-0009/logs/$(printf %08d "$seq").zst" "$XL/00000001.zst"; sign "$XL/00000001.zst"
out=$(AU import "$X" 2>&1)
printf '%s' "$out" | grep -q "names no failure log" && pass log_for_other_record_refused || fail log_for_other_record_refused "$out"
finish
