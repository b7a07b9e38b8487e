#!/bin/bash
# agent_boot: the trial-boot lifecycle on a virtual device (slots as files,
# file bootloader): trial boot -> commit; trial boot -> reboot without commit
# -> fall back -> rolled_back; rollback before the reboot; refusals.
source "$(dirname "$0")/lib.sh"
FAKE=$BUILD/tests/tools/agent_fake_install

D=$T/dev
mkdir -p "$D/slots"
echo "factory 2.3.0" >"$D/slots/rootfs-a.img"
cat >"$D/agent.json" <<'JSON'
{ "format": 1,
  "device": { "id": "gw-0001", "type": "gw-x", "hw_revision": 2, "installed": { "gateway-os": "2.3.0" } },
  "state_dir": "state",
  "slots": { "rootfs": { "a": "slots/rootfs-a.img", "b": "slots/rootfs-b.img" } },
  "bootloader": { "type": "file", "path": "state/bootenv.json" } }
JSON
A() { ferry-agent -c "$D/agent.json" "$@"; }
# json_field KEY: the value of "KEY" in `status --json` (first occurrence).
field() { A --json status | grep -m1 "\"$1\":" | sed -E 's/.*": "?([^",]*)"?,?$/\1/'; }
# journal_events: the events of every record in order, space-separated.
events() { A --json status --last 1000 | grep '"event":' | sed -E 's/.*"event": "([^"]*)".*/\1/' | tr '\n' ' '; }
chain_ok() { "$BUILD/tests/tools/agent_journal_check" "$D/state/agent.db"; }

if ! [ -x "$FAKE" ]; then skip agent_boot "no $FAKE (make all)"; finish; fi

check fresh_device_runs_slot_a bash -c "[ \"\$(ferry-agent -c $D/agent.json --json status | grep -m1 '\"booted\"')\" != '' ]"
[ "$(field state)" = idle ] && pass fresh_device_is_idle || fail fresh_device_is_idle "state $(field state)"
refuses commit_with_nothing_installed_is_nothing 0 "nothing to commit" A commit

# 1. trial boot -> commit
check install_arms_trial "$FAKE" "$D/agent.json" gateway-os 2.4.1 7
[ "$(field state)" = installed ] && pass installed_awaits_reboot || fail installed_awaits_reboot "state $(field state)"
refuses commit_before_reboot_refused 1 "reboot first" A commit
refuses reboot_boots_trial_slot 0 "booted slot b: trial boot" A reboot
[ "$(field state)" = trial ] && pass state_is_trial || fail state_is_trial "state $(field state)"
refuses commit_in_trial 0 "^committed" A commit
[ "$(field state)" = committed ] && pass state_is_committed || fail state_is_committed "state $(field state)"
[ "$(field gateway-os)" = 2.4.1 ] && pass installed_version_updated || fail installed_version_updated "$(field gateway-os)"
[ "$(field security_version)" = 7 ] && pass security_version_raised || fail security_version_raised "$(field security_version)"
refuses committed_slot_stays_after_reboots 0 "booted slot b: normal boot" bash -c "ferry-agent -c $D/agent.json reboot && ferry-agent -c $D/agent.json reboot && ferry-agent -c $D/agent.json reboot && ferry-agent -c $D/agent.json reboot"

# 2. trial boot -> reboot without commit -> fall back -> rolled_back
check install_again "$FAKE" "$D/agent.json" gateway-os 3.0.0 8
refuses second_trial_boots_slot_a 0 "booted slot a: trial boot" A reboot
refuses uncommitted_trial_falls_back 0 "booted slot b: the update did not survive" A reboot
[ "$(field state)" = rolled_back ] && pass state_is_rolled_back || fail state_is_rolled_back "state $(field state)"
[ "$(field gateway-os)" = 2.4.1 ] && pass version_unchanged_after_fallback || fail version_unchanged_after_fallback "$(field gateway-os)"
[ "$(field security_version)" = 7 ] && pass security_version_unchanged || fail security_version_unchanged "$(field security_version)"
refuses fallen_back_slot_stays_primary 0 "booted slot b: normal boot" A reboot
A status | grep -Eq "boot.rolled_back +failure +gateway-os 3.0.0" && pass status_shows_rolled_back_record \
	|| fail status_shows_rolled_back_record "$(A status | tail -n 5)"

# 3. rollback before the reboot: the trial never starts
check install_third "$FAKE" "$D/agent.json" gateway-os 3.0.1 8
refuses rollback_installed 0 "rolled back" A rollback
refuses rollback_twice_refused 1 "nothing to roll back" A rollback
refuses reboot_after_rollback_boots_old_slot 0 "booted slot b: normal boot" A reboot

# 4. rollback during the trial: the next boot runs the old slot
check install_fourth "$FAKE" "$D/agent.json" gateway-os 3.0.2 8
refuses fourth_trial 0 "booted slot a: trial boot" A reboot
refuses rollback_in_trial 0 "rolled back" A rollback
refuses boot_after_trial_rollback 0 "booted slot b: normal boot" A reboot

want="install.started install.writing install.finished boot.trial boot.committed install.started install.writing install.finished boot.trial boot.rolled_back install.started install.writing install.finished boot.rolled_back install.started install.writing install.finished boot.trial boot.rolled_back "
[ "$(events)" = "$want" ] && pass journal_tells_the_story || fail journal_tells_the_story "$(events)"
check journal_chain_intact chain_ok

# the start-up logic runs once per boot
refuses boot_is_idempotent 0 "already accounted for" A boot

# export: pending records + inventory, signed by the device key, onto a stick
if command -v gpg >/dev/null; then
	mkdir -m 700 "$D/gnupg"
	gpg --homedir "$D/gnupg" --batch --quiet --passphrase '' --quick-gen-key gw-0001 ed25519 sign never 2>/dev/null
	S=$T/stick; mkdir -p "$S"
	last=$(A --json status | grep '"last_seq"' | grep -o '[0-9]*')
	name=$(printf 'gw-0001.%08d-%08d.jsonl' 1 "$last")
	refuses export_writes_records 0 "exported records 1-$last" A export "$S"
	E=$S/ferry/audit/gw-0001
	[ -f "$E/$name" ] && [ -f "$E/$name.sig" ] && [ -f "$E/inventory.json" ] && [ -f "$E/inventory.json.sig" ] \
		&& pass export_files_present || fail export_files_present "$(ls "$E")"
	check export_signature_verifies gpg --homedir "$D/gnupg" --batch --verify "$E/$name.sig" "$E/$name"
	check inventory_signature_verifies gpg --homedir "$D/gnupg" --batch --verify "$E/inventory.json.sig" "$E/inventory.json"
	[ "$(wc -l <"$E/$name")" -eq "$last" ] && pass export_holds_every_record || fail export_holds_every_record "$(wc -l <"$E/$name")"
	grep -q '"gateway-os": "2.4.1"' "$E/inventory.json" && grep -q '"state": "rolled_back"' "$E/inventory.json" \
		&& pass inventory_tells_versions_and_state || fail inventory_tells_versions_and_state "$(head -c 300 "$E/inventory.json")"
	[ "$(A --json status | grep '"exported_seq"' | grep -o '[0-9]*')" = "$last" ] && pass records_marked_exported \
		|| fail records_marked_exported "$(A --json status | grep exported_seq)"
	# Without an ack from HQ, every export carries the records again (a lost
	# stick must not be a gap), byte for byte, and continues the chain.
	refuses export_again_repeats_unacknowledged 0 "exported records 1-$last" A export "$S"
	check install_after_export "$FAKE" "$D/agent.json" gateway-os 3.1.0 9
	next=$(printf 'gw-0001.%08d-%08d.jsonl' 1 $((last + 3)))
	refuses export_carries_old_and_new_records 0 "exported records 1-$((last + 3))" A export "$S"
	cmp -s -n "$(stat -c %s "$E/$name")" "$E/$name" "$E/$next" && pass next_export_repeats_records_byte_for_byte \
		|| fail next_export_repeats_records_byte_for_byte "$next"
	first_prev=$(sed -n "$((last + 1))p" "$E/$next" | grep -o '"prev":"[0-9a-f]*"' | cut -d'"' -f4)
	[ "$first_prev" = "$(tail -n1 "$E/$name" | tr -d '\n' | sha256sum | cut -d' ' -f1)" ] && pass next_export_chains_to_previous \
		|| fail next_export_chains_to_previous "$first_prev"
	ls "$E" | grep -q '\.tmp$' && fail export_leaves_no_tmp "$(ls "$E")" || pass export_leaves_no_tmp
	# A device without its key cannot export, and nothing is marked exported.
	mv "$D/gnupg" "$D/gnupg.off"; mkdir -m 700 "$D/gnupg"
	check rollback_before_next A rollback
	check install_without_key "$FAKE" "$D/agent.json" gateway-os 3.1.1 9
	before=$(A --json status | grep '"exported_seq"' | grep -o '[0-9]*')
	refuses export_without_device_key_fails 1 "0 secret keys" A export "$S"
	[ "$(A --json status | grep '"exported_seq"' | grep -o '[0-9]*')" = "$before" ] && pass failed_export_marks_nothing \
		|| fail failed_export_marks_nothing "exported_seq changed"
else
	skip export "no gpg"
fi

# a broken bootloader environment: status still shows the rest, and says so
cp "$D/state/bootenv.json" "$T/bootenv.good"
echo '{"BOOT_ORDER": "C D"}' >"$D/state/bootenv.json"
refuses status_survives_broken_bootenv 0 "slots: +unknown: .*BOOT_ORDER 'C D'" A status
refuses commit_refuses_with_broken_bootenv 1 "BOOT_ORDER 'C D'" A commit
cp "$T/bootenv.good" "$D/state/bootenv.json"

# a device provisioned by ferry-keys (contract C2): its agent.json loads,
# the trial lifecycle runs, and export finds the device key among the root
# and signer keys and signs with it
if command -v ferry-keys >/dev/null && command -v gpg >/dev/null; then
	K="ferry-keys --homedir $T/keys -q"
	P=$T/prov
	if $K init --root-name "Root" >/dev/null 2>&1 && \
	   $K signer add release --role release --device-type 'gw-*' >/dev/null 2>&1 && \
	   $K policy sign >/dev/null 2>&1 && \
	   $K provision "$P" --device-id gw-0009 --device-type gw-x --installed gateway-os=2.3.0 >/dev/null 2>&1; then
		PA() { ferry-agent -c "$P/agent.json" "$@"; }
		refuses provisioned_device_status 0 "device: +gw-0009 \(type gw-x" PA status
		check provisioned_device_installs "$FAKE" "$P/agent.json" gateway-os 2.4.1 7
		refuses provisioned_device_trial 0 "trial boot" PA reboot
		refuses provisioned_device_commit 0 "^committed" PA commit
		refuses provisioned_device_exports 0 "exported records 1-" PA export "$T/pstick"
		f=$(ls "$T/pstick/ferry/audit/gw-0009/"*.jsonl | head -n1)
		check provisioned_export_verifies_with_device_public_key bash -c \
			"mkdir -m 700 -p $T/hq && gpg --homedir $T/hq --batch --quiet --import $P/gw-0009.asc 2>/dev/null && gpg --homedir $T/hq --batch --verify $f.sig $f 2>/dev/null"
	else
		fail provisioned_device "ferry-keys could not provision a device"
	fi
else
	skip provisioned_device "no ferry-keys or gpg"
fi

# refusals
echo '{"format":1,"device":{"id":"gw-0001","type":"gw-x","colour":"red"},"bootloader":{"type":"file","path":"e"}}' >"$T/bad.json"
refuses bad_config_names_path 2 "bad.json: device.colour: unknown key" ferry-agent -c "$T/bad.json" status
refuses config_required 2 "config" ferry-agent status
refuses unknown_command 2 "unknown command" A frobnicate
sed 's/"type": "file", "path": "state\/bootenv.json"/"type": "grub", "path": "grubenv"/' "$D/agent.json" >"$D/grub.json"
refuses reboot_needs_file_bootloader 2 "needs bootloader type file" ferry-agent -c "$D/grub.json" reboot
finish
