# SPDX-License-Identifier: BSD-3-Clause
# pam_jwt: a plain Makefile.  `make` builds build/pam_jwt.so, build/pam_jwt-tool and the
# fetch helper build/pam_jwt-fetch, and the client side: build/pam_jwt-askpass and
# build/pam_jwt-login.
# `make demo`, `make check`, `make bench`, `make install` (DESTDIR, PREFIX).
# One short line per step; `make V=1` shows the whole commands.

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
LIBEXECDIR ?= $(PREFIX)/libexec
# The fetch helper's installed path, compiled into the module and the tool
# (src/fetch.h PJ_FETCH_HELPER; fetch_helper overrides it).
FETCH_HELPER = $(LIBEXECDIR)/pam_jwt/pam_jwt-fetch
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
             -DPJ_FETCH_HELPER='"$(FETCH_HELPER)"' $(PKG_CFLAGS) $(CFLAGS) $(SAN)
ALL_LDFLAGS = -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS) $(SAN)

# How a step is shown: one short line per file ("  CC      src/keys.c"), the
# whole command with V=1 (the Linux kernel's and automake's silent rules),
# nothing with make -s.  TAG names a second build (san, tsan) in its lines.
V ?= 0
ifeq ($(V),1)
Q :=
show = @:
else
Q := @
show = @printf '  %-7s %s\n' '$(1)' '$(2)$(if $(TAG), [$(TAG)])'
endif
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
show = @:
endif

LIB_SRC  := $(wildcard src/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TOOL_SRC := $(wildcard src/tool/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/%.o)
HELPER_SRC := $(wildcard src/fetchhelper/*.c)
HELPER_OBJ := $(HELPER_SRC:%.c=$(B)/%.o)
# zlib for status lists (src/lst/): the helper inflates, the tool builds;
# never the module, so never libpj.a.
LST_OBJ  := $(B)/src/lst/lst.o
ZLIB_LIBS = $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
# Compiled apart from their link: a change to one source file (make mutate
# builds one after another) relinks the tests instead of compiling them all.
UNIT_OBJ := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/obj/%.o)

.PHONY: all deps check unit integration demo bench install uninstall clean format format-check \
        FORCE

all: $(B)/pam_jwt.so

HEADERS := $(wildcard src/*.h src/tool/*.h src/fetchhelper/*.h src/lst/*.h)
$(B)/%.o: %.c $(HEADERS) | deps-quiet
	@mkdir -p $(dir $@)
	$(call show,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The helper's path is compiled in: a file that changes when it does, so that
# `make install PREFIX=...` after `make` rebuilds what holds it.
$(B)/fetch-helper.path: FORCE
	@mkdir -p $(B)
	@echo '$(FETCH_HELPER)' | cmp -s - $@ || echo '$(FETCH_HELPER)' >$@
$(B)/src/fetch.o $(B)/fuzz/obj/fetch.o: $(B)/fetch-helper.path

$(B)/libpj.a: $(LIB_OBJ)
	$(call show,AR,$@)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(B)/pam_jwt.so: $(B)/pam_jwt.o $(B)/libpj.a pam_jwt.map
	$(call show,LD,$@)
	$(Q)$(CC) -shared -o $@ $(B)/pam_jwt.o $(B)/libpj.a $(ALL_LDFLAGS) \
	  -Wl,--version-script=pam_jwt.map -Wl,-z,defs $(PKG_LIBS)

# Programs: each is a name in PROGRAMS with its objects (NAME_OBJ) and
# libraries (NAME_LIBS); one rule links them all into $(B)/NAME.  A new
# program is three lines here.
PROGRAMS += pam_jwt-tool
pam_jwt-tool_OBJ := $(TOOL_OBJ) $(LST_OBJ) $(B)/libpj.a
pam_jwt-tool_LIBS = $(PKG_LIBS) $(ZLIB_LIBS)
# The client side (SSH_ASKPASS, SUDO_ASKPASS): the parts format from libpj.a
# (src/parts.c), libcrypto for its SHA-256, nothing else.
PROGRAMS += pam_jwt-askpass
pam_jwt-askpass_OBJ := $(B)/src/askpass/askpass.o $(B)/libpj.a
pam_jwt-askpass_LIBS = $(shell $(PKG_CONFIG) --libs libcrypto)

# The fetch helper (src/fetchhelper/): the only program of the server side that
# links libcurl.
PROGRAMS += pam_jwt-fetch
CURL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS   = $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)
$(HELPER_OBJ): ALL_CFLAGS += $(CURL_CFLAGS)
pam_jwt-fetch_OBJ := $(HELPER_OBJ) $(LST_OBJ) $(B)/libpj.a
pam_jwt-fetch_LIBS = $(CURL_LIBS) $(PKG_LIBS) $(ZLIB_LIBS)

# The client (src/client/, pam_jwt-login): gets the user's tokens from the
# identity provider.  Its own directory and archive, linked with libcurl; it
# runs as the user on the machines people log in from (its own Debian
# package), and the module, the tool and the fetch helper link none of it.
CLIENT_SRC  := $(filter-out src/client/main.c,$(wildcard src/client/*.c))
CLIENT_OBJ  := $(CLIENT_SRC:%.c=$(B)/%.o)
CLIENT_LIBS  = $(CURL_LIBS) $(PKG_LIBS)
$(B)/src/client/%.o: src/client/%.c $(HEADERS) $(wildcard src/client/*.h) | deps-quiet
	@mkdir -p $(dir $@)
	$(call show,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(CURL_CFLAGS) -c -o $@ $<
$(B)/libpjclient.a: $(CLIENT_OBJ)
	$(call show,AR,$@)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^
PROGRAMS += pam_jwt-login
pam_jwt-login_OBJ := $(B)/src/client/main.o $(B)/libpjclient.a $(B)/libpj.a
pam_jwt-login_LIBS = $(CLIENT_LIBS)

all: $(PROGRAMS:%=$(B)/%)
.SECONDEXPANSION:
$(PROGRAMS:%=$(B)/%): $(B)/%: $$($$*_OBJ)
	$(call show,LD,$@)
	$(Q)$(CC) -pie -o $@ $($*_OBJ) $(ALL_LDFLAGS) $($*_LIBS)

$(UNIT_OBJ): $(B)/tests/obj/%.o: tests/unit/%.c $(HEADERS) $(wildcard src/client/*.h) \
  $(wildcard tests/unit/*.h) | deps-quiet
	@mkdir -p $(dir $@)
	$(call show,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(CURL_CFLAGS) -Itests/unit -c -o $@ $<

$(B)/tests/test_client_%: $(B)/tests/obj/test_client_%.o $(B)/libpjclient.a $(B)/libpj.a
	@mkdir -p $(dir $@)
	$(call show,LD,$@)
	$(Q)$(CC) -o $@ $< $(B)/libpjclient.a $(B)/libpj.a $(ALL_LDFLAGS) $(CLIENT_LIBS) -lcmocka

# Renders QR codes as PBM images for an independent decoder
# (tests/integration/client_qr.sh runs zbarimg on them).
$(B)/tests/qr_pbm: tests/helpers/qr_pbm.c $(B)/libpjclient.a $(B)/libpj.a
	@mkdir -p $(dir $@)
	$(call show,CCLD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(CLIENT_LIBS)

$(B)/tests/test_%: $(B)/tests/obj/test_%.o $(B)/libpj.a $(LST_OBJ)
	@mkdir -p $(dir $@)
	$(call show,LD,$@)
	$(Q)$(CC) -o $@ $< $(LST_OBJ) $(B)/libpj.a $(ALL_LDFLAGS) $(PKG_LIBS) $(ZLIB_LIBS) -lcmocka

# Test helpers preloaded or loaded by PAM (tests/helpers/NAME.c ->
# $(B)/tests/NAME.so, with NAME_LIBS): the log capture, an authtok checker
# and the freed-memory scanner (tests/integration/secrets.sh).
SHIMS := logshim pam_authtok_is freecheck syncorder
pam_authtok_is_LIBS := -lpam
freecheck_LIBS := -ldl
syncorder_LIBS := -ldl
$(B)/tests/%.so: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(call show,CCLD,$@)
	$(Q)$(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $< $($*_LIBS)

# Debian packages the build and the tests need; installed when missing and we
# are root, named otherwise.
DEB_BUILD := gcc make pkg-config libpam0g-dev libssl-dev libjansson-dev
# libcurl for the fetch helper (src/fetchhelper/) and the client (src/client/).
DEB_BUILD += libcurl4-openssl-dev
# zlib for the helper and the tool (status lists); libcurl already needs zlib1g.
DEB_BUILD += zlib1g-dev
DEB_TEST  := libcmocka-dev pamtester libpam-wrapper python3-jwt python3-jwcrypto openssl \
             valgrind
# The real logins (tests/integration/sshd.sh, sudo_su.sh).
DEB_TEST  += openssh-server openssh-client sudo python3-paramiko util-linux passwd login
# Fuzzing (libFuzzer) and the sanitizer builds (make fuzz, make san, make check).
DEB_TEST  += clang-14 libclang-rt-14-dev
# The Debian package (tests/integration/debian_package.sh builds, lintians and installs it).
DEB_TEST  += build-essential debhelper dpkg-dev lintian scdoc
# Keys over HTTPS (tests/integration/jwks_fetch.sh): libcurl at run time; the
# curl CLI shows fetch_env.sh's bait is live (what libcurl does when it reads
# the environment).
DEB_TEST  += libcurl4 curl
# The simulated fleet's static server (tests/integration/fleet.sh starts its
# own, on 127.0.0.1, with a configuration and prefix of its own).
DEB_TEST  += nginx
# make demo from a fresh clone (tests/integration/demo_fresh_clone.sh).
DEB_TEST  += git
# The client's QR codes, read back by a decoder that is not ours (client_qr.sh,
# client_login.sh).
DEB_TEST  += zbar-tools
deps:
	@tests/deps.sh $(DEB_BUILD) $(DEB_TEST)
deps-build:
	@tests/deps.sh $(DEB_BUILD)
deps-quiet:
	@$(PKG_CONFIG) --exists $(PKGS) libcurl zlib 2>/dev/null || tests/deps.sh $(DEB_BUILD)

# A PAM application that counts its SIGCHLDs (tests/integration/fetch_env.sh).
$(B)/tests/pam_sigchld: tests/helpers/pam_sigchld.c
	@mkdir -p $(dir $@)
	$(call show,CCLD,$@)
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -o $@ $< -lpam

# A PAM application that drives one handle through a sequence of calls
# (tests/integration/authz.sh: authenticated again, the earlier grant dropped).
$(B)/tests/pam_handle: tests/helpers/pam_handle.c
	@mkdir -p $(dir $@)
	$(call show,CCLD,$@)
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -o $@ $< -lpam

unit: $(UNIT_BIN) $(UNIT_OBJ) $(SHIMS:%=$(B)/tests/%.so) $(B)/tests/pam_sigchld $(B)/tests/pam_handle \
      $(B)/tests/qr_pbm

check: deps
	@echo "check: building the module, the tools, the unit tests and the test helpers"
	@$(MAKE) --no-print-directory all unit
	@echo "check: building the fuzzers, the ASan+UBSan build and the TSan build"
	@$(MAKE) --no-print-directory hardening-build
	@VECTORS=$(VECTORS) tests/run-tests.sh $(UNIT_BIN)

# The demo needs only the build, the log capture and pamtester through pam_wrapper.
DEB_DEMO := $(DEB_BUILD) pamtester libpam-wrapper openssl
.PHONY: demo-build
demo-build: all $(B)/tests/logshim.so
demo:
	@tests/deps.sh $(DEB_DEMO)
	@$(MAKE) --no-print-directory demo-build
	@tests/demo.sh

# The bench's peer for a login (tests/bench/libjwt_es256.c): libjwt, as Debian ships it.
DEB_BENCH := libjwt-dev
bench:
	@tests/deps.sh $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH)
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh

# Mutation testing (not part of check; hours): every mutant of
# tests/mutate/mutants.txt in a copy of the tree under build/mutate/, against
# the fast tests, then the rest; prints the score and each survivor.
# make mutate MUTATE_ARGS="--only ID,ID | --fast | --check | --jobs 1 ...".
.PHONY: mutate
mutate: deps
	@tests/mutate/run.sh $(MUTATE_ARGS)

# Manual pages from the scdoc sources in man/; part of `all` when scdoc is installed.
.PHONY: man
all: $(if $(SCDOC),man)
man: $(MAN_OUT)
$(B)/man/%: man/%.scd
	@test -n "$(SCDOC)" || { echo "make man needs scdoc (Debian package scdoc)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(call show,GEN,$@)
	$(Q)$(SCDOC) <$< >$@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/security
	install -m 0644 $(B)/pam_jwt.so $(DESTDIR)$(PAMDIR)/pam_jwt.so
	install -m 0755 $(B)/pam_jwt-tool $(DESTDIR)$(SBINDIR)/pam_jwt-tool
	install -d $(DESTDIR)$(LIBEXECDIR)/pam_jwt
	install -m 0755 $(B)/pam_jwt-fetch $(DESTDIR)$(FETCH_HELPER)
	test -e $(DESTDIR)$(SYSCONFDIR)/security/pam_jwt.conf || \
	  install -m 0644 conf/pam_jwt.conf $(DESTDIR)$(SYSCONFDIR)/security/pam_jwt.conf
	# What exists is installed: the client side (askpass, login), the systemd units
	# in conf/, the built man pages (a program's only with its program).
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
	rm -f $(DESTDIR)$(FETCH_HELPER)
	-rmdir $(DESTDIR)$(LIBEXECDIR)/pam_jwt 2>/dev/null
	rm -f $(DESTDIR)$(BINDIR)/pam_jwt-askpass $(DESTDIR)$(BINDIR)/pam_jwt-login
	for m in $(notdir $(MAN_OUT)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(wildcard conf/*.service conf/*.timer)))

FORMAT_SRC = pam_jwt.c $(wildcard src/*.c src/*.h src/tool/*.c src/tool/*.h src/askpass/*.c \
             src/fetchhelper/*.c src/fetchhelper/*.h src/lst/*.c src/lst/*.h \
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
# make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="token config"]: builds every
# tests/fuzz/fuzz_*.c and runs each (or those named) for N seconds; each clean
# run goes into build/fuzz/ledger, which sums the executions per target on the
# same sources (tests/fuzz/run.sh).  make san: the unit tests and tests/integration/pamtester.sh
# on an ASan+UBSan build.  make check builds all three (hardening-build) and
# its runner runs the short passes (tests/integration/fuzz.sh, sanitizers.sh,
# threads.sh).
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SAN     := address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = -std=gnu11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -Wall \
               -DPJ_VERSION='"$(VERSION)"' -DPJ_FETCH_HELPER='"$(FETCH_HELPER)"' -Isrc $(PKG_CFLAGS)
FUZZ_OBJ     := $(LIB_SRC:src/%.c=$(B)/fuzz/obj/%.o) $(B)/fuzz/obj/lst/lst.o
SAN_FLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
.PHONY: fuzz fuzz-build san san-build tsan-build hardening-build

$(B)/fuzz/obj/%.o: src/%.c $(wildcard src/*.h src/lst/*.h) | deps-quiet
	@mkdir -p $(dir $@)
	$(call show,CC,$< [fuzz])
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(call show,CCLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS) \
	  $(ZLIB_LIBS)

# fuzz_client drives the client's parsers (src/client/), which link libcurl.
FUZZ_CLIENT_OBJ := $(CLIENT_SRC:src/%.c=$(B)/fuzz/obj/%.o)
$(B)/fuzz/obj/client/%.o: src/client/%.c $(wildcard src/*.h src/client/*.h) | deps-quiet
	@mkdir -p $(dir $@)
	$(call show,CC,$< [fuzz])
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(CURL_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<
$(B)/fuzz/fuzz_client: tests/fuzz/fuzz_client.c tests/fuzz/fuzz.h $(FUZZ_OBJ) $(FUZZ_CLIENT_OBJ)
	$(call show,CCLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_CLIENT_OBJ) \
	  $(FUZZ_OBJ) $(CLIENT_LIBS) $(ZLIB_LIBS)

# fuzz_cache includes the fetch helper's HTTPS code (src/fetchhelper/http.c)
# for its header parser, which links libcurl.
$(B)/fuzz/fuzz_cache: tests/fuzz/fuzz_cache.c tests/fuzz/fuzz.h src/fetchhelper/http.c \
  $(wildcard src/fetchhelper/*.h) $(FUZZ_OBJ)
	$(call show,CCLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(CURL_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< \
	  $(FUZZ_OBJ) $(CURL_LIBS) $(PKG_LIBS) $(ZLIB_LIBS)

# Named here so make keeps the objects between builds (not intermediate).
fuzz-build: $(FUZZ_OBJ) $(FUZZ_CLIENT_OBJ) $(FUZZ_ALL:%=$(B)/fuzz/fuzz_%)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@PJ_BUILD=$(B) tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# WERROR=0: the main build is the one held to -Werror; sanitizers change what
# gcc's flow analysis warns about.
san-build:
	@$(MAKE) --no-print-directory B=$(B)/san TAG=san WERROR=0 SAN="$(SAN_FLAGS)" all unit

san: deps san-build
	@PJ_BUILD=$(B) tests/integration/sanitizers.sh

# The module and an 8-thread PAM client, both built with -fsanitize=thread.
$(B)/tests/pam_threads: tests/helpers/pam_threads.c
	@mkdir -p $(dir $@)
	$(call show,CCLD,$@)
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) -o $@ $< -lpam -lpthread -ldl

tsan-build:
	@$(MAKE) --no-print-directory B=$(B)/tsan TAG=tsan WERROR=0 SAN=-fsanitize=thread \
	  $(B)/tsan/pam_jwt.so $(B)/tsan/pam_jwt-tool $(B)/tsan/tests/pam_threads

hardening-build: fuzz-build san-build tsan-build
