# ferry: one non-recursive Makefile. Sources are found by wildcard, so a new
# module in common/ or a program folder, or a tests/unit/test_*.c, needs no edit.
#   make            build libferry and the four programs into build/
#   make check      install missing Debian packages, build, run every test
#   make check-vm   the agent on a real device in QEMU: GRUB, USB sticks, power cuts
#   make asan       the same suite built with AddressSanitizer + UBSan (build/asan)
#   make demo       the whole story on virtual devices (build/demo)
#   make bench      benchmarks against the machine's own limits
#   make bench-peers  the same install bench with SWUpdate, RAUC and mender-artifact
#   make install    DESTDIR= PREFIX=/usr/local (and the directories of mk/install.mk);
#                   make uninstall, make dist (mk/install.mk)
#   make agent-only only ferry-agent: what a device needs (docs/building.md)
#   make CROSS=aarch64-linux-gnu- SYSROOT=dir   a cross build (mk/cross.mk)
# CFLAGS, CPPFLAGS and LDFLAGS from the environment or the command line are
# added to the project's own flags; they never remove its warnings.

BUILD   ?= build
VERSION := 0.1.0

PKGS    := gpgme libgcrypt libarchive libzstd liblzma jansson sqlite3 libudev mount blkid \
           libusb-1.0 libubootenv
PKGS    += libpq   # audit/db_pg.c: ferry-audit on PostgreSQL (docs/hq.md)
# The first target is all; the included files add install, dist and cross builds.
.DEFAULT_GOAL := all
include mk/cross.mk
include mk/install.mk
CSTD    := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-truncation -Wvla
OPT     ?= -O2 -g
SAN     ?=
# User CFLAGS come after OPT (DEB_BUILD_OPTIONS=noopt works) and before WARN (a
# distribution's -Wformat does not undo -Wformat=2).
CFLAGS_ALL  = $(CSTD) $(OPT) $(CFLAGS) $(WARN) $(SAN) $(CROSS_CFLAGS) -MMD -MP -I. \
              $(CPPFLAGS) $(CPPFLAGS_PATHS) -DFERRY_VERSION='"$(VERSION)"' $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# --as-needed: a program records only the libraries it calls, so Depends: and a device's
# footprint show what it uses, not every library of PKGS.
LINK        = $(CC) $(OPT) $(CFLAGS) $(SAN) $(CROSS_CFLAGS) $(LDFLAGS) -Wl,--as-needed
LDLIBS_ALL  = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lpthread
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

# Short lines by default ("CC common/json.o"); make V=1 prints whole commands.
Q    := $(if $(filter 1,$(V)),,@)
say   = $(if $(Q),@printf '  %-4s %s\n' '$(1)' '$(2)')

# --- libferry: everything two programs share --------------------------------
LIB_SRCS := $(wildcard common/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBFERRY := $(BUILD)/libferry.a

# --- programs: <folder>/main.c is the program, the rest its own library ------
PROGRAMS := packager:ferry-pack agent:ferry-agent keys:ferry-keys audit:ferry-audit
prog_dir  = $(word 1,$(subst :, ,$(1)))
prog_name = $(word 2,$(subst :, ,$(1)))
# A folder with any .c file gets its library (so its modules can be unit-tested
# before its main.c exists); only a folder with main.c gets its program.
PRESENT  := $(foreach p,$(PROGRAMS),$(if $(wildcard $(call prog_dir,$(p))/*.c),$(p)))
BINS     := $(foreach p,$(PRESENT),$(if $(wildcard $(call prog_dir,$(p))/main.c),$(BUILD)/bin/$(call prog_name,$(p))))
PROG_LIBS := $(foreach p,$(PRESENT),$(BUILD)/lib$(call prog_dir,$(p)).a)

define program_rules
$(1)_SRCS := $$(filter-out $(1)/main.c,$$(wildcard $(1)/*.c))
$(BUILD)/lib$(1).a: $$($(1)_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $$(@D)
	$$(call say,AR,$$@)
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^
$(BUILD)/bin/$(2): $(BUILD)/$(1)/main.o $(BUILD)/lib$(1).a $(LIBFERRY)
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)
	$$(Q)$$(LINK) -o $$@ $$^ $$(LDLIBS_ALL)
endef
$(foreach p,$(PRESENT),$(eval $(call program_rules,$(call prog_dir,$(p)),$(call prog_name,$(p)))))

# --- tests and tools -----------------------------------------------------------
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:%.c=$(BUILD)/%)
# tests/unit/*.c that are not test_*.c are shared helpers linked into every test.
UNIT_HELP  := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_HELP_OBJS := $(UNIT_HELP:%.c=$(BUILD)/%.o)
# Small programs used by integration tests, benches and the demo: one file each.
TOOL_SRCS  := $(wildcard tests/tools/*.c bench/*.c)
TOOL_BINS  := $(TOOL_SRCS:%.c=$(BUILD)/%)

.PHONY: all deps check unit integration asan demo bench bench-peers install clean agent-only programs
all: $(LIBFERRY) $(BINS) $(UNIT_BINS) $(TOOL_BINS)
# Only the four programs (debian/rules with nocheck); only what a device needs.
programs: $(BINS)
agent-only: $(BUILD)/bin/ferry-agent

$(BUILD)/%.o: %.c $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(LIBFERRY): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(call say,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# A test may add link flags in tests/unit/<test>.ldflags (e.g. -Wl,--wrap= for
# what the machine lacks, like a USB bus).
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(UNIT_HELP_OBJS) $(PROG_LIBS) $(LIBFERRY)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(LINK) -o $@ $^ $(TEST_LIBS) $(LDLIBS_ALL) $(shell cat tests/unit/$(notdir $@).ldflags 2>/dev/null)

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(PROG_LIBS) $(LIBFERRY)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(LINK) -o $@ $^ $(LDLIBS_ALL)
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(PROG_LIBS) $(LIBFERRY)
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(LINK) -o $@ $^ $(LDLIBS_ALL)

deps:
	@./scripts/install-deps

# check: the whole suite; its last line is "N passed, N failed, N skipped".
check: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) ./tests/run

# check-vm: the agent on a real device in QEMU (tests/vm, docs/testing.md); root.
.PHONY: check-vm
check-vm: deps
	@./scripts/install-deps tests/vm/debian-packages.txt || true
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) ./tests/vm/run

ASAN_OPT := -O1 -g -fno-omit-frame-pointer
ASAN_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# The slowest scripts whose checks ASan cannot strengthen are left out, each
# with its reason (tests/asan-exclude.txt), so that .ci/hardening fits its time.
# The tests see OPT and SAN too: a test that runs make itself (make_install.sh)
# builds into build/asan with the same flags instead of relinking without them.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT='$(ASAN_OPT)' SAN='$(ASAN_SAN)' all
	@BUILD=build/asan OPT='$(ASAN_OPT)' SAN='$(ASAN_SAN)' ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		FERRY_TESTS_EXCLUDE=tests/asan-exclude.txt \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) ./scripts/demo

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) ./bench/run

# The peers (SWUpdate, RAUC, mender-artifact from Debian) beside ferry, same run.
bench-peers: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) ./bench/peers/run

clean:
	rm -rf build

include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD) -name '*.d' -type f -not -path '*/demo/*' 2>/dev/null)
