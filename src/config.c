/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "claims.h"
#include "document.h"
#include "feed.h"
#include "fetch.h"
#include "provider.h"
#include "sig.h"
#include "statuslist.h"
#include "util.h"

#define PJ_MAX_CONF    (1024 * 1024)
#define PJ_MAX_SECONDS (10L * 366 * 86400)

static int strlist_add(struct pj_strlist *l, const char *s, size_t n)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	l->v = v;
	l->v[l->n] = strndup(s, n);
	if (!l->v[l->n])
		return -1;
	l->n++;
	return 0;
}

static void strlist_free(struct pj_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int pj_config_init(struct pj_config *c, uid_t allowed_uid)
{
	memset(c, 0, sizeof(*c));
	c->algorithms = PJ_ALGS_ASYMMETRIC;
	c->leeway = PJ_DEFAULT_LEEWAY;
	c->allowed_uid = allowed_uid;
	c->fetch_timeout = PJ_DEFAULT_FETCH_TIMEOUT;
	c->jwks_ttl_min = PJ_DEFAULT_JWKS_TTL_MIN;
	c->jwks_ttl_max = PJ_DEFAULT_JWKS_TTL_MAX;
	c->jwks_max_stale = PJ_DEFAULT_JWKS_MAX_STALE;
	c->jwks_refetch_interval = PJ_DEFAULT_JWKS_REFETCH_INTERVAL;
	c->jwks_max_size = PJ_JWKS_MAX_SIZE;
	c->status_list = PJ_STATUS_CHECK;
	c->status_list_ttl_min = PJ_DEFAULT_STATUS_LIST_TTL_MIN;
	c->status_list_ttl_max = PJ_DEFAULT_STATUS_LIST_TTL_MAX;
	c->status_list_max_stale = PJ_DEFAULT_STATUS_LIST_MAX_STALE;
	c->revocation_feed_max_stale = PJ_DEFAULT_REVOCATION_FEED_MAX_STALE;
	return strlist_add(&c->require, "exp", 3);
}

enum opt_kind {
	OPT_LIST,
	OPT_PATHS,
	OPT_KEYFILES,
	OPT_ALGS,
	OPT_STRING,
	OPT_PATH,
	OPT_SECONDS,
	OPT_BOOL,
	OPT_URLS,
	OPT_CLAIM_RULE,
	OPT_CLAIM_NAMES,
	OPT_USER_PATH,
	OPT_CASE,
	OPT_SIZE,
	OPT_STATUS_MODE,
	OPT_URL
};

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off;
};

/* clang-format off */
#define O(name, kind) { #name, kind, offsetof(struct pj_config, name) }
/* clang-format on */
static const struct opt opts[] = {
	O(issuer, OPT_LIST),
	O(audience, OPT_LIST),
	O(key_file, OPT_KEYFILES),
	O(jwks_file, OPT_PATHS),
	O(algorithms, OPT_ALGS),
	O(username_claim, OPT_STRING),
	O(username_domain, OPT_STRING),
	O(username_case, OPT_CASE),
	O(user_map, OPT_PATH),
	O(leeway, OPT_SECONDS),
	O(require, OPT_LIST),
	O(max_age, OPT_SECONDS),
	O(max_lifetime, OPT_SECONDS),
	O(typ, OPT_STRING),
	O(revocation_file, OPT_PATH),
	O(prompt, OPT_STRING),
	O(debug, OPT_BOOL),
	O(allowlist_file, OPT_PATH),
	O(one_time, OPT_BOOL),
	O(one_time_file, OPT_PATH),
	O(jwks_url, OPT_URLS),
	O(discovery_url, OPT_URLS),
	O(ca_file, OPT_PATH),
	O(fetch_helper, OPT_PATH),
	O(cache_dir, OPT_PATH),
	O(fetch_timeout, OPT_SECONDS),
	O(jwks_ttl_min, OPT_SECONDS),
	O(jwks_ttl_max, OPT_SECONDS),
	O(jwks_max_stale, OPT_SECONDS),
	O(jwks_refetch_interval, OPT_SECONDS),
	O(jwks_max_size, OPT_SIZE),
	O(require_claim, OPT_CLAIM_RULE),
	O(export_claims, OPT_CLAIM_NAMES),
	O(user_jwks_file, OPT_USER_PATH),
	O(status_list, OPT_STATUS_MODE),
	O(status_list_url, OPT_URLS),
	O(status_list_ttl_min, OPT_SECONDS),
	O(status_list_ttl_max, OPT_SECONDS),
	O(status_list_max_stale, OPT_SECONDS),
	O(revocation_feed, OPT_URL),
	O(revocation_feed_key, OPT_PATH),
	O(revocation_feed_max_stale, OPT_SECONDS),
};
#undef O

static const struct opt *find_opt(const char *key)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(opts[i].name, key) == 0)
			return &opts[i];
	return NULL;
}

static int parse_seconds(const char *v, long *out)
{
	if (!*v)
		return -1;
	for (const char *p = v; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	errno = 0;
	long x = strtol(v, NULL, 10);
	if (errno || x > PJ_MAX_SECONDS)
		return -1;
	*out = x;
	return 0;
}

/* Bytes, or KiB and MiB with a K or M right after the number ("16M"). */
static int parse_size(const char *v, size_t *out)
{
	size_t n = strspn(v, "0123456789"), unit = 1;
	if (n == 0 || n > 9)
		return -1;
	if (v[n] == 'K' && !v[n + 1])
		unit = 1024;
	else if (v[n] == 'M' && !v[n + 1])
		unit = 1024 * 1024;
	else if (v[n])
		return -1;
	unsigned long long x = strtoull(v, NULL, 10) * unit;
	if (x < PJ_JWKS_MAX_SIZE_MIN || x > PJ_JWKS_MAX_SIZE_CAP)
		return -1;
	*out = (size_t)x;
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" },
			  *no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* Lists are space- or comma-separated so that they can be written on a PAM
 * line (no spaces there) and in the file alike. */
typedef int (*word_fn)(struct pj_config *c, const struct opt *o, const char *w, size_t n,
		       const char *origin, pj_err *e);

static int each_word(struct pj_config *c, const struct opt *o, const char *v, word_fn fn,
		     const char *origin, pj_err *e)
{
	size_t words = 0;
	while (*v) {
		size_t skip = strspn(v, " \t,");
		v += skip;
		size_t n = strcspn(v, " \t,");
		if (n == 0)
			break;
		if (fn(c, o, v, n, origin, e) != 0)
			return -1;
		words++;
		v += n;
	}
	/* export_claims may be emptied, like lists, to override the file's. */
	if (words == 0 && o->kind != OPT_LIST && o->kind != OPT_CLAIM_NAMES)
		return pj_fail(e, "%s: %s needs a value", origin, o->name);
	return 0;
}

/* Claim names as export_claims and require_claim take them: printable ASCII
 * without '=' (which ends the name in require_claim), bounded. */
static int claim_name_ok(const char *w, size_t n)
{
	if (n == 0 || n > PJ_CLAIM_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)w[i] <= 0x20 || (unsigned char)w[i] >= 0x7f || w[i] == '=')
			return 0;
	return 1;
}

static int add_word(struct pj_config *c, const struct opt *o, const char *w, size_t n,
		    const char *origin, pj_err *e)
{
	struct pj_strlist *l = (struct pj_strlist *)((char *)c + o->off);
	if ((o->kind == OPT_PATHS && w[0] != '/'))
		return pj_fail(e, "%s: %s must be an absolute path", origin, o->name);
	if (o->kind == OPT_KEYFILES) {
		/* "PATH" or "KID=PATH": the kid a PEM key answers to. */
		const char *eq = memchr(w, '=', n);
		const char *path = w[0] == '/' ? w : eq ? eq + 1 : w;
		if (path[0] != '/' || (eq && w[0] != '/' && eq == w))
			return pj_fail(e, "%s: key_file must be an absolute path or KID=PATH",
				       origin);
	}
	if (o->kind == OPT_URLS) {
		/* Refused here, so a plain-http source is a configuration error
		 * named with its line, not a surprise at the first login. */
		char url[PJ_URL_MAX + 1];
		pj_err why;
		if (n > PJ_URL_MAX)
			return pj_fail(e, "%s: %s is longer than %d bytes", origin, o->name,
				       PJ_URL_MAX);
		memcpy(url, w, n);
		url[n] = 0;
		if (pj_url_check(url, &why) != 0)
			return pj_fail(e, "%s: %s: %s", origin, o->name, why.msg);
	}
	if (o->kind == OPT_CLAIM_NAMES && !claim_name_ok(w, n))
		return pj_fail(e,
			       "%s: %s: \"%.*s\" is not a claim name (printable, no '=', "
			       "at most %d bytes)",
			       origin, o->name, (int)(n > 40 ? 40 : n), w, PJ_CLAIM_NAME_MAX);
	if (strlist_add(l, w, n) != 0)
		return pj_fail(e, "out of memory");
	return 0;
}

static int add_alg(struct pj_config *c, const struct opt *o, const char *w, size_t n,
		   const char *origin, pj_err *e)
{
	char name[16];
	(void)o;
	if (n >= sizeof(name))
		return pj_fail(e, "%s: unknown algorithm \"%.*s\"", origin, (int)(n > 40 ? 40 : n),
			       w);
	memcpy(name, w, n);
	name[n] = 0;
	int a = pj_alg_from_name(name);
	if (a < 0) {
		if (pj_ascii_ncasecmp(name, "none", 5) == 0)
			return pj_fail(e, "%s: algorithm none is never allowed", origin);
		return pj_fail(e, "%s: unknown algorithm \"%s\"", origin, name);
	}
	c->algorithms |= PJ_ALG_BIT(a);
	return 0;
}

static int set_string(char **dst, const char *v, const struct opt *o, const char *origin, pj_err *e)
{
	if (!*v && o->kind != OPT_STRING)
		return pj_fail(e, "%s: %s needs a value", origin, o->name);
	if (o->kind == OPT_PATH && v[0] != '/')
		return pj_fail(e, "%s: %s must be an absolute path", origin, o->name);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return pj_fail(e, "%s: %s has a control character", origin, o->name);
	char *s = strdup(v);
	if (!s)
		return pj_fail(e, "out of memory");
	free(*dst);
	*dst = s;
	return 0;
}

/* require_claim: one "NAME=VALUE" per option, the VALUE kept whole (it may
 * hold spaces and commas), so it is not split like other lists. */
static int add_claim_rule(struct pj_strlist *l, const char *v, const char *origin, pj_err *e)
{
	const char *eq = strchr(v, '=');
	if (!eq || !pj_claim_path_ok(v, (size_t)(eq - v)) || !eq[1])
		return pj_fail(e,
			       "%s: require_claim must be NAME=VALUE (a claim name, nested ones "
			       "with '.', a '.' of a name written \\., a value)",
			       origin);
	for (const char *p = eq + 1; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return pj_fail(e, "%s: require_claim has a control character", origin);
	if (strlist_add(l, v, strlen(v)) != 0)
		return pj_fail(e, "out of memory");
	return 0;
}

/* user_jwks_file: an absolute path with %u (the login name) and no other
 * escape but %%; without %u one file would serve every user. */
static int check_user_path(const char *v, const char *origin, pj_err *e)
{
	int has_u = 0;
	if (v[0] != '/')
		return pj_fail(e, "%s: user_jwks_file must be an absolute path", origin);
	for (const char *p = v; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] != 'u' && p[1] != '%')
			return pj_fail(e, "%s: user_jwks_file: only %%u and %%%% may follow %%",
				       origin);
		has_u |= p[1] == 'u';
		p++;
	}
	if (!has_u)
		return pj_fail(e, "%s: user_jwks_file must contain %%u (the user name)", origin);
	return 0;
}

/* username_claim: a claim path, or "none" (no name from a claim: only
 * user_map gives this provider's tokens an account). */
static int set_username_claim(struct pj_config *c, const char *v, const char *origin, pj_err *e)
{
	if (!*v)
		return pj_fail(e, "%s: username_claim needs a value (none: no claim)", origin);
	if (strcmp(v, "none") == 0) {
		free(c->username_claim);
		c->username_claim = NULL;
		c->username_off = 1;
		return 0;
	}
	if (!pj_claim_path_ok(v, strlen(v)))
		return pj_fail(e,
			       "%s: username_claim must be a claim name (nested ones with '.', a "
			       "'.' of a name written \\.)",
			       origin);
	char *s = strdup(v);
	if (!s)
		return pj_fail(e, "out of memory");
	free(c->username_claim);
	c->username_claim = s;
	c->username_off = 0;
	return 0;
}

/* username_domain: a DNS name (letters, digits, '-', '.'); empty: none. */
static int set_username_domain(struct pj_config *c, const char *v, const char *origin, pj_err *e)
{
	size_t n = strlen(v);
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '.'))
			return pj_fail(e,
				       "%s: username_domain must be a domain name such as "
				       "corp.example (without '@')",
				       origin);
	if (n > 253 || (n && (v[0] == '.' || v[n - 1] == '.')))
		return pj_fail(e, "%s: username_domain must be a domain name such as corp.example",
			       origin);
	char *s = n ? strdup(v) : NULL;
	if (n && !s)
		return pj_fail(e, "out of memory");
	free(c->username_domain);
	c->username_domain = s;
	return 0;
}

static int set_one(struct pj_config *c, const char *key, const char *value, const char *origin,
		   pj_err *e);

int pj_config_set(struct pj_config *c, const char *key, const char *value, const char *origin,
		  pj_err *e)
{
	if (set_one(c, key, value, origin, e) != 0)
		return -1;
	/* The PAM line and --set win over the file for every provider. */
	for (size_t i = 0; i < c->nproviders; i++) {
		c->providers[i].layer = c->layer;
		if (set_one(&c->providers[i], key, value, origin, e) != 0)
			return -1;
	}
	return 0;
}

static int set_one(struct pj_config *c, const char *key, const char *value, const char *origin,
		   pj_err *e)
{
	const struct opt *o = find_opt(key);
	if (!o)
		return pj_fail(e, "%s: unknown option \"%s\"", origin, key);
	void *field = (char *)c + o->off;
	switch (o->kind) {
	case OPT_LIST:
	case OPT_PATHS:
	case OPT_URLS:
	case OPT_CLAIM_NAMES:
	case OPT_CLAIM_RULE:
	case OPT_KEYFILES: {
		struct pj_strlist *l = field;
		if (l->layer < c->layer) {
			strlist_free(l);
			l->layer = c->layer;
		}
		if (o->kind == OPT_CLAIM_RULE)
			return add_claim_rule(l, value, origin, e);
		return each_word(c, o, value, add_word, origin, e);
	}
	case OPT_USER_PATH:
		/* Empty: no per-user keys, so that a service's line can turn off
		 * what the file allows (user_jwks_file= on a PAM line). */
		if (!*value) {
			free(*(char **)field);
			*(char **)field = NULL;
			return 0;
		}
		if (check_user_path(value, origin, e) != 0)
			return -1;
		return set_string(field, value, o, origin, e);
	case OPT_ALGS:
		if (c->algorithms_layer < c->layer) {
			c->algorithms = 0;
			c->algorithms_layer = c->layer;
		}
		return each_word(c, o, value, add_alg, origin, e);
	case OPT_STRING:
		if (strcmp(o->name, "username_claim") == 0)
			return set_username_claim(c, value, origin, e);
		if (strcmp(o->name, "username_domain") == 0)
			return set_username_domain(c, value, origin, e);
		return set_string(field, value, o, origin, e);
	case OPT_CASE:
		if (strcmp(value, "exact") == 0)
			c->username_case = PJ_CASE_EXACT;
		else if (strcmp(value, "lower") == 0)
			c->username_case = PJ_CASE_LOWER;
		else
			return pj_fail(e, "%s: %s must be exact or lower", origin, o->name);
		return 0;
	case OPT_PATH:
		return set_string(field, value, o, origin, e);
	case OPT_SECONDS:
		if (parse_seconds(value, field) != 0)
			return pj_fail(e, "%s: %s must be a whole number of seconds (0 to %ld)",
				       origin, o->name, PJ_MAX_SECONDS);
		return 0;
	case OPT_BOOL:
		if (parse_bool(value, field) != 0)
			return pj_fail(e, "%s: %s must be yes or no", origin, o->name);
		return 0;
	case OPT_SIZE:
		if (parse_size(value, field) != 0)
			return pj_fail(e,
				       "%s: %s must be a size in bytes, or with K or M (%d to %dM)",
				       origin, o->name, PJ_JWKS_MAX_SIZE_MIN,
				       PJ_JWKS_MAX_SIZE_CAP / (1024 * 1024));
		return 0;
	case OPT_STATUS_MODE: {
		static const char *modes[] = { "off", "check", "require" };
		for (int i = 0; i < 3; i++)
			if (strcmp(value, modes[i]) == 0)
				return *(int *)field = i, 0;
		return pj_fail(e, "%s: status_list must be off, check or require", origin);
	}
	case OPT_URL: {
		/* One URL; empty turns it off (a service's line may). */
		pj_err why;
		if (!*value) {
			free(*(char **)field);
			*(char **)field = NULL;
			return 0;
		}
		if (strlen(value) > PJ_URL_MAX || pj_url_check(value, &why) != 0)
			return pj_fail(e, "%s: %s: %s", origin, o->name,
				       strlen(value) > PJ_URL_MAX ? "URL too long" : why.msg);
		return set_string(field, value, o, origin, e);
	}
	}
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* ---- [provider NAME] sections ---- */

#define PJ_MAX_PROVIDERS 64

static int strlist_copy(struct pj_strlist *dst, const struct pj_strlist *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->layer = src->layer;
	for (size_t i = 0; i < src->n; i++)
		if (strlist_add(dst, src->v[i], strlen(src->v[i])) != 0)
			return -1;
	return 0;
}

/* What an option's field owns: a list, a string, or nothing (a number). */
enum holds { HOLDS_NOTHING, HOLDS_LIST, HOLDS_STRING };

static enum holds opt_holds(enum opt_kind k)
{
	switch (k) {
	case OPT_LIST:
	case OPT_PATHS:
	case OPT_KEYFILES:
	case OPT_URLS:
	case OPT_CLAIM_RULE:
	case OPT_CLAIM_NAMES:
		return HOLDS_LIST;
	case OPT_STRING:
	case OPT_PATH:
	case OPT_USER_PATH:
	case OPT_URL:
		return HOLDS_STRING;
	case OPT_ALGS:
	case OPT_SECONDS:
	case OPT_BOOL:
	case OPT_CASE:
	case OPT_SIZE:
	case OPT_STATUS_MODE:
		break;
	}
	return HOLDS_NOTHING;
}

void pj_config_free(struct pj_config *c)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		void *f = (char *)c + opts[i].off;
		if (opt_holds(opts[i].kind) == HOLDS_LIST)
			strlist_free(f);
		else if (opt_holds(opts[i].kind) == HOLDS_STRING)
			free(*(char **)f);
	}
	free(c->path);
	for (size_t i = 0; i < c->nproviders; i++)
		pj_config_free(&c->providers[i]);
	free(c->providers);
	free(c->provider);
	memset(c, 0, sizeof(*c));
}

/* dst: a copy of src's options, as a section starts from the defaults; no
 * providers, name or path of its own.  On failure dst is still freeable. */
static int config_copy(struct pj_config *dst, const struct pj_config *src)
{
	*dst = *src;
	dst->providers = NULL;
	dst->nproviders = 0;
	dst->provider = NULL;
	dst->path = NULL;
	/* First nothing shared, then each copied: a failure halfway leaves
	 * only dst's own allocations to free. */
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		void *f = (char *)dst + opts[i].off;
		if (opt_holds(opts[i].kind) == HOLDS_LIST)
			memset(f, 0, sizeof(struct pj_strlist));
		else if (opt_holds(opts[i].kind) == HOLDS_STRING)
			*(char **)f = NULL;
	}
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		void *f = (char *)dst + opts[i].off;
		const void *g = (const char *)src + opts[i].off;
		if (opt_holds(opts[i].kind) == HOLDS_LIST && strlist_copy(f, g) != 0)
			return -1;
		if (opt_holds(opts[i].kind) == HOLDS_STRING && *(char *const *)g &&
		    !(*(char **)f = strdup(*(char *const *)g)))
			return -1;
	}
	return src->path && !(dst->path = strdup(src->path)) ? -1 : 0;
}

/* A "[provider NAME]" line: a new provider, a copy of the defaults so far,
 * which takes the lines that follow. */
static int section_begin(struct pj_config *top, const char *line, const char *origin,
			 struct pj_config **cur, pj_err *e)
{
	char name[PJ_PROVIDER_NAME_MAX + 1];
	if (pj_provider_header(line, name, sizeof(name), origin, e) != 0)
		return -1;
	for (size_t i = 0; i < top->nproviders; i++)
		if (strcmp(top->providers[i].provider, name) == 0)
			return pj_fail(e, "%s: [provider %s] appears twice", origin, name);
	if (top->nproviders >= PJ_MAX_PROVIDERS)
		return pj_fail(e, "%s: more than %d providers", origin, PJ_MAX_PROVIDERS);
	struct pj_config *v = realloc(top->providers, (top->nproviders + 1) * sizeof(*v));
	if (!v)
		return pj_fail(e, "out of memory");
	top->providers = v;
	struct pj_config *p = &v[top->nproviders];
	if (config_copy(p, top) != 0 || !(p->provider = strdup(name))) {
		pj_config_free(p);
		return pj_fail(e, "out of memory");
	}
	p->layer = PJ_LAYER_SECTION;
	top->nproviders++;
	*cur = p;
	return 0;
}

static int parse_line(struct pj_config *top, struct pj_config **cur, char *line, const char *origin,
		      pj_err *e)
{
	struct pj_config *c = *cur;
	char *s = trim(line);
	if (!*s || *s == '#')
		return 0;
	if (*s == '[')
		return section_begin(top, s, origin, cur, e);
	char *eq = strchr(s, '=');
	if (!eq)
		return pj_fail(e, "%s: expected \"key = value\"", origin);
	*eq = 0;
	char *key = trim(s), *value = trim(eq + 1);
	/* Quoted, a value keeps its spaces (a prompt's trailing one) and may hold
	 * "#"; it is everything between the quotes, which must be the first and
	 * last characters and the only ones. */
	size_t vn = strlen(value);
	if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') {
		value[vn - 1] = 0;
		value++;
		if (strchr(value, '"'))
			return pj_fail(e, "%s: a quoted value cannot hold another '\"'", origin);
	} else if (strchr(value, '#')) {
		/* "audience = ssh # ssh only" must not make "#", "only" audiences:
		 * comments stand on lines of their own. */
		return pj_fail(e,
			       "%s: '#' inside the value of %s: comments must stand on lines of "
			       "their own (write the value in double quotes if the '#' belongs "
			       "to it)",
			       origin, key);
	}
	/* Everything after a section header is the section's: a global option
	 * there is one written too late. */
	if (c != top && pj_provider_global_only(key))
		return pj_fail(e,
			       "%s: %s holds for every provider: write it before the first "
			       "[provider] section",
			       origin, key);
	return pj_config_set(c, key, value, origin, e);
}

int pj_config_load_file(struct pj_config *c, const char *path, int must_exist, pj_err *e)
{
	char *text;
	size_t n;
	pj_err why;
	/* Missing only when every directory on the way is trusted: in one that
	 * is not, someone may have removed it. */
	if (pj_read_trusted_file(path, PJ_MAX_CONF, c->allowed_uid, 0, &text, &n, NULL, &why) != 0)
		return !must_exist && errno == ENOENT ? 0
						      : pj_fail(e, "configuration: %s", why.msg);
	int rc = pj_config_parse(c, text, n, path, e);
	free(text);
	return rc;
}

int pj_config_parse(struct pj_config *c, char *text, size_t n, const char *path, pj_err *e)
{
	if (memchr(text, 0, n))
		return pj_fail(e, "configuration: %s has a NUL byte", path);
	if (c->nproviders)
		return pj_fail(e, "configuration: %s: sections were read already", path);
	free(c->path);
	c->path = strdup(path);
	int saved = c->layer, rc = 0;
	c->layer = PJ_LAYER_FILE;
	unsigned lineno = 0;
	struct pj_config *cur = c;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		char origin[600];
		snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
		if (parse_line(c, &cur, line, origin, e) != 0) {
			rc = -1;
			break;
		}
	}
	c->layer = saved;
	if (rc == 0)
		rc = pj_providers_check(c, e);
	return rc;
}

int pj_config_finish(const struct pj_config *c, pj_err *e)
{
	return pj_providers_check(c, e);
}

static int is_pam_flag(const char *a)
{
	return strcmp(a, "use_first_pass") == 0 || strcmp(a, "try_first_pass") == 0 ||
	       strcmp(a, "use_authtok") == 0;
}

int pj_config_from_args(struct pj_config *c, int argc, const char **argv, pj_err *e)
{
	const char *conf = PJ_DEFAULT_CONF;
	int explicit_conf = 0;
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "conf=", 5) == 0) {
			conf = argv[i] + 5;
			explicit_conf = 1;
		}
	/* A relative name would be found from the application's working
	 * directory, which in su and sudo the invoking user chose. */
	if (conf[0] != '/')
		return pj_fail(e, "module argument: conf= must be an absolute path");
	if (pj_config_load_file(c, conf, explicit_conf, e) != 0)
		return -1;
	c->layer = PJ_LAYER_ARGS;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "conf=", 5) == 0 || is_pam_flag(a))
			continue;
		if (strcmp(a, "debug") == 0) {
			if (pj_config_set(c, "debug", "yes", "module argument", e) != 0)
				return -1;
			continue;
		}
		const char *eq = strchr(a, '=');
		char key[64];
		if (!eq || (size_t)(eq - a) >= sizeof(key)) {
			char shown[80];
			pj_sanitize(shown, sizeof(shown), a, strlen(a));
			return pj_fail(e, "module argument: unknown option \"%s\"", shown);
		}
		memcpy(key, a, (size_t)(eq - a));
		key[eq - a] = 0;
		if (pj_config_set(c, key, eq + 1, "module argument", e) != 0)
			return -1;
	}
	/* An issuer on the PAM line, say, would now be every provider's. */
	return pj_providers_check(c, e);
}
