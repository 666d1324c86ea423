# SPDX-License-Identifier: BSD-3-Clause
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
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null || \
                  echo /lib/systemd/system)
SCDOC      ?= $(shell command -v scdoc 2>/dev/null)
MAN_OUT     = $(patsubst man/%.scd,$(B)/man/%,$(wildcard man/*.scd))
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

# The client side (SSH_ASKPASS, SUDO_ASKPASS): plain C, no libraries.
all: $(B)/pam_jwt-askpass
$(B)/pam_jwt-askpass: $(B)/src/askpass/askpass.o
	$(CC) -pie -o $@ $^ $(ALL_LDFLAGS)

# The client (pam_jwt-login): its own directory and archive, linked with
# libcurl; the module and the tool never link any of it.
CLIENT_SRC  := $(filter-out src/client/main.c,$(wildcard src/client/*.c))
CLIENT_OBJ  := $(CLIENT_SRC:%.c=$(B)/%.o)
CLIENT_LIBS  = $(PKG_LIBS) $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)
all: $(B)/pam_jwt-login
$(B)/src/client/%.o: src/client/%.c $(wildcard src/*.h src/client/*.h) | deps-quiet
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(B)/libpjclient.a: $(CLIENT_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(B)/pam_jwt-login: $(B)/src/client/main.o $(B)/libpjclient.a $(B)/libpj.a
	$(CC) -pie -o $@ $^ $(ALL_LDFLAGS) $(CLIENT_LIBS)

$(B)/tests/test_client_%: tests/unit/test_client_%.c $(B)/libpjclient.a $(B)/libpj.a \
  $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libpjclient.a $(B)/libpj.a $(ALL_LDFLAGS) \
	  $(CLIENT_LIBS) -lcmocka

# Renders QR codes as PBM images for an independent decoder
# (tests/integration/client_qr.sh runs zbarimg on them).
$(B)/tests/qr_pbm: tests/helpers/qr_pbm.c $(B)/libpjclient.a $(B)/libpj.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(CLIENT_LIBS)
unit: $(B)/tests/qr_pbm

$(B)/tests/%: tests/unit/%.c $(B)/libpj.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libpj.a $(ALL_LDFLAGS) $(PKG_LIBS) -lcmocka

# Debian packages the build and the tests need; installed when missing and we
# are root, named otherwise.
DEB_BUILD := gcc make pkg-config libpam0g-dev libssl-dev libjansson-dev
# libcurl's header only: src/fetch.c dlopens libcurl.so.4, nothing links it.
DEB_BUILD += libcurl4-openssl-dev
DEB_TEST  := libcmocka-dev pamtester libpam-wrapper python3-jwt python3-jwcrypto openssl \
             valgrind
# The real logins (tests/integration/sshd.sh, sudo_su.sh).
DEB_TEST  += openssh-server openssh-client sudo python3-paramiko util-linux passwd login
# Fuzzing (libFuzzer) and the sanitizer builds (make fuzz, make san, make check).
DEB_TEST  += clang-14 libclang-rt-14-dev
# The Debian package (tests/integration/debian_package.sh builds, lintians and installs it).
DEB_TEST  += build-essential debhelper dpkg-dev lintian scdoc
# Keys over HTTPS (tests/integration/jwks_fetch.sh): libcurl at run time.
DEB_TEST  += libcurl4
# The client's QR codes, decoded by an independent reader (client_qr.sh);
# curl drives the test OpenID provider's controls (tests/helpers/oidc).
DEB_TEST  += zbar-tools curl
deps:
	@tests/deps.sh $(DEB_BUILD) $(DEB_TEST)
deps-build:
	@tests/deps.sh $(DEB_BUILD)
deps-quiet:
	@$(PKG_CONFIG) --exists $(PKGS) libcurl 2>/dev/null || tests/deps.sh $(DEB_BUILD)

$(B)/tests/logshim.so: tests/helpers/logshim.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $<

$(B)/tests/pam_authtok_is.so: tests/helpers/pam_authtok_is.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $< -lpam

unit: $(UNIT_BIN) $(B)/tests/logshim.so $(B)/tests/pam_authtok_is.so

check: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory hardening-build
	@VECTORS=$(VECTORS) tests/run-tests.sh $(UNIT_BIN)

# The demo needs only the build and pamtester through pam_wrapper.
DEB_DEMO := $(DEB_BUILD) pamtester libpam-wrapper openssl
demo:
	@tests/deps.sh $(DEB_DEMO)
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh

# Manual pages from the scdoc sources in man/; part of `all` when scdoc is installed.
.PHONY: man
all: $(if $(SCDOC),man)
man: $(MAN_OUT)
$(B)/man/%: man/%.scd
	@test -n "$(SCDOC)" || { echo "make man needs scdoc (Debian package scdoc)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(SCDOC) <$< >$@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/security
	install -m 0644 $(B)/pam_jwt.so $(DESTDIR)$(PAMDIR)/pam_jwt.so
	install -m 0755 $(B)/pam_jwt-tool $(DESTDIR)$(SBINDIR)/pam_jwt-tool
	test -e $(DESTDIR)$(SYSCONFDIR)/security/pam_jwt.conf || \
	  install -m 0644 conf/pam_jwt.conf $(DESTDIR)$(SYSCONFDIR)/security/pam_jwt.conf
	# What exists is installed: askpass, the systemd units in conf/, the built man
	# pages (pam_jwt-askpass.1 only with its program).
	for p in pam_jwt-askpass pam_jwt-login; do [ -x $(B)/$$p ] || continue; \
	  install -d $(DESTDIR)$(BINDIR) && install -m 0755 $(B)/$$p $(DESTDIR)$(BINDIR)/$$p || exit 1; \
	done
	for u in $(wildcard conf/*.service conf/*.timer); do install -d $(DESTDIR)$(SYSTEMDUNITDIR) && \
	  install -m 0644 $$u $(DESTDIR)$(SYSTEMDUNITDIR)/ || exit 1; done
	for m in $(MAN_OUT); do [ -f $$m ] || continue; \
	  case $$m in *askpass.1) [ -x $(B)/pam_jwt-askpass ] || continue;; \
	  *login.1) [ -x $(B)/pam_jwt-login ] || continue;; esac; \
	  d=$(DESTDIR)$(MANDIR)/man$${m##*.}; install -d $$d && install -m 0644 $$m $$d/ || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_jwt.so $(DESTDIR)$(SBINDIR)/pam_jwt-tool
	rm -f $(DESTDIR)$(BINDIR)/pam_jwt-askpass $(DESTDIR)$(BINDIR)/pam_jwt-login
	for m in $(notdir $(MAN_OUT)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(wildcard conf/*.service conf/*.timer)))

FORMAT_SRC = pam_jwt.c $(wildcard src/*.c src/*.h src/tool/*.c src/tool/*.h src/askpass/*.c \
             src/client/*.c src/client/*.h \
             tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h tests/helpers/*.c \
             tests/bench/*.c)
format:
	clang-format -i $(FORMAT_SRC)

format-check:
	clang-format --dry-run -Werror $(FORMAT_SRC)

clean:
	rm -rf $(B)

# ---- hardening: fuzzers, ASan+UBSan and TSan builds (all under $(B)/) ----
# make fuzz [FUZZ_SECONDS=N]: builds every tests/fuzz/fuzz_*.c and runs each
# for N seconds.  make san: the unit tests and tests/integration/pamtester.sh
# on an ASan+UBSan build.  make check builds all three (hardening-build) and
# its runner runs the short passes (tests/integration/fuzz.sh, sanitizers.sh,
# threads.sh).
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN     := address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -std=gnu11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -Wall \
               -DPJ_VERSION='"$(VERSION)"' -Isrc $(PKG_CFLAGS)
FUZZ_OBJ     := $(LIB_SRC:src/%.c=$(B)/fuzz/obj/%.o)
SAN_FLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
.PHONY: fuzz fuzz-build san san-build tsan-build hardening-build

$(B)/fuzz/obj/%.o: src/%.c $(wildcard src/*.h) | deps-quiet
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

# fuzz_client drives the client's parsers (src/client/), which link libcurl.
FUZZ_CLIENT_OBJ := $(CLIENT_SRC:src/%.c=$(B)/fuzz/obj/%.o)
$(B)/fuzz/obj/client/%.o: src/client/%.c $(wildcard src/*.h src/client/*.h) | deps-quiet
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<
$(B)/fuzz/fuzz_client: tests/fuzz/fuzz_client.c tests/fuzz/fuzz.h $(FUZZ_OBJ) $(FUZZ_CLIENT_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_CLIENT_OBJ) \
	  $(FUZZ_OBJ) $(CLIENT_LIBS)

# Named here so make keeps the objects between builds (not intermediate).
fuzz-build: $(FUZZ_OBJ) $(FUZZ_CLIENT_OBJ) $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@PJ_BUILD=$(B) tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# WERROR=0: the main build is the one held to -Werror; sanitizers change what
# gcc's flow analysis warns about.
san-build:
	@$(MAKE) --no-print-directory B=$(B)/san WERROR=0 SAN="$(SAN_FLAGS)" all unit

san: deps san-build
	@PJ_BUILD=$(B) tests/integration/sanitizers.sh

# Finds secrets left in freed memory (tests/integration/secrets.sh).
$(B)/tests/freecheck.so: tests/helpers/freecheck.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $< -ldl
unit: $(B)/tests/freecheck.so

# The module and an 8-thread PAM client, both built with -fsanitize=thread.
$(B)/tests/pam_threads: tests/helpers/pam_threads.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) -o $@ $< -lpam -lpthread -ldl

tsan-build:
	@$(MAKE) --no-print-directory B=$(B)/tsan WERROR=0 SAN=-fsanitize=thread \
	  $(B)/tsan/pam_jwt.so $(B)/tsan/pam_jwt-tool $(B)/tsan/tests/pam_threads

hardening-build: fuzz-build san-build tsan-build
