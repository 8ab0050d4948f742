# sipdx -- one GNU Makefile. See README.md; `make help` lists the targets.
#
#   make            build ./sipdx
#   make check      install missing deps, build, run every test (plain, then ASan+UBSan),
#                   replay every stored fuzz input; last line: "N passed, N failed"
#   make demo       install missing deps, build, diagnose the bundled sample capture
#   make SAN=1      build with ASan+UBSan into build/san
#   make fuzz       libFuzzer targets (clang-14); make fuzz-smoke runs each for 30 s

CC      ?= cc
SAN     ?= 0
PKGS    := libpcap zlib libcjson libcrypto
MODULES := base capture net transport sip stir call signal diag report

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
           -Wformat=2 -Wno-format-nonliteral -Werror
CSTD    := -std=c11 -D_DEFAULT_SOURCE
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lpcap -lz -lcjson)

ifeq ($(SAN),1)
  BUILD  := build/san
  OPT    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDSAN  := -fsanitize=address,undefined
else
  BUILD  := build/rel
  OPT    := -O3 -g
  LDSAN  :=
  # The sipdx binary is linked with link-time optimisation: the hot path crosses every
  # module (net -> transport -> sip -> call), and inlining across them saves ~5 % of the
  # instructions. Objects are fat, so test binaries link the plain code without LTO.
  LTO    := -flto=auto -ffat-lto-objects
  AR     := gcc-ar
endif

# Profile-guided optimisation (PGO=0 turns it off, e.g. while editing): the release objects
# are compiled with the branch and call counts of an instrumented build (build/pgo-gen) run
# over training traffic (scripts/pgo-train.sh). GCC then lays hot paths out straight and
# moves cold code away: the per-message path crosses every stage and overflowed the 32 KB
# instruction cache (~2 % of fetches missed it). Measured in bench/RESULTS.md.
PGO       ?= 1
PGO_BUILD := build/pgo-gen
PROF_DIR  := $(abspath build/profile)
PROF_STAMP := build/profile/.trained
# Both builds name each file's counts alike (-dumpbase): GCC keys a static function's counts
# by that name, so counts named after two different object paths would never meet.
prof_name = -dumpdir build/profile-aux/ -dumpbase $(subst /,-,$(basename $(1)))
ifeq ($(SAN)$(PGO),01)
  PROF_USE = -fprofile-use=$(PROF_DIR) $(call prof_name,$<) -fprofile-partial-training \
             -Wno-missing-profile
  PROF_DEP := $(PROF_STAMP)
endif
# Switching PGO on or off recompiles: the objects depend on a file naming the setting.
ifeq ($(SAN),0)
  PGO_FLAG := $(BUILD)/.pgo-$(PGO)
  PROF_DEP += $(PGO_FLAG)
endif

CFLAGS  += $(CSTD) $(WARN) $(OPT) -Isrc $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm -pthread

# Each module is a static library, so a test links only what it uses and a module being
# rewritten does not break another module's tests.
mod_srcs = $(wildcard src/$(1)/*.c)
mod_objs = $(patsubst %.c,$(BUILD)/%.o,$(call mod_srcs,$(1)))
LIBS     := $(foreach m,$(MODULES),$(BUILD)/lib/libsx_$(m).a)
CLI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard src/cli/*.c))

# Link order: later stages first (static libraries resolve left to right).
LINK_ORDER := report diag signal call stir transport net capture sip base
LINK_LIBS  := $(foreach m,$(LINK_ORDER),$(BUILD)/lib/libsx_$(m).a)

.PHONY: all clean check demo deps test golden fuzz fuzz-smoke fuzz-replay bench help tidy
ifeq ($(SAN),1)
all: $(BUILD)/sipdx
else
all: sipdx
endif

sipdx: $(BUILD)/sipdx
	@cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/sipdx: $(CLI_OBJS) $(LIBS)
	$(CC) $(LDSAN) $(OPT) $(LTO) -o $@ $(CLI_OBJS) $(LINK_LIBS) $(LDLIBS)

define MODULE_LIB
$(BUILD)/lib/libsx_$(1).a: $(call mod_objs,$(1))
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call MODULE_LIB,$(m))))

$(BUILD)/%.o: %.c $(PROF_DEP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LTO) $(PROF_USE) -c -o $@ $<

# The instrumented twin: the same compile flags (GCC checks that each function's shape
# matches its counts), linked without LTO.
PROF_GEN := -fprofile-generate=$(PROF_DIR) -fprofile-update=single
ALL_SRCS := $(foreach m,$(MODULES) cli,$(call mod_srcs,$(m)))
$(PGO_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LTO) $(PROF_GEN) $(call prof_name,$<) -c -o $@ $<

$(PGO_BUILD)/sipdx: $(patsubst %.c,$(PGO_BUILD)/%.o,$(ALL_SRCS))
	$(CC) $(OPT) $(PROF_GEN) -o $@ $^ $(LDLIBS)

ifeq ($(SAN),0)
$(PGO_FLAG):
	@mkdir -p $(@D)
	@rm -f $(BUILD)/.pgo-*
	@touch $@
endif

build/bench/gen: bench/gen.c
	@mkdir -p $(@D)
	$(CC) -O2 -std=c11 -D_DEFAULT_SOURCE -o $@ $<

$(PROF_STAMP): $(PGO_BUILD)/sipdx build/bench/gen scripts/pgo-train.sh
	@scripts/pgo-train.sh $(PGO_BUILD)/sipdx build/bench/gen $(PROF_DIR)

# ---- tests ----
# tests/unit/test_<module>[_more].c -> one binary each, linked with its module and the
# stages below it only, so a module being rewritten does not break another's tests.
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
DEPS_base      := sip base
DEPS_sip       := sip base
DEPS_capture   := capture sip base
DEPS_net       := net capture sip base
DEPS_transport := transport net capture sip base
DEPS_stir      := stir sip base
DEPS_call      := call stir sip base
DEPS_signal    := signal call stir sip base
DEPS_diag      := diag signal call stir sip base
test_mod  = $(word 2,$(subst _, ,$(basename $(notdir $(1)))))
test_deps = $(foreach m,$(or $(DEPS_$(call test_mod,$(1))),$(LINK_ORDER)),$(BUILD)/lib/libsx_$(m).a)

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c tests/unit/harness.h $$(call test_deps,$$@)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(call test_deps,$@) $(LDLIBS) $(LDSAN)

# ---- fuzz ----
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_REPLAY := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
$(BUILD)/fuzz/%: fuzz/%.c fuzz/replay_main.c $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -o $@ $< fuzz/replay_main.c $(LINK_LIBS) $(LDLIBS) $(LDSAN)

FUZZ_CC    := clang-14
FUZZ_FLAGS := -std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS)
fuzz: deps
	@mkdir -p build/fuzz
	@for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); \
	  echo "  FUZZ $$n"; \
	  $(FUZZ_CC) $(FUZZ_FLAGS) -Isrc -o build/fuzz/$$n $$f $(foreach m,$(MODULES),$(call mod_srcs,$(m))) $(LDLIBS) || exit 1; \
	done

fuzz-smoke: fuzz
	@for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); mkdir -p build/fuzz/corpus-$$n; \
	  echo "== $$n (30 s)"; \
	  build/fuzz/$$n -max_total_time=30 -max_len=65536 build/fuzz/corpus-$$n fuzz/corpus/$$n || exit 1; \
	done

# ---- entry points ----
deps:
	@scripts/install-deps.sh

test: $(TEST_BINS) $(BUILD)/sipdx $(FUZZ_REPLAY)
	@scripts/run-tests.sh $(BUILD)

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SAN=1 all $(patsubst build/rel/%,build/san/%,$(TEST_BINS) $(FUZZ_REPLAY))
	@$(MAKE) --no-print-directory $(TEST_BINS) $(FUZZ_REPLAY)
	@scripts/run-tests.sh build/rel build/san

demo: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p build
	./sipdx analyze --carriers samples/carriers.txt --report build/demo-report.html samples/demo.pcap
	@echo "HTML report: build/demo-report.html   ladder of one call: ./sipdx show CALL-ID samples/demo.pcap"

bench: all
	bench/run.sh

clean:
	rm -rf build sipdx

help:
	@sed -n '2,11p' Makefile | sed 's/^# \{0,1\}//'

-include $(shell find build -name '*.d' 2>/dev/null)
