#!/bin/bash
# make_install: `make install DESTDIR=… PREFIX=/usr/local` puts every file below
# the prefix (configuration and state stay /etc/ferry and /var/lib/ferry), its
# units and examples name the installed programs, modules and hook, the agent's
# compiled-in modules_dir is the installed one, directory variables are
# honoured, and `make uninstall` removes everything install put there (issue 15).
source "$(dirname "$0")/lib.sh"

mk() { make --no-print-directory -C "$FERRY_ROOT" BUILD="$BUILD" "$@" >"$T/make.log" 2>&1; }

# A directory variable reaches the generated files (done first: the last
# install below leaves the build's generated files at their defaults).
R=$T/custom
if mk install-agent DESTDIR="$R" PREFIX=/usr/local sysconfdir=/opt/etc; then
	check make_install_sysconfdir_in_units grep -q -- "-c /opt/etc/ferry/agent.json watch" \
		"$R/usr/local/lib/systemd/system/ferry-agent.service"
else
	fail make_install_sysconfdir_in_units "make install-agent failed: $(tail -n 3 "$T/make.log" | tr '\n' ' ')"
fi

R=$T/root
if ! mk install DESTDIR="$R" PREFIX=/usr/local; then
	fail make_install_runs "$(tail -n 3 "$T/make.log" | tr '\n' ' ')"
	finish
fi
pass make_install_runs

outside=$(cd "$R" && find . -mindepth 1 -not -path ./usr -not -path './usr/local*' | head -n 3)
check make_install_only_below_prefix test -z "$outside"

U=$R/usr/local/lib/systemd/system
units_ok=1
for u in "$U"/*.service; do
	[ -e "$u" ] || { units_ok=0; break; }
	# Every Exec line runs the installed program, with the agent's configuration.
	grep -E '^Exec' "$u" | grep -v -- '/usr/local/bin/ferry-agent -c /etc/ferry/agent.json ' && units_ok=0
	grep -q '/usr/bin/' "$u" && units_ok=0
	[ -x "$R$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")" ] || units_ok=0
done
check make_install_units_run_prefix_bin test "$units_ok" = 1
check make_install_units_document_prefix grep -q 'file:///usr/local/share/doc/ferry/media.md' "$U/ferry-agent.service"

E=$R/usr/local/share/ferry/examples/agent.json
check make_install_example_names_installed_modules grep -q '"modules_dir": "/usr/local/lib/ferry/modules"' "$E"
check make_install_example_names_installed_hook grep -q '"notify": "/usr/local/lib/ferry/notify.sh"' "$E"
check make_install_hook_and_module_executable test -x "$R/usr/local/lib/ferry/notify.sh" -a \
	-x "$R/usr/local/lib/ferry/modules/file-copy"
check make_install_agent_default_modules_dir grep -q '/usr/local/lib/ferry/modules' "$R/usr/local/bin/ferry-agent"
check make_install_tmpfiles grep -q '^d /run/ferry/media 0700' "$R/usr/local/lib/tmpfiles.d/ferry.conf"
check make_install_docs test -f "$R/usr/local/share/doc/ferry/media.md" -a -f "$R/usr/local/share/doc/ferry/README.md"
check make_install_man_pages test -f "$R/usr/local/share/man/man1/ferry-agent.1" -a \
	-f "$R/usr/local/share/man/man1/ferry-audit.1"
check make_install_completion test -f "$R/usr/local/share/bash-completion/completions/ferry-pack"

if mk uninstall DESTDIR="$R" PREFIX=/usr/local; then
	left=$(find "$R" -type f | head -n 3)
	check make_uninstall_removes_every_file test -z "$left"
	check make_uninstall_removes_ferry_dirs test ! -e "$R/usr/local/lib/ferry" -a ! -e "$R/usr/local/share/doc/ferry"
else
	fail make_uninstall_removes_every_file "$(tail -n 3 "$T/make.log" | tr '\n' ' ')"
fi
finish
