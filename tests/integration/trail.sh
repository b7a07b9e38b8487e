#!/bin/bash
# trail.sh: the audit trail cannot be silenced (issue 11, items 2, 5, 6, 8).
# Junk cannot flood it: 1,250 junk bundles beside a good one make one bounded
# refusal record, and a bundle of 1,500 signature packets a bounded one; the
# good bundle installs and the export imports at HQ.
# A lost stick delays records, never loses them: every export carries every
# record HQ has not acknowledged, HQ imports overlapping exports idempotently
# and its chain stays unbroken; an ack lets the device prune, so its journal
# holds only what HQ lacks.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_db.sh"

V=$T/v VDB=$(db_new trail) VH=$T/v/hq/gnupg
jfield() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
ferry-keys --homedir "$V/k" -q init --root-name Root >/dev/null
CI=$(ferry-keys --homedir "$V/k" --json signer add CI --role release --device-type '*' | jfield "['fingerprint']")
HQ=$(ferry-audit --db "$VDB" --homedir "$VH" --json keygen --name "ferry HQ" -o "$V/hq.asc" | jfield "['fingerprint']")
ferry-keys --homedir "$V/k" -q signer add HQ --role hq --device-type '*' --key "$V/hq.asc" >/dev/null
ferry-keys --homedir "$V/k" -q policy sign >/dev/null
ferry-keys --homedir "$V/k" -q provision "$V/gw" --device-id gw-0401 --device-type gw-x --hw-revision 2 \
	--installed gateway-os=2.3.0 >/dev/null
A() { ferry-agent -c "$V/gw/agent.json" "$@"; }
audit() { ferry-audit --db "$VDB" --homedir "$VH" "$@"; }
audit -q register "$V/gw/gw-0401.asc" --device-id gw-0401
mkdir -p "$V/in"
head -c 65536 /dev/urandom >"$V/in/root.img"
spec() {   # spec VERSION -> a bundle $V/gw-VERSION.ferry
	cat >"$V/in/spec.json" <<JSON
{ "format": 1, "name": "gateway-os", "version": "$1", "security_version": 7,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
      "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "root.img" } ] } ] }
JSON
	ferry-pack --homedir "$V/k/gnupg" -q create "$V/in/spec.json" -o "$V/gw-$1.ferry" --sign "$CI" >/dev/null
}
spec 2.4.1
spec 2.4.2
stick() {   # stick NAME BUNDLE: a stick written by ferry-pack
	mkdir -p "$V/$1"
	ferry-pack -q write "$V/$1" "$V/$2" --policy "$V/k/policy" >/dev/null
}
last_seq() { A --json status | jfield "['journal']['last_seq']"; }
first_seq() { A --json status | jfield "['journal']['first_seq']"; }
hq_seqs() { audit events --json --device gw-0401 | python3 -c '
import json,sys
s=sorted(json.loads(l)["seq"] for l in sys.stdin if l.strip())
print(len(s), s[0] if s else 0, s[-1] if s else 0)'; }

# --- stick 1: install and export, then the stick is lost on the way to HQ
stick s1 gw-2.4.1.ferry
A -q install "$V/s1" >/dev/null 2>&1 || fail lost_stick_install_1 "exit $?"
A -q reboot >/dev/null 2>&1; A -q commit >/dev/null 2>&1
A -q export "$V/s1" >/dev/null 2>&1
lost=$(last_seq)
rm -rf "$V/s1"
# --- stick 2: more activity; its export must carry stick 1's records too
stick s2 gw-2.4.2.ferry
A -q install "$V/s2" >/dev/null 2>&1 || fail lost_stick_install_2 "exit $?"
now=$(last_seq)
f=$(ls "$V/s2/ferry/audit/gw-0401/"*.jsonl 2>/dev/null | head -1)
case $(basename "${f:-none}") in
gw-0401.00000001-*) pass lost_stick_next_export_starts_at_seq_1 ;;
*) fail lost_stick_next_export_starts_at_seq_1 "$(ls "$V/s2/ferry/audit/gw-0401/" 2>&1 | tr '\n' ' ')" ;;
esac
check lost_stick_hq_imports_stick_2 audit import "$V/s2"
[ "$(hq_seqs)" = "$now 1 $now" ] && [ "$lost" -lt "$now" ] && pass lost_stick_hq_chain_unbroken \
	|| fail lost_stick_hq_chain_unbroken "HQ holds (n first last) $(hq_seqs), device up to $now, lost stick up to $lost"
check lost_stick_hq_chain_verifies audit check

# --- overlapping exports import idempotently: the known part is counted as known
A -q export "$V/s2" >/dev/null 2>&1
out=$(audit --json import "$V/s2" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(printf '%s' "$out" | jfield "['records_new']" 2>/dev/null)" = 0 ] \
	&& pass overlapping_export_is_known || fail overlapping_export_is_known "rc $rc: $out"

# --- a different record at a known seq is a fork, refused (a cloned device
# rolls back where the original reboots)
cp -r "$V/gw" "$V/clone"
ferry-agent -c "$V/clone/agent.json" -q rollback >/dev/null 2>&1
A -q reboot >/dev/null 2>&1
mkdir -p "$V/fork"
ferry-agent -c "$V/clone/agent.json" -q export "$V/fork" >/dev/null 2>&1
A -q export "$V/s2" >/dev/null 2>&1
audit -q import "$V/s2" >/dev/null 2>&1
refuses overlapping_export_with_other_record_is_a_fork 1 'fork' audit import "$V/fork"

# --- the ack lets the device prune: its journal holds only what HQ lacks
check ack_written audit -q ack "$V/s2" --key "$HQ"
A -q export "$V/s2" >/dev/null 2>&1
held=$(( $(last_seq) - $(first_seq) + 1 ))
[ "$held" -le 2 ] && pass journal_bounded_by_acks || fail journal_bounded_by_acks "$held records held"
mkdir -p "$V/s3"
A -q reboot >/dev/null 2>&1
A -q export "$V/s3" >/dev/null 2>&1
f=$(ls "$V/s3/ferry/audit/gw-0401/"*.jsonl 2>/dev/null)
[ "$(wc -l <"$f")" = 1 ] && pass export_after_ack_carries_only_unacknowledged \
	|| fail export_after_ack_carries_only_unacknowledged "$(basename "${f:-none}")"
check export_after_ack_imports audit import "$V/s3"

# --- junk bundles cannot flood the trail
records_now() { A --json status | jfield "['journal']['last_seq']"; }
refused_lines() {   # refused_lines FROM: the install.refused lines of the journal after seq FROM
	mkdir -p "$V/peek" && rm -rf "$V/peek/ferry"
	A -q export "$V/peek" >/dev/null 2>&1
	cat "$V/peek/ferry/audit/gw-0401/"*.jsonl | python3 -c '
import json,sys
for l in sys.stdin:
    r=json.loads(l)
    if r["seq"] > int(sys.argv[1]) and r["event"] == "install.refused": print(len(l), l.strip()[:300])' "$1"
}
A -q reboot >/dev/null 2>&1; A -q commit >/dev/null 2>&1
spec 2.5.0; stick junk gw-2.5.0.ferry
for i in $(seq 1 1250); do head -c $((512 + i % 97)) /dev/urandom >"$V/junk/ferry/bundles/junk-$i.ferry"; done
from=$(records_now)
start=$(date +%s)
out=$(A install "$V/junk" 2>&1); rc=$?
took=$(( $(date +%s) - start ))
grep -q "gateway-os 2.5.0: installed into slot" <<<"$out" && pass junk_stick_good_bundle_installs \
	|| fail junk_stick_good_bundle_installs "rc $rc: $(printf '%s' "$out" | tail -n 2)"
lines=$(refused_lines "$from")
n=$(printf '%s\n' "$lines" | grep -c . ); len=$(printf '%s\n' "$lines" | head -1 | cut -d' ' -f1)
[ "$n" = 1 ] && [ "${len:-0}" -lt 20000 ] && grep -q '"count":1250' <<<"$lines" \
	&& pass junk_stick_one_aggregated_refusal || fail junk_stick_one_aggregated_refusal "$n records: $lines"
[ "$took" -lt 120 ] && pass junk_stick_bounded_time || fail junk_stick_bounded_time "$took s"
A -q reboot >/dev/null 2>&1; A -q commit >/dev/null 2>&1
A -q export "$V/junk" >/dev/null 2>&1
size=$(cat "$V/junk/ferry/audit/gw-0401/"*.jsonl | wc -c)
check junk_stick_export_imports_at_hq audit import "$V/junk"
[ "$size" -lt $((1024 * 1024)) ] && pass junk_stick_export_small || fail junk_stick_export_small "$size bytes"

# --- a bundle of 1,500 signature packets: refused with a bounded record, the
# good bundle beside it still installs
spec 2.6.0; stick sigs gw-2.6.0.ferry
export GNUPGHOME=$T/rogue; mkdir -m 700 -p "$GNUPGHOME"
gpg --batch --quick-gen-key --passphrase '' rogue@example.org ed25519 sign never >/dev/null 2>&1
python3 - "$V/gw-2.6.0.ferry" "$V/sigs/ferry/bundles/many-sigs.ferry" <<'PY'
import io, subprocess, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as t:
    members = [(m, t.extractfile(m).read()) for m in t.getmembers()]
manifest = dict((m.name, d) for m, d in members)["manifest.json"]
one = subprocess.run(["gpg", "--batch", "--detach-sign", "-o", "-"], input=manifest,
                     capture_output=True, check=True).stdout
with tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as out:
    for m, d in members:
        if m.name == "manifest.sig":
            d = one * 1500
            m.size = len(d)
        out.addfile(m, io.BytesIO(d))
PY
unset GNUPGHOME
from=$(records_now)
out=$(timeout 120 ferry-agent -c "$V/gw/agent.json" install "$V/sigs" 2>&1); rc=$?
grep -q "gateway-os 2.6.0: installed into slot" <<<"$out" && pass many_signatures_good_bundle_installs \
	|| fail many_signatures_good_bundle_installs "rc $rc: $(printf '%s' "$out" | tail -n 2)"
lines=$(refused_lines "$from")
len=$(printf '%s\n' "$lines" | head -1 | cut -d' ' -f1)
grep -q 'many-sigs.ferry' <<<"$lines" && [ "${len:-0}" -lt 20000 ] \
	&& pass many_signatures_refused_bounded_record || fail many_signatures_refused_bounded_record "$lines"

# --- a failing hook that prints 64 KiB is recorded, with the end of its output
mkdir -p "$V/in/hooks"
printf '#!/bin/sh\nhead -c 65536 /dev/zero | tr "\\0" x\necho\necho "the real reason: service did not start" >&2\nexit 3\n' >"$V/in/hooks/loud.sh"
cat >"$V/in/spec.json" <<JSON
{ "format": 1, "name": "gateway-os", "version": "2.7.0", "security_version": 7,
  "variants": [ { "id": "gw-x", "compatible": { "device_type": ["gw-x"] },
      "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "root.img" } ],
      "hooks": { "pre_install": { "file": "hooks/loud.sh" } } } ] }
JSON
ferry-pack --homedir "$V/k/gnupg" -q create "$V/in/spec.json" -o "$V/gw-2.7.0.ferry" --sign "$CI" >/dev/null
A -q reboot >/dev/null 2>&1; A -q commit >/dev/null 2>&1
from=$(records_now)
A -q install "$V/gw-2.7.0.ferry" >/dev/null 2>&1
rm -rf "$V/peek/ferry"; A -q export "$V/peek" >/dev/null 2>&1
rec=$(cat "$V/peek/ferry/audit/gw-0401/"*.jsonl | python3 -c '
import json,sys
for l in sys.stdin:
    r=json.loads(l)
    if r["seq"] > int(sys.argv[1]) and r["event"] == "install.failed": print(len(l), r["detail"].get("log", "")[-80:])' "$from")
len=${rec%% *}
grep -q "the real reason: service did not start" <<<"$rec" && [ "${len:-0}" -lt 4096 ] \
	&& pass loud_failing_hook_recorded_with_its_tail || fail loud_failing_hook_recorded_with_its_tail "${rec:-no install.failed record}"

# --- HQ output trusts no device string: a malicious device signs a record
# full of control characters and formulas; every text output shows it only
# visibly, CSV guards the formula, the HTML report stays well-formed XML
last=$(audit events --json --device gw-0401 | tail -n 1)
# the device's home says no-autostart (common/pgp.c): start its agent to sign
gpgconf --homedir "$V/gw/gnupg" --launch gpg-agent
fpr=$(gpg --homedir "$V/gw/gnupg" --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
E=$V/evil/ferry/audit/gw-0401; mkdir -p "$E"
python3 - "$last" "$E" <<'PY'
import hashlib, json, re, sys
last, d = sys.argv[1], sys.argv[2]
prev = json.loads(last)
r = {"format": 1, "seq": prev["seq"] + 1, "boot": prev["boot"], "device": "gw-0401",
     "prev": hashlib.sha256(last.encode()).hexdigest(), "time": prev["time"],
     "event": "install.failed\u001b[31m", "bundle": "=HYPERLINK(1)", "version": "+1",
     "result": "failure", "detail": {"reason": "\u001b[2J\u0007pwned\r\nforged line\u0001<b>&"}}
line = json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
line = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), line)   # jansson's spelling
name = "%s/gw-0401.%08d-%08d.jsonl" % (d, r["seq"], r["seq"])
open(name, "w").write(line + "\n")
print(name)
PY
f=$(ls "$E"/*.jsonl)
gpg --homedir "$V/gw/gnupg" --batch -u "$fpr" --detach-sign -o "$f.sig" "$f" 2>/dev/null
check hostile_record_imports audit import "$V/evil"
raw() { python3 -c 'import sys; d=sys.stdin.buffer.read(); sys.exit(any(b < 32 and b not in (10,) for b in d.replace(b"\r\n", b"\n")))'; }
for out in events devices "report" "report --format csv" "report --format html"; do
	audit $out 2>&1 | raw && pass "hq_${out// /_}_shows_no_control_bytes" || fail "hq_${out// /_}_shows_no_control_bytes" "raw control bytes"
done
audit events | grep -qF '\x1b[2J\x07pwned\x0d\x0aforged line' && pass hq_events_shows_escapes \
	|| fail hq_events_shows_escapes "$(audit events | tail -n 1)"
audit report --format csv | grep -qF "\"'=HYPERLINK(1)\"" && pass hq_csv_guards_formulas \
	|| fail hq_csv_guards_formulas "$(audit report --format csv | grep -F HYPERLINK | head -1)"
audit report --format html >"$T/report.html"
check hq_html_report_is_well_formed_xml python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T/report.html"

# --- an inventory's time is validated: far ahead of HQ's clock is refused (it
# would freeze HQ's view); re-provisioning (a new key) starts the clock afresh
inv() {   # inv DIR OFFSET_SECONDS: the device's inventory with time now+OFFSET, signed by the device key
	rm -rf "$1"; mkdir -p "$1/ferry/audit/gw-0401"
	A -q export "$V/peek" >/dev/null 2>&1
	python3 - "$V/peek/ferry/audit/gw-0401/inventory.json" "$1/ferry/audit/gw-0401/inventory.json" "$2" <<'PY'
import datetime, json, sys
d = json.load(open(sys.argv[1]))
t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(sys.argv[3]))
d["time"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
d["type"] = "gw-x-" + sys.argv[3]
open(sys.argv[2], "w").write(json.dumps(d, indent=2, sort_keys=True) + "\n")
PY
	gpgconf --homedir "$V/gw/gnupg" --launch gpg-agent
	gpg --homedir "$V/gw/gnupg" --batch -u "$fpr" --detach-sign -o "$1/ferry/audit/gw-0401/inventory.json.sig" \
		"$1/ferry/audit/gw-0401/inventory.json" 2>/dev/null
}
dev_type() { audit --json devices | python3 -c "import json,sys; print([d['type'] for d in json.load(sys.stdin) if d['id'] == 'gw-0401'][0])"; }
inv "$V/inv1" $((40 * 365 * 86400))
refuses inventory_far_future_time_refused 1 'ahead of HQ' audit import "$V/inv1"
inv "$V/inv2" 0
audit -q import "$V/inv2" >/dev/null 2>&1
[ "$(dev_type)" = gw-x-0 ] && pass inventory_after_refused_future_applies || fail inventory_after_refused_future_applies "$(dev_type)"
inv "$V/inv3" $((20 * 3600)); audit -q import "$V/inv3" >/dev/null 2>&1
inv "$V/inv4" 0; audit -q import "$V/inv4" >/dev/null 2>&1
[ "$(dev_type)" = gw-x-72000 ] && pass inventory_older_than_accepted_not_applied || fail inventory_older_than_accepted_not_applied "$(dev_type)"
ferry-keys --homedir "$V/k" -q provision "$V/gw2" --device-id gw-0401 --device-type gw-x --hw-revision 2 >/dev/null
audit -q register "$V/gw2/gw-0401.asc" --device-id gw-0401 --replace >/dev/null
ferry-agent -c "$V/gw2/agent.json" -q export "$V/new" >/dev/null 2>&1 || { mkdir -p "$V/new"; ferry-agent -c "$V/gw2/agent.json" -q export "$V/new" >/dev/null 2>&1; }
audit -q import "$V/new" >/dev/null 2>&1
[ "$(dev_type)" = gw-x ] && pass reprovisioned_device_inventory_applies || fail reprovisioned_device_inventory_applies "$(dev_type)"
finish
