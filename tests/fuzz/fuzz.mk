# tests/fuzz/fuzz.mk (included by the Makefile): every tests/fuzz/fuzz_<name>.c
# is a fuzz target, built two ways:
#   replay   gcc, the build's own flags (and make asan's sanitizers), as part of
#            `all`: $(BUILD)/tests/fuzz/replay/<name> runs each file given once;
#            tests/integration/fuzz_corpus.sh replays the committed corpus.
#   libFuzzer  clang -fsanitize=fuzzer,address,undefined, libferry rebuilt the
#            same way, in build/fuzz/: `make fuzz` runs each target FUZZ_SECONDS
#            (FUZZ_TARGETS="bundle manifest" for some only, FUZZ_JOBS=2 two at a
#            time; tests/fuzz/run).
FUZZ_SRCS      := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES     := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_HELP_OBJS := $(BUILD)/tests/fuzz/util.o
FUZZ_BUILD     := build/fuzz
FUZZ_SECONDS   ?= 300
FUZZ_JOBS      ?= 1
FUZZ_TARGETS   ?= $(FUZZ_NAMES)
FUZZ_CFLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                  -Wno-unknown-warning-option

all: $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay/%)

$(BUILD)/tests/fuzz/replay/%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o \
		$(FUZZ_HELP_OBJS) $(PROG_LIBS) $(LIBFERRY)
	@mkdir -p $(@D)
	$(LINK) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/fuzz/bin/%: $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_HELP_OBJS) $(PROG_LIBS) $(LIBFERRY)
	@mkdir -p $(@D)
	$(LINK) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

.PHONY: fuzz fuzz-build
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT='-O1 -g -fno-omit-frame-pointer' \
		SAN='-fsanitize=fuzzer-no-link $(FUZZ_CFLAGS)' $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/tests/fuzz/bin/%)

fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
		./tests/fuzz/run $(FUZZ_TARGETS)

# Keep the targets' objects: a relink after a libferry change needs them.
.SECONDARY: $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%.o)
