#!/bin/bash
# cli: the shared command-line layer through the real programs. COMMAND
# --help prints help and exits 0 without a config file, key home or database
# (and creates nothing); unknown commands and options exit 2 with one line.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/empty" "$T/home"
cd "$T/empty" || exit 1
export HOME=$T/home FERRY_KEYS_HOME= FERRY_PACK_HOME=

helps() {   # helps NAME PROGRAM COMMAND...: exit 0, "usage: PROGRAM" on stdout, nothing created
	local name=$1 prog=$2; shift 2
	local out rc
	out=$("$prog" "$@" --help 2>"$T/stderr"); rc=$?
	if [ "$rc" -ne 0 ]; then fail "$name" "exit $rc: $(head -n 2 "$T/stderr" | tr '\n' ' ')"
	elif ! printf '%s' "$out" | grep -q "^usage: $prog .*$*"; then fail "$name" "no usage line in: $out"
	elif [ -n "$(find "$T/empty" "$T/home" -mindepth 1)" ]; then
		fail "$name" "created: $(find "$T/empty" "$T/home" -mindepth 1 | tr '\n' ' ')"
	else pass "$name"; fi
}

helps agent_install_help_without_config ferry-agent install
helps agent_export_help_without_config ferry-agent export
helps audit_import_help_without_database ferry-audit import
helps pack_verify_help_without_keyring ferry-pack verify
helps keys_provision_help_without_home ferry-keys provision
helps keys_signer_add_help ferry-keys signer add
out=$(ferry-agent -c "$T/missing.json" status --help) &&
	printf '%s' "$out" | grep -q "^usage: ferry-agent -c agent.json status" &&
	pass agent_help_needs_no_readable_config || fail agent_help_needs_no_readable_config "$out"

for prog in ferry-agent ferry-pack ferry-keys ferry-audit; do
	refuses "${prog}_unknown_option_exits_2" 2 "^$prog: unknown option '--no-such-option'" \
		"$prog" --no-such-option
	refuses "${prog}_unknown_command_exits_2" 2 "^$prog: unknown command 'frobnicate'" "$prog" frobnicate
	out=$("$prog" --version) && [ "$out" = "$prog $(sed -n 's/^VERSION *:= *//p' "$FERRY_ROOT/Makefile")" ] &&
		pass "${prog}_version" || fail "${prog}_version" "$out"
	n=$("$prog" --no-such-option 2>&1 | wc -l)
	[ "$n" -eq 1 ] && pass "${prog}_usage_error_is_one_line" || fail "${prog}_usage_error_is_one_line" "$n lines"
done
refuses agent_missing_config_exits_2 2 "agent.json is required" ferry-agent status
refuses agent_unreadable_config_exits_2 2 "missing.json" ferry-agent -c "$T/missing.json" status
finish
