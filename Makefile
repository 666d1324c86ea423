# pam_jwt: a plain Makefile.  `make` builds build/pam_jwt.so and build/pam_jwt-tool.
# `make demo`, `make check`, `make bench`, `make install` (DESTDIR, PREFIX).

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
PKGS       := pam openssl jansson
PKG_CONFIG ?= pkg-config
PAMDIR     ?= $(shell $(PKG_CONFIG) --variable=libdir pam 2>/dev/null || echo /lib)/security
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
B          := build
VECTORS    ?= $(abspath ../shared/vectors)

CC       ?= cc
WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wvla -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN     += -Werror
endif
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC -fvisibility=hidden
OPT      ?= -O2 -g
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -DPJ_VERSION='"$(VERSION)"' -Isrc \
             $(PKG_CFLAGS) $(CFLAGS) $(SAN)
ALL_LDFLAGS = -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS) $(SAN)

LIB_SRC  := $(wildcard src/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TOOL_SRC := $(wildcard src/tool/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all deps check unit integration demo bench install uninstall clean format format-check

all: $(B)/pam_jwt.so $(B)/pam_jwt-tool

$(B)/%.o: %.c $(wildcard src/*.h src/tool/*.h) | deps-quiet
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libpj.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/pam_jwt.so: $(B)/pam_jwt.o $(B)/libpj.a pam_jwt.map
	$(CC) -shared -o $@ $(B)/pam_jwt.o $(B)/libpj.a $(ALL_LDFLAGS) \
	  -Wl,--version-script=pam_jwt.map -Wl,-z,defs $(PKG_LIBS)

$(B)/pam_jwt-tool: $(TOOL_OBJ) $(B)/libpj.a
	$(CC) -pie -o $@ $(TOOL_OBJ) $(B)/libpj.a $(ALL_LDFLAGS) $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libpj.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libpj.a $(ALL_LDFLAGS) $(PKG_LIBS) -lcmocka

# Debian packages the build and the tests need; installed when missing and we
# are root, named otherwise.
DEB_BUILD := gcc make pkg-config libpam0g-dev libssl-dev libjansson-dev
DEB_TEST  := libcmocka-dev pamtester libpam-wrapper python3-jwt python3-jwcrypto openssl \
             valgrind
deps:
	@tests/deps.sh $(DEB_BUILD) $(DEB_TEST)
deps-build:
	@tests/deps.sh $(DEB_BUILD)
deps-quiet:
	@$(PKG_CONFIG) --exists $(PKGS) 2>/dev/null || tests/deps.sh $(DEB_BUILD)

$(B)/tests/logshim.so: tests/helpers/logshim.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $<

$(B)/tests/pam_authtok_is.so: tests/helpers/pam_authtok_is.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $< -lpam

unit: $(UNIT_BIN) $(B)/tests/logshim.so $(B)/tests/pam_authtok_is.so

check: deps
	@$(MAKE) --no-print-directory all unit
	@VECTORS=$(VECTORS) tests/run-tests.sh $(UNIT_BIN)

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/security
	install -m 0644 $(B)/pam_jwt.so $(DESTDIR)$(PAMDIR)/pam_jwt.so
	install -m 0755 $(B)/pam_jwt-tool $(DESTDIR)$(SBINDIR)/pam_jwt-tool
	test -e $(DESTDIR)$(SYSCONFDIR)/security/pam_jwt.conf || \
	  install -m 0644 conf/pam_jwt.conf $(DESTDIR)$(SYSCONFDIR)/security/pam_jwt.conf

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_jwt.so $(DESTDIR)$(SBINDIR)/pam_jwt-tool

format:
	clang-format -i pam_jwt.c src/*.c src/*.h src/tool/*.c tests/unit/*.c tests/unit/*.h

format-check:
	clang-format --dry-run -Werror pam_jwt.c src/*.c src/*.h src/tool/*.c

clean:
	rm -rf $(B)
