#!/bin/bash
# crash.sh: crash safety of ferry-agent (issue 5 point 7). A virtual device
# (slots as files, file bootloader) installs a signed bundle holding a
# rootfs-ab image, a files tree and a health_check hook, and the agent is
# SIGKILLed at many points: after delays spread over the install, and exactly
# on entering chosen renames, fsyncs, syncfs and fdatasyncs of any thread (strace fault
# injection: every durable step of the install); then inside the cleanup of
# a killed install, inside a files-only install that commits at once, inside
# `commit` and inside `reboot`. After every kill the device restarts — the agent alone
# (`status`) or the whole machine (`reboot`, a power cut) — and is checked:
#  (a) no half-written slot ever boots: whenever the bootloader's next boot
#      is the new slot, or the state is installed/trial/committed, the slot
#      holds the whole image (cmp); else the next boot is the old slot;
#  (b) the files target is exactly the old tree or exactly the new one, and
#      no <target>.ferry-* is left once the update ended or was cleaned up;
#  (c) the journal is one unbroken chain, no record lost or repeated (every
#      run's records exported and checked by tests/tools/audit_chain_check);
#  (d) the journal says what happened (install.interrupted after a kill in
#      the middle of an install), and installing again succeeds.
# Runs in 40-80 s on 2 (shared) cores. FERRY_CRASH_IMG_MIB (24), FERRY_CRASH_DELAYS
# (6) and FERRY_CRASH_FDATASYNC_STEP (4) make it longer and more thorough.
source "$(dirname "$0")/lib.sh"
CHAIN=$BUILD/tests/tools/audit_chain_check
for tool in sqlite3 openssl cmp "$CHAIN"; do
	command -v "$tool" >/dev/null || { skip crash "$tool is missing"; finish; }
done
STRACE=1
strace -o /dev/null true 2>/dev/null || { STRACE=0; skip crash_exact_points "strace cannot trace here (no strace or no ptrace): delay kills only"; }

# --- keys, policy, a device, a bundle ------------------------------------------
K() { ferry-keys --homedir "$T/keys" "$@"; }
K init --root-name Root >/dev/null 2>&1 || { fail setup "ferry-keys init"; finish; }
REL=$(K signer add Rel --role release --device-type '*' 2>/dev/null)
QA=$(K signer add QA --role qa --device-type '*' 2>/dev/null)
K rule add --device-type 'gw-*' --require-role release --require-role qa >/dev/null 2>&1
K policy sign -o "$T/pol" >/dev/null 2>&1
D=$T/dev
K provision "$D" --device-id gw-0001 --device-type gw-x --hw-revision 2 --installed edge-os=2.3.0 >/dev/null 2>&1 ||
	{ fail setup "ferry-keys provision"; finish; }
TGT=$D/targets/app SLOT_B=$D/slots/rootfs-b.img
SLOT_SIZE=$(stat -c %s "$SLOT_B")

# The image: shared libraries (compressible) and AES-CTR keystream (not).
IMG=$T/in/rootfs.img
IMG_MIB=${FERRY_CRASH_IMG_MIB:-24}
mkdir -p "$T/in/hooks" "$T/ref-new" "$T/ref-old/etc"
{ find /usr/lib/x86_64-linux-gnu /usr/lib /usr/bin -maxdepth 1 -type f 2>/dev/null | LC_ALL=C sort |
	xargs cat 2>/dev/null | head -c $((IMG_MIB << 19))
  openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv 0 -in /dev/zero 2>/dev/null |
	head -c $((IMG_MIB << 19)); } >"$IMG"
IMG_SIZE=$(stat -c %s "$IMG")
# The files payload: 200 regular files; the old tree: a few others.
(cd /usr/share/doc && find . -type f | LC_ALL=C sort | head -n 200) >"$T/in/list"
tar -C /usr/share/doc -cf "$T/in/app.tar" -T "$T/in/list"
tar -C "$T/ref-new" -xf "$T/in/app.tar"
echo "app 1.0" >"$T/ref-old/VERSION"; echo "port=80" >"$T/ref-old/etc/app.conf"
head -c 100000 /usr/bin/bash >"$T/ref-old/app.bin"
rm -rf "$TGT" && cp -a "$T/ref-old" "$TGT"
printf '#!/bin/sh\nexit 0\n' >"$T/in/hooks/check.sh"
cat >"$T/in/spec.json" <<'JSON'
{ "format": 1, "name": "edge-os", "version": "2.4.0", "security_version": 1,
  "created": "2026-11-27T10:00:00Z",
  "variants": [ { "id": "gw", "compatible": { "device_type": ["gw-x"] },
     "payloads": [ { "name": "rootfs", "handler": "rootfs-ab", "file": "rootfs.img" },
                   { "name": "app", "handler": "files", "target": "app", "file": "app.tar" } ],
     "hooks": { "health_check": { "file": "hooks/check.sh" } } } ] }
JSON
B=$T/b.ferry
ferry-pack -q --homedir "$T/keys/gnupg" create "$T/in/spec.json" -o "$B" --sign "$REL" --sign "$QA" >/dev/null 2>&1 ||
	{ fail setup "ferry-pack create"; finish; }

# --- looking at the device -------------------------------------------------------
A() { ferry-agent -c "$D/agent.json" "$@"; }
STATES=(idle verifying installing installed trial committed failed rolled_back)
db() { sqlite3 -readonly "$D/state/agent.db" "$1" 2>/dev/null; }
# The state as agent.db holds it, read without starting the agent.
state_name() { local n; n=$(db "SELECT value FROM meta WHERE key='state'"); echo "${STATES[${n:-0}]}"; }
phase() { echo "$(state_name)$(db "SELECT ' '||group_concat(payload||':'||phase, ' ') FROM progress")"; }
last_seq() { local s; s=$(db "SELECT max(seq) FROM journal"); echo "${s:-0}"; }
events_since() { db "SELECT line FROM journal WHERE seq > $1 ORDER BY seq" | sed -E 's/.*"event":"([^"]*)".*/\1/' | tr '\n' ' '; }
env_get() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$D/state/bootenv.json" 2>/dev/null; }
# The slot the next power-on boots (the file bootloader's rule, boot.h).
next_boot() {
	[ -e "$D/state/bootenv.json" ] || { echo a; return; }
	local order s left first=
	order=$(env_get BOOT_ORDER)
	for s in ${order:-A B}; do
		[ -z "$first" ] && first=$s
		left=$(env_get "BOOT_${s}_LEFT")
		if [ "${left:-3}" -gt 0 ]; then echo "$s" | tr AB ab; return; fi
	done
	echo "${first:-A}" | tr AB ab
}
slot_b_is_image() { cmp -s -n "$IMG_SIZE" "$IMG" "$SLOT_B"; }
# Names, types, sizes and contents of a tree, as one hash.
tree_fp() {
	[ -d "$1" ] || { echo missing; return; }
	(cd "$1" && { find . -mindepth 1 -printf '%P %y %s\n' | LC_ALL=C sort
		      find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum; } | sha256sum | cut -c1-16)
}
FP_OLD=$(tree_fp "$T/ref-old") FP_NEW=$(tree_fp "$T/ref-new")
leftovers() { ls -d "$TGT".ferry-* 2>/dev/null | tr '\n' ' '; }

# --- assertions: each collects into $problems -----------------------------------
problems=
bad() { problems="$problems; $*"; }
# (a): the next boot never reaches a slot that is not completely written,
# and an update that says it installed (or is trying) slot b wrote it all.
inv_boot() {
	local st nb target
	st=$(state_name) nb=$(next_boot) target=$(db "SELECT target_slot FROM txn")
	case $nb in a|b) ;; *) bad "$1: the bootloader's next boot is '$nb'"; return ;; esac
	if [ "$nb" = b ] || { [[ $st =~ ^(installed|trial)$ ]] && [ "$target" = b ]; }; then
		slot_b_is_image || bad "$1: state $st, next boot $nb, but slot b does not hold the image"
	fi
}
# (a) and (b), after a restart.
inv() {
	inv_boot "$1"
	local fp
	fp=$(tree_fp "$TGT")
	[ "$fp" = "$FP_OLD" ] || [ "$fp" = "$FP_NEW" ] || bad "$1: target is neither the old nor the new tree ($fp; $(leftovers))"
}
expect_state() { local st; st=$(state_name); [[ $st =~ ^($2)$ ]] || bad "$1: state $st, wanted $2"; }
expect_tree() { [ "$(tree_fp "$TGT")" = "$2" ] || bad "$1: target is not the $3 tree"; }
expect_clean() { [ -z "$(leftovers)" ] || bad "$1: leftovers $(leftovers)"; }
# (c) on one device's journal, straight from agent.db.
chain_ok() {
	db "SELECT line FROM journal ORDER BY seq" >"$T/journal.jsonl"
	"$CHAIN" gw-0001 "$T/journal.jsonl" >/dev/null 2>"$T/chain.err" || bad "$1: $(cat "$T/chain.err")"
}
verdict() {   # verdict NAME: PASS or FAIL with what was collected
	if [ -z "$problems" ]; then pass "$1"; else fail "$1" "${problems#; }"; fi
	problems=
}

# run_killed HOW COMMAND...: runs the agent and kills it. HOW is delay:SECONDS
# (SIGKILL after that long) or sys:SYSCALL:N (SIGKILL on entering the Nth call
# of SYSCALL: strace fault injection). KILLED=1 when the kill landed.
run_killed() {
	local how=$1 rc sc n pid
	shift
	case $how in
	delay:*)
		ferry-agent -c "$D/agent.json" "$@" >"$T/killed.out" 2>&1 &
		pid=$!
		sleep "${how#delay:}"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"; rc=$? ;;
	sys:*)
		sc=${how#sys:} n=${how##*:} sc=${sc%%:*}
		# in the background: bash reports a killed foreground job on stderr
		strace -f -o /dev/null -e trace="$sc" -e inject="$sc:signal=KILL:when=$n" \
			ferry-agent -c "$D/agent.json" "$@" >"$T/killed.out" 2>&1 &
		wait $!; rc=$? ;;
	esac
	KILLED=$((rc == 137))
}
# count_calls COMMAND...: how often the agent enters each syscall we kill at.
count_calls() {
	strace -f -o "$T/calls" -e trace=rename,renameat,fsync,fdatasync,syncfs ferry-agent -c "$D/agent.json" "$@" >/dev/null 2>&1
	for sc in rename renameat fsync fdatasync syncfs; do echo "$sc $(grep -cE "^([0-9]+ +)?$sc\(" "$T/calls")"; done
}
reset_slot_b() { rm -f "$SLOT_B" && truncate -s "$SLOT_SIZE" "$SLOT_B"; }
# The device's state and targets (commit and reboot never write a slot, so
# slot b keeps the image the snapshot was taken with).
snapshot() { rm -rf "$T/snap-$1" && mkdir "$T/snap-$1" && cp -a "$D/state" "$D/targets" "$T/snap-$1/"; }
restore() { rm -rf "$D/state" "$D/targets" && cp -a "$T/snap-$1/state" "$T/snap-$1/targets" "$D/"; }

# After an iteration: trial -> rollback -> reboot: back to the old slot and tree.
back_to_rest() {
	local st
	st=$(state_name)
	[ "$st" = installed ] && { A reboot >/dev/null 2>&1 || bad "$1: reboot into the trial"; }
	expect_state "$1 trial" trial
	slot_b_is_image || bad "$1: trial of slot b, which does not hold the image"
	expect_tree "$1 trial" "$FP_NEW" new
	A rollback >/dev/null 2>&1 || bad "$1: rollback"
	[ "$(A reboot 2>&1)" = "booted slot a: normal boot" ] || bad "$1: reboot after the rollback did not boot slot a"
	expect_state "$1 rolled back" rolled_back
	expect_tree "$1 rolled back" "$FP_OLD" old
	expect_clean "$1 rolled back"
}

# --- 0. a clean install, measured; then back to rest -------------------------------
t0=$(date +%s%N)
out=$(A install "$B" 2>&1) || fail clean_install "$out"
INSTALL_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
slot_b_is_image && [ "$(tree_fp "$TGT")" = "$FP_NEW" ] && [ "$(leftovers)" = "$TGT.ferry-old " ] &&
	pass clean_install_writes_slot_and_swaps_tree || fail clean_install_writes_slot_and_swaps_tree "$(leftovers)"
back_to_rest clean; verdict clean_trial_then_rollback_restores_old_tree
echo "# one install of a $IMG_MIB MiB image + 200 files: ${INSTALL_MS} ms"

# --- 1. kills during install ------------------------------------------------------------
# crash_install NAME HOW MODE: MODE restart (the agent starts again: status),
# check (the agent starts again: a dry run of the same bundle) or powercut
# (the machine restarts: reboot).
declare -A COVER
crash_install() {
	local name=$1 how=$2 mode=$3 seq0 raw st ev out
	reset_slot_b
	seq0=$(last_seq)
	run_killed "$how" install "$B"
	raw=$(phase)
	[ "$KILLED" = 1 ] && COVER["${raw%% *}"]=1
	echo "# $name: ${how}: $([ "$KILLED" = 1 ] && echo "killed in $raw" || echo "not killed (install ended)"); then $mode"
	inv_boot "$name just after the kill"
	case $mode in
	powercut) A reboot >/dev/null 2>&1 || bad "$name: reboot failed" ;;
	check) A check "$B" >/dev/null 2>&1; [ $? -le 1 ] || bad "$name: check failed" ;;
	*) A status >/dev/null 2>&1 || bad "$name: status failed" ;;
	esac
	inv "$name after the $mode"
	st=$(state_name)
	ev=$(events_since "$seq0")
	case $raw in
	verifying*|installing*)
		if [ "$st" = trial ]; then   # killed after the bootloader was armed: complete
			[[ $ev == *"boot.trial "* ]] || bad "$name: trial without boot.trial: $ev"
		else
			expect_state "$name after the $mode" failed
			[ "$(grep -o 'install.interrupted' <<<"$ev" | wc -l)" = 1 ] ||
				bad "$name: not one install.interrupted record: $ev"
			expect_clean "$name cleaned up"
		fi ;;
	*) [ "$st" = verifying ] || [ "$st" = installing ] && bad "$name: state $st after the $mode" ;;
	esac
	st=$(state_name)
	if [[ ! $st =~ ^(installed|trial)$ ]]; then
		out=$(A install "$B" 2>&1) || bad "$name: install again: $out"
		expect_state "$name install again" installed
		[ "$(next_boot)" = b ] || bad "$name: after installing again the next boot is not slot b"
		inv "$name installed again"
		[ "$(leftovers)" = "$TGT.ferry-old " ] || bad "$name: after installing again: leftovers '$(leftovers)'"
	fi
	back_to_rest "$name"
	chain_ok "$name"
	verdict "crash_install_$name"
}

# Kills after delays spread over the measured install (and a bit past it).
N_DELAYS=${FERRY_CRASH_DELAYS:-6}
for i in $(seq 1 "$N_DELAYS"); do
	ms=$(( INSTALL_MS * (2 * i - 1) / (2 * N_DELAYS) + 20 ))
	modes=(restart powercut check); mode=${modes[$((i % 3))]}
	crash_install "delay_${ms}ms" "delay:$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))" $mode
done
# Exactly at the durable steps: every rename, fsync and syncfs, every other
# fdatasync (agent.db commits and the slot's syncs).
if [ "$STRACE" = 1 ]; then
	reset_slot_b
	declare -A CALLS
	while read -r sc n; do CALLS[$sc]=$n; done < <(count_calls install "$B")
	# which rename() is the swap's second (.ferry-new -> target)
	SWAP_N=$(grep -E "^([0-9]+ +)?rename\(" "$T/calls" | grep -n 'ferry-new"' | head -n 1 | cut -d: -f1)
	back_to_rest count; verdict count_calls_run
	echo "# durable steps of one install: rename ${CALLS[rename]}, renameat ${CALLS[renameat]}, fsync ${CALLS[fsync]}, syncfs ${CALLS[syncfs]}, fdatasync ${CALLS[fdatasync]}"
	k=0
	for sc in rename renameat syncfs fsync fdatasync; do
		step=1; [ "$sc" = fdatasync ] && step=${FERRY_CRASH_FDATASYNC_STEP:-4}
		for n in $(seq 1 "$step" "${CALLS[$sc]}"); do
			k=$((k + 1)); mode=${modes[$((k % 3))]}
			crash_install "${sc}_$n" "sys:$sc:$n" $mode
		done
	done
	# Every phase of the install was hit.
	for p in verifying installing installed; do
		[ -n "${COVER[$p]:-}" ] && pass "kill_landed_in_$p" || fail "kill_landed_in_$p" "phases hit: ${!COVER[*]}"
	done
fi

echo "# install kills done at $SECONDS s"
# (c) over everything above: one export, one chain from seq 1, all records.
A export "$T/stick" >/dev/null 2>&1 || fail export_journal "export failed"
mapfile -t EXPORTS < <(ls "$T"/stick/ferry/audit/gw-0001/gw-0001.*.jsonl 2>/dev/null)
out=$("$CHAIN" gw-0001 "${EXPORTS[@]}" 2>&1) && [[ $out == *"seq 1-$(last_seq)" ]] &&
	pass journal_exported_is_one_unbroken_chain || fail journal_exported_is_one_unbroken_chain "$out (last seq $(last_seq))"
n_interrupted=$(cat "${EXPORTS[@]}" | grep -c '"event":"install.interrupted"')
echo "# journal: $out, $n_interrupted install.interrupted"

# --- 2. kills during the cleanup of a killed install -------------------------------
# An install killed between the two renames of the tree swap (the target is
# missing then), and the start-up's recovery of it killed at each durable
# step: the next start must finish the cleanup, once.
if [ "$STRACE" = 1 ]; then
	reset_slot_b
	# killed on entering the swap's second rename (target -> .ferry-old done, .ferry-new -> target not)
	run_killed "sys:rename:${SWAP_N:-0}" install "$B"
	[ "$(tree_fp "$TGT")" = missing ] && pass install_killed_mid_swap ||
		fail install_killed_mid_swap "rename ${SWAP_N:-?} is not the swap's second: $(phase), $(leftovers)"
	snapshot midswap
	seq_mid=$(last_seq)
	declare -A VC
	while read -r sc n; do VC[$sc]=$n; done < <(count_calls status)
	echo "# durable steps of the cleanup: rename ${VC[rename]}, renameat ${VC[renameat]}, fsync ${VC[fsync]}, fdatasync ${VC[fdatasync]}"
	for sc in rename renameat fsync fdatasync; do
		for n in $(seq 1 "${VC[$sc]}"); do
			name=recovery_${sc}_$n
			restore midswap
			run_killed "sys:$sc:$n" status
			inv_boot "$name just after the kill"
			A status >/dev/null 2>&1 || bad "$name: status"
			inv "$name after restart"
			expect_state "$name" failed
			expect_tree "$name" "$FP_OLD" old
			expect_clean "$name"
			[ "$(events_since "$seq_mid")" = "install.interrupted " ] ||
				bad "$name: records after the kill: $(events_since "$seq_mid")"
			chain_ok "$name"
			verdict "crash_recovery_$name"
		done
	done
	restore midswap
	A status >/dev/null 2>&1
fi

# --- 3. an update without reboot: install and commit in one run -------------------
# A files-only bundle is installed, health-checked and committed by one
# `install`: kills anywhere in it, then a restart, leave the old tree
# (failed, install.interrupted), or the new one installed and waiting for
# its commit, or committed — never a mix, never a leftover after the end.
if [ "$STRACE" = 1 ]; then
	sed -e 's/"edge-os"/"app"/' -e 's/"2.4.0"/"1.1.0"/' \
		-e 's/{ "name": "rootfs", "handler": "rootfs-ab", "file": "rootfs.img" },//' "$T/in/spec.json" >"$T/in/app.json"
	BA=$T/app.ferry
	ferry-pack -q --homedir "$T/keys/gnupg" create "$T/in/app.json" -o "$BA" --sign "$REL" --sign "$QA" >/dev/null 2>&1 ||
		fail app_bundle "ferry-pack create"
	snapshot rest
	declare -A AC
	while read -r sc n; do AC[$sc]=$n; done < <(count_calls install "$BA")
	expect_state "app install counted" committed; expect_tree "app install counted" "$FP_NEW" new
	expect_clean "app install counted"; verdict app_install_commits_in_one_run
	echo "# durable steps of a files-only install + commit: rename ${AC[rename]}, renameat ${AC[renameat]}, fsync ${AC[fsync]}, fdatasync ${AC[fdatasync]}"
	k=0
	for sc in rename renameat fsync fdatasync; do
		step=1; [ "$sc" = fdatasync ] && step=3
		for n in $(seq 1 "$step" "${AC[$sc]}"); do
			k=$((k + 1)); name=app_${sc}_$n
			restore rest
			seq0=$(last_seq)
			run_killed "sys:$sc:$n" install "$BA"
			raw=$(phase)
			echo "# $name: killed in $raw"
			if [ $((k % 2)) = 1 ]; then A status >/dev/null 2>&1 || bad "$name: status"
			else A reboot >/dev/null 2>&1 || bad "$name: reboot"; fi
			inv "$name after restart"
			ev=$(events_since "$seq0")
			case $(state_name) in
			failed) expect_tree "$name" "$FP_OLD" old; expect_clean "$name"
				if [[ $raw =~ ^(verifying|installing) ]]; then
					[ "$(grep -o install.interrupted <<<"$ev" | wc -l)" = 1 ] || bad "$name: killed in $raw: $ev"
				else   # killed before the install began
					[ -z "$ev" ] || bad "$name: killed before the install, yet: $ev"
				fi ;;
			installed) expect_tree "$name" "$FP_NEW" new
				A commit >/dev/null 2>&1 || bad "$name: commit"
				expect_state "$name commit" committed; expect_clean "$name" ;;
			committed) expect_tree "$name" "$FP_NEW" new; expect_clean "$name"
				[[ $ev == *"boot.committed "* ]] || bad "$name: committed without boot.committed: $ev" ;;
			*) bad "$name: state $(state_name) after a kill in $raw" ;;
			esac
			chain_ok "$name"
			verdict "crash_app_$name"
		done
	done
	restore rest
fi

# --- 4. kills during commit and during reboot ----------------------------------------
# From a device in trial (slot b booted once) or installed (reboot pending).
if [ "$STRACE" = 1 ]; then
	reset_slot_b
	A install "$B" >/dev/null 2>&1 && snapshot installed
	A reboot >/dev/null 2>&1 && snapshot trial
	declare -A CC
	while read -r sc n; do CC[$sc]=$n; done < <(count_calls commit)
	expect_state "commit counted" committed; verdict commit_counted
	echo "# durable steps of commit: rename ${CC[rename]}, renameat ${CC[renameat]}, fsync ${CC[fsync]}, fdatasync ${CC[fdatasync]}"
	k=0
	for sc in rename renameat fsync fdatasync; do
		step=1; [ "$sc" = fdatasync ] && step=2
		for n in $(seq 1 "$step" "${CC[$sc]}"); do
			k=$((k + 1))
			restore trial
			run_killed "sys:$sc:$n" commit
			name=commit_${sc}_$n
			inv_boot "$name just after the kill"
			if [ $((k % 2)) = 1 ]; then   # the agent restarts: commit again
				A status >/dev/null 2>&1 || bad "$name: status"
				inv "$name after restart"
				A commit >/dev/null 2>&1 || bad "$name: commit again failed"
				expect_state "$name" committed; expect_tree "$name" "$FP_NEW" new
				[ "$(next_boot)" = b ] || bad "$name: committed, but the next boot is not slot b"
			else                          # power cut: the boot decides
				A reboot >/dev/null 2>&1 || bad "$name: reboot"
				inv "$name after the power cut"
				case $(state_name) in
				trial) A commit >/dev/null 2>&1 || bad "$name: commit after the reboot"
				       expect_tree "$name" "$FP_NEW" new ;;
				committed) expect_tree "$name" "$FP_NEW" new ;;
				rolled_back) expect_tree "$name fell back" "$FP_OLD" old ;;
				*) bad "$name: state $(state_name) after the power cut" ;;
				esac
			fi
			expect_clean "$name"
			chain_ok "$name"
			verdict "crash_commit_$name"
		done
	done
	echo "# commit kills done at $SECONDS s"
	# reboot: into the trial (from installed), and the fallback from an
	# uncommitted trial (bootloader and file tree go back).
	for from in installed trial; do
		restore "$from"
		declare -A RC=()
		while read -r sc n; do RC[$sc]=$n; done < <(count_calls reboot)
		for sc in rename renameat fsync fdatasync; do
			step=1; [ "$sc" = fdatasync ] && step=2
			for n in $(seq 1 "$step" "${RC[$sc]}"); do
				name=reboot_from_${from}_${sc}_$n
				restore "$from"
				run_killed "sys:$sc:$n" reboot
				inv_boot "$name just after the kill"
				A status >/dev/null 2>&1 || bad "$name: status"
				inv "$name after restart"
				if [ "$(env_get BOOTED)" = B ]; then   # the power-on happened: the trial runs
					expect_state "$name" "trial"
					expect_tree "$name" "$FP_NEW" new
				elif [ "$from" = trial ] && [ "$(env_get BOOT_ID)" != "$(grep -o '"BOOT_ID": *"[^"]*"' "$T/snap-trial/state/bootenv.json" | cut -d'"' -f4)" ]; then
					expect_state "$name fell back" rolled_back   # booted a after the trial
					expect_tree "$name fell back" "$FP_OLD" old
					expect_clean "$name fell back"
				else
					expect_state "$name not rebooted" "$from"   # killed before the power-on
				fi
				chain_ok "$name"
				verdict "crash_reboot_$name"
			done
		done
	done
fi
echo "# crash.sh took $SECONDS s"
finish
