/* SPDX-License-Identifier: BSD-3-Clause */
/* Identity providers: [provider NAME] sections of the configuration file.
 *
 * Each provider is a whole struct pj_config: the options outside any section
 * are the defaults, and a section starts as a copy of them (src/config.c makes
 * the copies, as it parses).  A token is judged by the one provider whose
 * issuer equals its iss, with that provider's keys and rules only: keys of one
 * provider never verify a token that names another (RFC 8725 3.8).  Without
 * sections, the configuration is its one provider ("default").  The rules
 * about providers live here; the parsing of options stays in src/config.c. */
#ifndef PJ_PROVIDER_H
#define PJ_PROVIDER_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

struct pj_config;

#define PJ_PROVIDER_NAME_MAX 64
/* The name of the configuration without sections (map lines name it). */
#define PJ_PROVIDER_DEFAULT "default"

/* A section header line (trimmed): "[provider NAME]", spaces allowed around
 * the words.  NAME: 1 to PJ_PROVIDER_NAME_MAX of A-Z a-z 0-9 . _ -, not
 * "default".  0 with name filled, or -1 with e (origin names the line). */
int pj_provider_header(const char *line, char *name, size_t n, const char *origin, pj_err *e);

/* Options that hold for the whole host and are refused inside a section:
 * the stores (revocation_file, allowlist_file, one_time_file, user_map), the
 * fetching machinery (cache_dir, fetch_helper, fetch_timeout), and what the
 * PAM conversation and the session see (prompt, debug, export_claims). */
int pj_provider_global_only(const char *option);

/* After the file (and again after the PAM line or --set): every provider has
 * an issuer, no issuer belongs to two providers, no user_jwks_file outside a
 * section.  A configuration without sections passes as it is.  0 or -1. */
int pj_providers_check(const struct pj_config *cfg, pj_err *e);

/* The configuration that judges a token with these (unverified) claims: cfg
 * itself without sections; with them, the one provider whose issuer equals
 * the token's iss.  NULL with e saying why (no iss, or no provider has it). */
const struct pj_config *pj_provider_select(const struct pj_config *cfg, json_t *claims, pj_err *e);

/* A provider by the name pj_provider_label gave it ("" for a configuration
 * without sections): how account management finds the provider that judged
 * the login.  NULL when this configuration has no such provider. */
const struct pj_config *pj_provider_find(const struct pj_config *cfg, const char *label);

/* What names p in the log line, the tool's output and grants: its section's
 * name, or "" for a configuration without sections. */
const char *pj_provider_label(const struct pj_config *p);

/* The name map lines use: the section's, or PJ_PROVIDER_DEFAULT. */
const char *pj_provider_name(const struct pj_config *p);

/* Every algorithm some provider allows (the top level's own without
 * sections): what a token must use to be worth parsing further. */
unsigned pj_provider_algorithms(const struct pj_config *cfg);

#endif
