#!/bin/bash
# Four import stations at once on one HQ database: four ferry-audit import
# processes, each with its own GnuPG home (keys added by registering them on
# each station: the database already has them), on four sticks whose exports
# overlap (sticks 0 and 1 hold every export, 2 the first six, 3 the last six). The chain must stay
# exact: every record stored once (records_new adds up to the total), no gap
# after a final import, every refusal in the import journal, and no refusal
# but a gap (a file whose predecessor another station had not committed
# yet), never a database error. Runs on SQLite and, when tests/run started
# a server (FERRY_TEST_PG), on PostgreSQL.
source "$(dirname "$0")/lib.sh"

GEN=$BUILD/bench/gen-audit
DEVICES=6 FILES=8 PER=10
"$GEN" "$T/g" --devices $DEVICES --records $((DEVICES * FILES * PER)) --per-file $PER >/dev/null ||
	{ fail gen-audit "could not generate"; finish; }
S=$T/g/stick/ferry/audit

first=(0 0 0 2) last=(7 7 5 7)   # export files (of 0..7) of every device on stick k
for k in 0 1 2 3; do
	for dir in "$S"/*/; do
		d=$(basename "$dir")
		mkdir -p "$T/stick$k/ferry/audit/$d"
		mapfile -t files < <(ls "$dir" | grep '\.jsonl$' | sort)
		for i in $(seq ${first[$k]} ${last[$k]}); do
			cp "$dir/${files[$i]}" "$dir/${files[$i]}.sig" "$T/stick$k/ferry/audit/$d/"
		done
	done
done

run_backend() {   # run_backend NAME
	local b=$1 DB H k total_new journal refused_json refused_db bad
	FERRY_AUDIT_BACKEND=$b
	source "$(dirname "$0")/lib_db.sh"
	DB=$(db_new "conc_$b") || { fail "${b}_database" "could not create"; return; }
	H=$T/$b/gnupg
	for k in "$T"/g/keys/*.asc; do
		ferry-audit --db "$DB" --homedir "$H" -q register "$k" --device-id "$(basename "$k" .asc)" ||
			{ fail "${b}_register" "$k"; return; }
	done
	# every station registers the keys too: the database has them, the station's keyring gets them
	for k in 0 1 2 3; do
		for key in "$T"/g/keys/*.asc; do
			ferry-audit --db "$DB" --homedir "$T/$b/gnupg$k" -q register "$key" --device-id "$(basename "$key" .asc)" ||
				{ fail "${b}_register_on_station_$k" "$key"; return; }
		done
	done
	# stations 2 and 3 commit every 20 records: many batches, each with its
	# checkpoint (SQLite's bulk import), beside the others' single batches
	for k in 0 1 2 3; do
		batch=(); [ "$k" -ge 2 ] && batch=(--batch 20)
		ferry-audit --db "$DB" --homedir "$T/$b/gnupg$k" --json import "${batch[@]}" "$T/stick$k" \
			>"$T/$b/out$k.json" 2>"$T/$b/err$k" &
	done
	wait
	ferry-audit --db "$DB" --homedir "$H" --json import "$T"/stick{0,1,2,3} >"$T/$b/final.json" 2>"$T/$b/errf"
	local rc=$?
	[ $rc = 0 ] && pass "${b}_final_import_fills_every_gap" ||
		fail "${b}_final_import_fills_every_gap" "exit $rc: $(head -c 300 "$T/$b/errf")"
	total_new=$(cat "$T/$b"/out?.json "$T/$b/final.json" | python3 -c '
import json, sys
dec, s, n = json.JSONDecoder(), sys.stdin.read(), 0
i = 0
while i < len(s):
    if s[i].isspace(): i += 1; continue
    o, i = dec.raw_decode(s, i); n += o["records_new"]
print(n)')
	[ "$total_new" = $((DEVICES * FILES * PER)) ] && pass "${b}_every_record_inserted_once" ||
		fail "${b}_every_record_inserted_once" "records_new adds up to $total_new, not $((DEVICES * FILES * PER))"
	bad=$(sql "$DB" "SELECT device || ' ' || count(*) || ' ' || min(seq) || '-' || max(seq) FROM records
		GROUP BY device HAVING count(*) <> $((FILES * PER)) OR min(seq) <> 1 OR max(seq) <> $((FILES * PER))")
	[ "$(sql "$DB" 'SELECT count(DISTINCT device) FROM records')" = $DEVICES ] && [ -z "$bad" ] &&
		pass "${b}_chains_exact_no_gap_no_duplicate" || fail "${b}_chains_exact_no_gap_no_duplicate" "$bad"
	check "${b}_check_verifies_every_chain_and_signature" ferry-audit --db "$DB" --homedir "$H" check
	journal=$(sql "$DB" "SELECT count(*) FROM imports")
	files=$(cat "$T/$b"/out?.json "$T/$b/final.json" | grep -c '"outcome"')
	refused_json=$(cat "$T/$b"/out?.json "$T/$b/final.json" | grep -c '"outcome": "refused"')
	refused_db=$(sql "$DB" "SELECT count(*) FROM imports WHERE outcome = 'refused'")
	[ "$journal" = "$files" ] && [ "$refused_db" = "$refused_json" ] && pass "${b}_every_file_and_refusal_journaled" ||
		fail "${b}_every_file_and_refusal_journaled" "journal $journal of $files files, $refused_db of $refused_json refusals"
	bad=$(sql "$DB" "SELECT reason FROM imports WHERE outcome = 'refused' AND reason NOT LIKE 'gap: %' LIMIT 3")
	[ -z "$bad" ] && pass "${b}_refusals_are_only_gaps" || fail "${b}_refusals_are_only_gaps" "$bad"
	echo "  ($b: $refused_db gap refusals while racing, $journal files journaled)"
}

run_backend sqlite
if [ -n "${FERRY_TEST_PG:-}" ]; then
	run_backend postgresql
else
	skip postgresql_concurrency "${FERRY_TEST_PG_SKIP:-FERRY_TEST_PG not set (tests/run starts a server with tests/pg/cluster)}"
fi
finish
