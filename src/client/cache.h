/* SPDX-License-Identifier: BSD-3-Clause */
/* The token cache: one file per provider, client and audience in a private
 * directory ($XDG_CACHE_HOME/pam_jwt, else ~/.cache/pam_jwt), treated like
 * an SSH private key: the directory must be the user's and mode 0700, each
 * file the user's, regular and mode 0600, or it is refused, never used or
 * "repaired".  Files are replaced atomically (a temporary file, fsync,
 * rename), and a lock file per entry keeps two logins for the same target
 * from refreshing (or asking the user) twice. */
#ifndef PJ_CLIENT_CACHE_H
#define PJ_CLIENT_CACHE_H

#include <limits.h>
#include <stddef.h>

#include "client/conf.h"
#include "err.h"

#define PJ_TOKEN_MAX 16384 /* the module's limit on a token */

struct pj_tokens {
	char *access_token;
	char *refresh_token;  /* NULL when the provider gave none */
	long long expires_at; /* seconds since the epoch; 0 when unknown */
	long long obtained_at;
	/* What the entry is for, for `pam_jwt-login status`. */
	char *issuer, *client_id, *scope, *resource, *audience;
};

struct pj_cache {
	int dirfd;
	char dir[PATH_MAX];
};

/* The cache directory's path (not created). */
int pj_cache_path(char *out, size_t n, pj_err *e);

/* Opens dir (NULL: pj_cache_path), creating it mode 0700 when create is set,
 * and checks it. */
int pj_cache_open(struct pj_cache *c, const char *dir, int create, pj_err *e);
void pj_cache_close(struct pj_cache *c);

/* The entry's name: the hex SHA-256 of what makes a token different
 * (discovery URL, client id, grant, scope, resource, audience). */
int pj_cache_key(const struct pj_ccfg *cfg, char key[65]);

/* Takes the entry's lock (blocking).  Returns its descriptor (closing it
 * releases the lock) or -1. */
int pj_cache_lock(struct pj_cache *c, const char *key, pj_err *e);

/* Returns 1 with t filled, 0 when there is no entry (or a broken one,
 * reported in e as a warning), -1 when the file must not be used. */
int pj_cache_read(struct pj_cache *c, const char *key, struct pj_tokens *t, pj_err *e);
int pj_cache_write(struct pj_cache *c, const char *key, const struct pj_tokens *t, pj_err *e);
/* Removes the entry; 0 also when there was none. */
int pj_cache_remove(struct pj_cache *c, const char *key, pj_err *e);

/* The entry's text form, for the cache and the fuzzer. */
int pj_tokens_parse(const char *text, size_t n, struct pj_tokens *t, pj_err *e);
char *pj_tokens_format(const struct pj_tokens *t, size_t *n);
void pj_tokens_free(struct pj_tokens *t);

/* Frees a string after wiping it. */
void pj_wipe_str(char *s);

#endif
