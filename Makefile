# shard: `make` builds build/shard; `make check` runs every test.
# SANITIZE=address,undefined builds into build/sanitize/ and tests that.
# V=1 shows full commands.

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libpq libcurl libxml-2.0 sqlite3 libcrypto zlib
SANITIZE ?=

ifeq ($(SANITIZE),)
BUILD := build
SAN_FLAGS :=
else
BUILD := build/sanitize
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARNINGS := -std=c11 -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings -Wvla \
	-Wimplicit-fallthrough -Werror
CFLAGS ?= -O2 -g
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
ALL_CFLAGS := $(WARNINGS) -D_POSIX_C_SOURCE=200809L -I. $(PKG_CFLAGS) \
	-pthread $(CFLAGS) $(SAN_FLAGS) -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)
LIBS := $(PKG_LIBS) -lm -pthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

CORE_SRC := $(sort $(wildcard shard/*.c report/*.c))
CMD_SRC := $(sort $(wildcard cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
CMD_OBJ := $(CMD_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIB := $(BUILD)/libshard.a

SHARE := $(BUILD)/share/shard/shard_pytest.py

all: $(BUILD)/shard $(SHARE)

$(SHARE): share/shard_pytest.py
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

$(BUILD)/shard: $(CMD_OBJ) $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJ) $(LIB) $(LIBS)

$(LIB): $(CORE_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(CMOCKA_LIBS) $(LIBS)

check: $(BUILD)/shard $(SHARE) $(UNIT_BIN)
	@SHARD_BIN=$(CURDIR)/$(BUILD)/shard SHARD_BUILD=$(CURDIR)/$(BUILD) \
		tests/run-tests $(UNIT_BIN) $(sort $(wildcard tests/cli/t[0-9]*.sh))

example: $(BUILD)/shard $(SHARE)
	@SHARD_BIN=$(CURDIR)/$(BUILD)/shard tests/example/run

bench: all
	bench/run-all

style:
	@tests/check-style $(CORE_SRC) $(CMD_SRC) $(UNIT_SRC)

clean:
	rm -rf build

.PHONY: all check example bench style clean
.SECONDARY:

-include $(CORE_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(UNIT_BIN:=.d)

# `make fuzz`: libFuzzer targets for every parser of untrusted input
# (tests/fuzz/fuzz_*.c, checks in tests/fuzz/targets.h), built with clang
# into build/fuzz/ over the core compiled again with the fuzzer's coverage
# and ASan/UBSan. Run one on its seed corpus (a scratch copy, since
# libFuzzer adds to the first directory it is given):
#   mkdir -p /tmp/c && build/fuzz/fuzz_junit /tmp/c tests/fuzz/corpus/junit
FUZZ_CC ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := $(WARNINGS) -D_POSIX_C_SOURCE=200809L -I. $(PKG_CFLAGS) \
	-pthread -g -O1 $(FUZZ_SAN) -MMD -MP
FUZZ_CORE_SRC := $(sort $(wildcard shard/*.c))
FUZZ_CORE_OBJ := $(FUZZ_CORE_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJ := $(FUZZ_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)

fuzz: $(FUZZ_BIN)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/libshard.a: $(FUZZ_CORE_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o \
		$(FUZZ_BUILD)/libshard.a
	@echo "  LINK    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -o $@ $< $(FUZZ_BUILD)/libshard.a $(LIBS)

.PHONY: fuzz

-include $(FUZZ_CORE_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
