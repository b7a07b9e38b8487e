# mk/install.mk: where ferry's files go, and the files that name those places.
# Promises: every installed file that names a path (systemd units, tmpfiles.d,
# udev rules, the example agent.json, the notify hook, update modules, man
# pages) names the configured one; `make uninstall` removes exactly what
# `make install` put there; `make dist` packs exactly the files git tracks.
#
# The files in dist/ and docs/man/ are written for the Debian layout (PREFIX=/usr)
# and stay usable as they are (tests/integration/units.sh verifies them);
# $(BUILD)/dist/ holds them rewritten for the configured directories.

PREFIX        ?= /usr/local
DESTDIR       ?=
bindir        ?= $(PREFIX)/bin
libdir        ?= $(PREFIX)/lib
pkglibdir     ?= $(libdir)/ferry
datadir       ?= $(PREFIX)/share
pkgdatadir    ?= $(datadir)/ferry
mandir        ?= $(datadir)/man
docdir        ?= $(datadir)/doc/ferry
completionsdir ?= $(datadir)/bash-completion/completions
# A device's configuration and state stay in /etc/ferry and /var/lib/ferry
# whatever the prefix (as for systemd and udev): every document names them.
sysconfdir    ?= /etc
localstatedir ?= /var
runstatedir   ?= /run
# systemd and udev also read /usr/local/lib/{systemd/system,tmpfiles.d,udev/rules.d}.
unitdir       ?= $(PREFIX)/lib/systemd/system
tmpfilesdir   ?= $(PREFIX)/lib/tmpfiles.d
udevrulesdir  ?= $(PREFIX)/lib/udev/rules.d

# The Debian paths written in dist/ and docs/man/, and what they become.
PATHS_SED = -e 's|/usr/bin/ferry-|$(bindir)/ferry-|g' \
            -e 's|/usr/lib/ferry|$(pkglibdir)|g' \
            -e 's|/usr/share/doc/ferry|$(docdir)|g' \
            -e 's|/usr/share/ferry|$(pkgdatadir)|g' \
            -e 's|/etc/ferry|$(sysconfdir)/ferry|g' \
            -e 's|/var/lib/ferry|$(localstatedir)/lib/ferry|g' \
            -e 's|/run/ferry|$(runstatedir)/ferry|g'

# Stamps that change only when their paths do: a new PREFIX rebuilds what names
# it, an unchanged one rebuilds nothing. PATHS_STAMP: the one path compiled into
# a program (agent/config.h: the default modules_dir), a prerequisite of every
# object. DIRS_STAMP: every directory, a prerequisite of the generated files.
PATHS_STAMP    := $(BUILD)/gen/paths.stamp
DIRS_STAMP     := $(BUILD)/gen/dirs.stamp
CPPFLAGS_PATHS := -DFERRY_MODULES_DIR='"$(pkglibdir)/modules"'
$(PATHS_STAMP): FORCE
	@mkdir -p $(@D) && echo '$(pkglibdir)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(DIRS_STAMP): FORCE
	@mkdir -p $(@D) && echo '$(bindir) $(pkglibdir) $(docdir) $(pkgdatadir) $(sysconfdir) $(localstatedir) $(runstatedir)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
.PHONY: FORCE
FORCE:

# --- generated files: $(BUILD)/dist/<name> from dist/<name> ---------------------
DIST_SRCS := $(wildcard dist/*.service dist/*.rules dist/*.json dist/*.tmpfiles dist/notify.sh dist/modules/*)
MAN_SRCS  := $(wildcard docs/man/*.1)
COMPLETED := ferry-agent ferry-pack ferry-keys ferry-audit
GENERATED := $(DIST_SRCS:%=$(BUILD)/%) $(MAN_SRCS:docs/%=$(BUILD)/dist/%) \
             $(if $(wildcard dist/ferry.bash-completion),$(COMPLETED:%=$(BUILD)/dist/completions/%))
all programs agent-only: $(GENERATED)

$(BUILD)/dist/%: dist/% $(DIRS_STAMP)
	@mkdir -p $(@D)
	@sed $(PATHS_SED) $< >$@
$(BUILD)/dist/man/%: docs/man/% $(DIRS_STAMP)
	@mkdir -p $(@D)
	@sed $(PATHS_SED) $< >$@
$(BUILD)/dist/completions/%: dist/ferry.bash-completion
	@mkdir -p $(@D)
	cp $< $@

# --- what each part installs: "MODE DIR FILE..." per item ------------------------
# Parts, so that a device gets only the agent (install-agent) and a Debian
# package takes its own (debian/*.install).
G := $(BUILD)/dist
only = $(filter $(GENERATED) $(BINS),$(1))
agent_ITEMS := agent_bin agent_man agent_units agent_tmpfiles agent_rules agent_modules \
               agent_hook agent_examples agent_completion
agent_bin        = 0755 $(bindir) $(call only,$(BUILD)/bin/ferry-agent)
agent_man        = 0644 $(mandir)/man1 $(call only,$(G)/man/ferry-agent.1)
agent_units      = 0644 $(unitdir) $(filter %.service,$(GENERATED))
agent_tmpfiles   = 0644 $(tmpfilesdir) $(filter %.tmpfiles,$(GENERATED))
agent_rules      = 0644 $(udevrulesdir) $(filter %.rules,$(GENERATED))
agent_modules    = 0755 $(pkglibdir)/modules $(filter $(G)/modules/%,$(GENERATED))
agent_hook       = 0755 $(pkglibdir) $(call only,$(G)/notify.sh)
agent_examples   = 0644 $(pkgdatadir)/examples $(filter %.json,$(GENERATED))
agent_completion = 0644 $(completionsdir) $(call only,$(G)/completions/ferry-agent)
tools_ITEMS := tools_bin tools_man tools_completion
tools_bin        = 0755 $(bindir) $(call only,$(BUILD)/bin/ferry-pack $(BUILD)/bin/ferry-keys)
tools_man        = 0644 $(mandir)/man1 $(call only,$(G)/man/ferry-pack.1 $(G)/man/ferry-keys.1)
tools_completion = 0644 $(completionsdir) $(call only,$(G)/completions/ferry-pack $(G)/completions/ferry-keys)
hq_ITEMS := hq_bin hq_man hq_completion
hq_bin           = 0755 $(bindir) $(call only,$(BUILD)/bin/ferry-audit)
hq_man           = 0644 $(mandir)/man1 $(call only,$(G)/man/ferry-audit.1)
hq_completion    = 0644 $(completionsdir) $(call only,$(G)/completions/ferry-audit)
docs_ITEMS := docs_md
docs_md          = 0644 $(docdir) README.md $(wildcard docs/*.md)

item_mode  = $(word 1,$($(1)))
item_dir   = $(DESTDIR)$(word 2,$($(1)))
item_files = $(wordlist 3,$(words $($(1))),$($(1)))
# tmpfiles.d wants NAME.conf: dist/ferry.tmpfiles is installed as ferry.conf.
dest_name  = $(patsubst %.tmpfiles,%.conf,$(notdir $(1)))

# One shell line per item, so that make stops at the first failure.
install_item   = $(if $(call item_files,$(1)),install -d '$(call item_dir,$(1))'$(foreach f,$(call item_files,$(1)), \
                 && install -m $(call item_mode,$(1)) '$(f)' '$(call item_dir,$(1))/$(call dest_name,$(f))'))
uninstall_item = $(if $(call item_files,$(1)),rm -f $(foreach f,$(call item_files,$(1)),'$(call item_dir,$(1))/$(call dest_name,$(f))'))
define nl


endef

PARTS := agent tools hq docs
.PHONY: install uninstall dist $(PARTS:%=install-%) $(PARTS:%=uninstall-%)
install: $(PARTS:%=install-%)
uninstall: $(PARTS:%=uninstall-%)
	-rmdir --ignore-fail-on-non-empty '$(DESTDIR)$(pkglibdir)/modules' '$(DESTDIR)$(pkglibdir)' \
		'$(DESTDIR)$(pkgdatadir)/examples' '$(DESTDIR)$(pkgdatadir)' '$(DESTDIR)$(docdir)' 2>/dev/null
install-agent: agent-only
install-tools install-hq install-docs: programs
$(PARTS:%=install-%): install-%:
	$(foreach i,$($*_ITEMS),$(call install_item,$(i))$(nl))
$(PARTS:%=uninstall-%): uninstall-%:
	$(foreach i,$($*_ITEMS),$(call uninstall_item,$(i))$(nl))

# --- release tarball: the files git tracks, reproducibly ----------------------
DIST_NAME := ferry-$(VERSION)
dist:
	@mkdir -p $(BUILD)
	git ls-files -z | tar --null -T - --transform 's|^|$(DIST_NAME)/|' --sort=name \
		--owner=0 --group=0 --numeric-owner --mtime=@$$(git log -1 --format=%ct) \
		-cf - | gzip -n >$(BUILD)/$(DIST_NAME).tar.gz
	@echo $(BUILD)/$(DIST_NAME).tar.gz
