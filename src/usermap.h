/* SPDX-License-Identifier: BSD-3-Clause */
/* user_map: which provider identities may log in as which local account, in
 * the spirit of sshd's AuthorizedPrincipalsFile.  One rule a line:
 *
 *   LOCAL_USER provider=NAME CLAIM=VALUE [CLAIM=VALUE]...
 *
 * "a token of provider NAME whose claims all hold may log in as LOCAL_USER".
 * CLAIM is a claim path (src/claims.h: nested names with '.'), VALUE holds as
 * in require_claim (equal, an array member, a word of a scope string); an
 * email claim holds only when a present email_verified is true.  '#' starts a
 * comment line; a line without a CLAIM=VALUE, or naming a provider the
 * configuration does not have, is malformed, and a malformed line refuses
 * every login (the file is trusted like the configuration, and a rule that
 * cannot be read could be the one that keeps someone out).  Nothing here
 * knows PAM: src/verify.c consults it when it binds a token to a login. */
#ifndef PJ_USERMAP_H
#define PJ_USERMAP_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

struct pj_config;
struct pj_usermap;

/* Reads cfg->user_map (held to the configuration file's trust rules; it
 * must exist).  0 with *out set (free with pj_usermap_free), or -1 with e
 * naming the file and line. */
int pj_usermap_load(const struct pj_config *cfg, struct pj_usermap **out, pj_err *e);

/* The text of a map file (n bytes, changed in place); path names it in
 * errors; provider names are checked against cfg's (NULL: not checked).
 * pj_usermap_load's parser, exposed so the fuzzer drives exactly it. */
int pj_usermap_parse(char *text, size_t n, const char *path, const struct pj_config *cfg,
		     struct pj_usermap **out, pj_err *e);

/* The line number of the first rule that lets a token of provider (its map
 * name, src/provider.h) with these verified claims log in as user; 0 when no
 * rule does. */
unsigned pj_usermap_grants(const struct pj_usermap *m, const char *provider, const char *user,
			   json_t *claims);

/* How many rules the map has (for messages and the tool). */
size_t pj_usermap_rules(const struct pj_usermap *m);

void pj_usermap_free(struct pj_usermap *m);

#endif
