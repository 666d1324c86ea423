/* SPDX-License-Identifier: BSD-3-Clause */
#include "usermap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "config.h"
#include "provider.h"
#include "util.h"

#define PJ_MAX_USERMAP	(1024 * 1024)
#define PJ_MAP_USER_MAX 256

struct rule {
	char *claim, *value;
};

struct line {
	unsigned lineno;
	char *user, *provider;
	struct rule *rules;
	size_t nrules;
};

struct pj_usermap {
	struct line *v;
	size_t n;
};

void pj_usermap_free(struct pj_usermap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		for (size_t j = 0; j < m->v[i].nrules; j++) {
			free(m->v[i].rules[j].claim);
			free(m->v[i].rules[j].value);
		}
		free(m->v[i].rules);
		free(m->v[i].user);
		free(m->v[i].provider);
	}
	free(m->v);
	free(m);
}

size_t pj_usermap_rules(const struct pj_usermap *m)
{
	return m ? m->n : 0;
}

/* A local account name: printable ASCII without '/', ':' or '=', not "." or
 * "..": nothing that could mean something else in a path or this file. */
static int user_ok(const char *u, size_t n)
{
	if (n == 0 || n > PJ_MAP_USER_MAX || (n == 1 && u[0] == '.') ||
	    (n == 2 && u[0] == '.' && u[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f || u[i] == '/' ||
		    u[i] == ':' || u[i] == '=')
			return 0;
	return 1;
}

/* A value: any byte but white space and controls (UTF-8 as it comes). */
static int value_ok(const char *v, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] == 0x7f)
			return 0;
	return 1;
}

static int provider_known(const struct pj_config *cfg, const char *name)
{
	if (!cfg)
		return 1;
	if (!cfg->nproviders)
		return strcmp(name, PJ_PROVIDER_DEFAULT) == 0;
	for (size_t i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].provider, name) == 0)
			return 1;
	return 0;
}

static int add_rule(struct line *l, const char *w, size_t n, const char *eq)
{
	struct rule *r = realloc(l->rules, (l->nrules + 1) * sizeof(*r));
	if (!r)
		return -1;
	l->rules = r;
	r[l->nrules].claim = strndup(w, (size_t)(eq - w));
	r[l->nrules].value = strndup(eq + 1, n - (size_t)(eq - w) - 1);
	l->nrules++;
	return r[l->nrules - 1].claim && r[l->nrules - 1].value ? 0 : -1;
}

/* One word of a line at w (n bytes): the user, provider=NAME, or a rule. */
static int take_word(struct line *l, const char *w, size_t n, const struct pj_config *cfg,
		     const char *origin, pj_err *e)
{
	const char *eq = memchr(w, '=', n);
	if (!l->user) {
		if (!user_ok(w, n))
			return pj_fail(e,
				       "%s: expected a local user name first (printable, no '/', "
				       "':' or '=')",
				       origin);
		return (l->user = strndup(w, n)) ? 0 : pj_fail(e, "out of memory");
	}
	if (!l->provider) {
		if (n < 10 || memcmp(w, "provider=", 9) != 0)
			return pj_fail(e, "%s: expected provider=NAME after the user name", origin);
		if (!(l->provider = strndup(w + 9, n - 9)))
			return pj_fail(e, "out of memory");
		if (!provider_known(cfg, l->provider)) {
			char shown[80];
			pj_sanitize(shown, sizeof(shown), l->provider, strlen(l->provider));
			return pj_fail(e, "%s: no provider is named \"%s\"%s", origin, shown,
				       cfg && !cfg->nproviders ? " (without sections: default)"
							       : "");
		}
		return 0;
	}
	if (!eq || !pj_claim_path_ok(w, (size_t)(eq - w)) ||
	    !value_ok(eq + 1, n - (size_t)(eq - w) - 1))
		return pj_fail(e,
			       "%s: expected CLAIM=VALUE (a claim name, nested ones with '.', a "
			       "value without spaces)",
			       origin);
	if ((size_t)(eq - w) == 8 && memcmp(w, "provider", 8) == 0)
		return pj_fail(e, "%s: provider= given twice", origin);
	return add_rule(l, w, n, eq) == 0 ? 0 : pj_fail(e, "out of memory");
}

static int parse_line(struct pj_usermap *m, char *s, unsigned lineno, const struct pj_config *cfg,
		      const char *origin, pj_err *e)
{
	struct line l = { .lineno = lineno };
	int rc = 0;
	s += strspn(s, " \t\r");
	if (!*s || *s == '#')
		return 0;
	while (*s && rc == 0) {
		size_t n = strcspn(s, " \t\r");
		/* Comments stand on lines of their own, as in the configuration:
		 * "alice provider=x sub=1 # bob" must not be data, nor quietly
		 * half a rule. */
		if (memchr(s, '#', n))
			rc = pj_fail(e,
				     "%s: '#' inside a rule: comments must stand on lines of "
				     "their own",
				     origin);
		else
			rc = take_word(&l, s, n, cfg, origin, e);
		s += n;
		s += strspn(s, " \t\r");
	}
	/* A rule without a claim would give the account to everyone the
	 * provider knows: that is never meant, so it is never read. */
	if (rc == 0 && !l.nrules)
		rc = pj_fail(e,
			     "%s: a rule needs LOCAL_USER provider=NAME and at least one "
			     "CLAIM=VALUE",
			     origin);
	struct line *v = rc == 0 ? realloc(m->v, (m->n + 1) * sizeof(*v)) : NULL;
	if (rc == 0 && !v)
		rc = pj_fail(e, "out of memory");
	if (rc == 0) {
		m->v = v;
		m->v[m->n++] = l;
		return 0;
	}
	for (size_t j = 0; j < l.nrules; j++) {
		free(l.rules[j].claim);
		free(l.rules[j].value);
	}
	free(l.rules);
	free(l.user);
	free(l.provider);
	return -1;
}

int pj_usermap_parse(char *text, size_t n, const char *path, const struct pj_config *cfg,
		     struct pj_usermap **out, pj_err *e)
{
	struct pj_usermap *m = calloc(1, sizeof(*m));
	*out = NULL;
	if (!m)
		return pj_fail(e, "out of memory");
	if (memchr(text, 0, n)) {
		free(m);
		return pj_fail(e, "user_map %s has a NUL byte", path);
	}
	unsigned lineno = 0;
	for (char *line = text, *next; line && *line; line = next) {
		char origin[600];
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		snprintf(origin, sizeof(origin), "user_map %s:%u", path, lineno);
		if (parse_line(m, line, lineno, cfg, origin, e) != 0) {
			pj_usermap_free(m);
			return -1;
		}
	}
	*out = m;
	return 0;
}

int pj_usermap_load(const struct pj_config *cfg, struct pj_usermap **out, pj_err *e)
{
	char *text;
	size_t n;
	pj_err why;
	*out = NULL;
	if (pj_read_trusted_file(cfg->user_map, PJ_MAX_USERMAP, cfg->allowed_uid, 0, &text, &n,
				 NULL, &why) != 0)
		return pj_fail(e, "user_map: %s", why.msg);
	int rc = pj_usermap_parse(text, n, cfg->user_map, cfg, out, e);
	free(text);
	return rc;
}

/* Does this rule hold for the claims?  An email is an identity only when
 * the provider says it verified it (when it says anything). */
static int rule_holds(const struct rule *r, json_t *claims)
{
	json_t *v = pj_claim_get(claims, r->claim);
	if (!v || !pj_claim_holds(v, r->value))
		return 0;
	if (strcmp(r->claim, "email") == 0) {
		json_t *ev = json_object_get(claims, "email_verified");
		if (ev && !json_is_true(ev))
			return 0;
	}
	return 1;
}

unsigned pj_usermap_grants(const struct pj_usermap *m, const char *provider, const char *user,
			   json_t *claims)
{
	for (size_t i = 0; m && i < m->n; i++) {
		const struct line *l = &m->v[i];
		if (strcmp(l->user, user) != 0 || strcmp(l->provider, provider) != 0)
			continue;
		size_t j = 0;
		while (j < l->nrules && rule_holds(&l->rules[j], claims))
			j++;
		if (j == l->nrules)
			return l->lineno;
	}
	return 0;
}
