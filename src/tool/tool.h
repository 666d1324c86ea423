/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool: shared pieces of the commands. */
#ifndef PJ_TOOL_H
#define PJ_TOOL_H

#include <stddef.h>

#include "config.h"

#define EXIT_REJECTED 1
#define EXIT_USAGE    2

struct tool {
	const char *config_path; /* NULL: the default, which may be missing */
	const char *prog;
};

/* "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i past the value.
 * Returns 1 when matched, 0 when not, -1 (after a message) when the value is
 * missing. */
int tool_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* Loads the configuration the way the module does, for this user. */
int tool_load_config(const struct tool *t, struct pj_config *cfg);

/* Reads all of stdin (at most max bytes, one more to detect overflow). */
char *tool_read_stdin(size_t max, size_t *n);

/* Seconds since the epoch, or ISO 8601 UTC "2026-11-29T12:00:00Z". */
int tool_parse_time(const char *s, long long *out);

int cmd_verify(struct tool *t, int argc, char **argv);
int cmd_sign(struct tool *t, int argc, char **argv);
int cmd_keys(struct tool *t, int argc, char **argv);
/* fetch: refresh the cache of every jwks_url and discovery_url now. */
int cmd_fetch(struct tool *t, int argc, char **argv);

/* "EC/P-256", "RSA/2048"...: a key's type for listings. */
struct pj_key;
void tool_key_type(const struct pj_key *k, char *buf, size_t n);
/* One line on a fetched or cached document: age and freshness. */
struct pj_doc;
void tool_print_doc(const char *indent, const char *what, const struct pj_doc *d);
/* index: the key indexes of large JWKS; tool_index_all (fetch runs it too)
 * reports one line per jwks_file (and with urls, per cached JWKS): 0, or 1
 * when one has no current index (check) or could not get one. */
int cmd_index(struct tool *t, int argc, char **argv);
int tool_index_all(const struct pj_config *cfg, int check, int urls);
int tool_index_one(const struct pj_config *cfg, const char *what, const char *name,
		   const char *path, int after_head, int check);
/* publish: the revocation list as a signed feed. */
int cmd_publish(struct tool *t, int argc, char **argv);
/* status-list: build, set and sign Token Status Lists. */
int cmd_status_list(struct tool *t, int argc, char **argv);
/* A compact JWS of header and claims signed with key (malloc'ed), or NULL. */
#include <jansson.h>
#include "sig.h"
char *tool_make_token(const struct pj_key *key, enum pj_alg alg, json_t *header, json_t *claims,
		      pj_err *e);
/* revoke, unrevoke, list, prune, check, reindex, allow, unallow */
int cmd_revoke(struct tool *t, const char *cmd, int argc, char **argv);

#endif
