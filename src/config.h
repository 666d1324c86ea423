/* SPDX-License-Identifier: BSD-3-Clause */
/* One parser for /etc/security/pam_jwt.conf, module arguments and the tool's
 * --set: every option lives in struct pj_config. */
#ifndef PJ_CONFIG_H
#define PJ_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define PJ_DEFAULT_CONF		   "/etc/security/pam_jwt.conf"
#define PJ_DEFAULT_REVOCATION_FILE "/var/lib/pam_jwt/revocations"
#define PJ_DEFAULT_ONE_TIME_FILE   "/var/lib/pam_jwt/used"
#define PJ_DEFAULT_PROMPT	   "JWT: "
#define PJ_DEFAULT_LEEWAY	   60
#define PJ_MAX_TOKEN		   16384
#define PJ_CLAIM_NAME_MAX	   128 /* export_claims and require_claim names */

struct pj_strlist {
	char **v;
	size_t n;
	int layer; /* where the values came from: 0 defaults, 1 file, 2 arguments */
};

/* status_list = off | check | require */
enum { PJ_STATUS_OFF, PJ_STATUS_CHECK, PJ_STATUS_REQUIRE };

struct pj_config {
	struct pj_strlist issuer;
	struct pj_strlist audience;
	struct pj_strlist key_file; /* "PATH" or "KID=PATH" */
	struct pj_strlist jwks_file;
	struct pj_strlist require; /* claim names; default "exp" */
	unsigned algorithms;	   /* PJ_ALG_BIT mask */
	char *username_claim;	   /* a claim path (src/claims.h); NULL: sub */
	int username_off;	   /* username_claim = none: only user_map gives accounts */
	char *username_domain;	   /* the domain a username claim must be in, stripped */
	int username_case;	   /* PJ_CASE_*: how the claim's name becomes a login name */
	long leeway;
	long max_age;	   /* 0: off */
	long max_lifetime; /* 0: off */
	char *typ;
	char *revocation_file; /* NULL: the default, used when it exists */
	char *allowlist_file;
	int one_time;
	char *one_time_file;
	struct pj_strlist require_claim; /* "NAME=VALUE" each; every one must hold */
	struct pj_strlist export_claims; /* claim names put into the PAM environment */
	char *user_jwks_file;		 /* a path with %u: keys for that user only */
	char *user_map; /* LOCAL_USER provider=NAME CLAIM=VALUE... (src/usermap.h) */
	char *prompt;
	int debug;
	/* Keys from the identity provider (src/fetch.c). */
	struct pj_strlist jwks_url;	 /* https:// URLs of JWKS documents */
	struct pj_strlist discovery_url; /* OIDC discovery documents naming a jwks_uri */
	char *ca_file;			 /* NULL: the system's CAs */
	char *fetch_helper;		 /* NULL: PJ_FETCH_HELPER (src/fetch.h) */
	char *cache_dir;		 /* NULL: PJ_DEFAULT_CACHE_DIR */
	long fetch_timeout;		 /* seconds for all fetches of one login */
	long jwks_ttl_min, jwks_ttl_max; /* clamp Cache-Control max-age */
	long jwks_max_stale;		 /* a cached copy is used until this old */
	long jwks_refetch_interval;	 /* logins fetch a URL at most this often */
	size_t jwks_max_size;		 /* bytes of a JWKS (fetched or jwks_file) at most */
	/* Token Status List (src/statuslist.c). */
	int status_list;		   /* PJ_STATUS_OFF, _CHECK, _REQUIRE */
	struct pj_strlist status_list_url; /* https:// prefixes a status URI must start with */
	long status_list_ttl_min, status_list_ttl_max; /* clamp the list's ttl claim */
	long status_list_max_stale;		       /* a cached list is used until this old */
	/* The signed revocation feed (src/feed.c). */
	char *revocation_feed;		/* https:// URL; NULL: none */
	char *revocation_feed_key;	/* the public key that signs it */
	long revocation_feed_max_stale; /* the applied copy holds until this old */
	/* Who may own the files besides root: (uid_t)-1 in the module, the
	 * invoking user in the tool. */
	uid_t allowed_uid;
	/* The file read, for messages; the layer settings now come from. */
	char *path;
	int layer;
	int algorithms_layer;
	/* The tool's verify checks one-time tokens without using them up. */
	int no_record;
	/* [provider NAME] sections (src/provider.h): at the top level, one whole
	 * configuration per section (nproviders 0: the top level is the only
	 * provider); in a section's copy, provider is its name. */
	char *provider;
	struct pj_config *providers;
	size_t nproviders;
};

/* username_case: the claim's name as it is, or ASCII letters lowered (for
 * providers whose names ignore case: Entra ID, Google, Okta). */
#define PJ_CASE_EXACT 0
#define PJ_CASE_LOWER 1

/* Sets the defaults; -1 only when out of memory. */
int pj_config_init(struct pj_config *c, uid_t allowed_uid);
void pj_config_free(struct pj_config *c);

/* Applies one setting; origin names it in errors ("FILE:LINE" or "argument").
 * Settings made with c->layer = PJ_LAYER_ARGS override the file's: a list
 * option given there replaces the file's values instead of adding to them.
 * A section's options (PJ_LAYER_SECTION) replace the defaults' the same way.
 * At the top level of a configuration with sections, an PJ_LAYER_ARGS
 * setting is made in every provider too: the PAM line wins over the file
 * for all of them. */
#define PJ_LAYER_FILE	 1
#define PJ_LAYER_SECTION 2
#define PJ_LAYER_ARGS	 3
int pj_config_set(struct pj_config *c, const char *key, const char *value, const char *origin,
		  pj_err *e);

/* Reads a configuration file.  A missing file is an error only when
 * must_exist is set (an explicitly named file). */
int pj_config_load_file(struct pj_config *c, const char *path, int must_exist, pj_err *e);

/* The text of a configuration file (n bytes, NUL-terminated at n, changed in
 * place); path names it in errors.  pj_config_load_file's parser, exposed so
 * the fuzzer drives exactly it.  Options before the first "[provider NAME]"
 * line are the defaults; each section holds every line after its header up
 * to the next one, so the global options must come first. */
int pj_config_parse(struct pj_config *c, char *text, size_t n, const char *path, pj_err *e);

/* The module's way: argv may hold conf=FILE, PAM's own flags (use_first_pass,
 * try_first_pass, use_authtok, debug) and key=value overrides applied after
 * the file. */
int pj_config_from_args(struct pj_config *c, int argc, const char **argv, pj_err *e);

/* After settings made at PJ_LAYER_ARGS outside pj_config_from_args (the
 * tool's --set): the providers still hang together (pj_providers_check). */
int pj_config_finish(const struct pj_config *c, pj_err *e);

#endif
