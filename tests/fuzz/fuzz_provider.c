/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: [provider NAME] sections.  The input is a configuration file,
 * then (after a line "--") a claims object, then (after another "--") PAM
 * line arguments, one a line.  The file goes through pj_config_parse (its
 * sections, the copies of the defaults, the global-only rule, the
 * consistency check), the arguments through pj_config_set at the PAM line's
 * layer (made in every provider) and pj_config_finish, and the claims through
 * pj_provider_select and pj_provider_find.  What must hold whatever the
 * input: a configuration that loads has no issuer in two providers and every
 * provider has one; the provider chosen for a token has the token's iss as
 * an issuer, is the only one that has, and is found again by its label. */
#include "fuzz.h"

#include <jansson.h>

#include "config.h"
#include "provider.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_tmpdir(); /* nothing is written; the harness's common set-up */
	return 0;
}

static int has(const struct pj_config *p, const char *iss)
{
	for (size_t i = 0; i < p->issuer.n; i++)
		if (strcmp(p->issuer.v[i], iss) == 0)
			return 1;
	return 0;
}

static void check_loaded(const struct pj_config *c)
{
	for (size_t i = 0; i < c->nproviders; i++) {
		const struct pj_config *p = &c->providers[i];
		if (!p->issuer.n || !p->provider || p->nproviders ||
		    pj_provider_find(c, p->provider) != p)
			abort();
		for (size_t j = i + 1; j < c->nproviders; j++)
			for (size_t k = 0; k < p->issuer.n; k++)
				if (has(&c->providers[j], p->issuer.v[k]))
					abort();
	}
}

static void check_select(const struct pj_config *c, json_t *claims)
{
	pj_err e;
	const struct pj_config *p = pj_provider_select(c, claims, &e);
	if (!c->nproviders) {
		if (p != c)
			abort();
		return;
	}
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	if (!p) {
		for (size_t i = 0; iss && i < c->nproviders; i++)
			if (has(&c->providers[i], iss) &&
			    strlen(iss) == json_string_length(json_object_get(claims, "iss")))
				abort(); /* refused although a provider has it */
		return;
	}
	if (!iss || !has(p, iss) || pj_provider_find(c, pj_provider_label(p)) != p)
		abort();
	for (size_t i = 0; i < c->nproviders; i++)
		if (&c->providers[i] != p && has(&c->providers[i], iss))
			abort();
}

/* The text up to the next "\n--\n", NUL-terminated in place; *rest after. */
static char *cut(char *s, char **rest)
{
	char *m = strstr(s, "\n--\n");
	if (!m) {
		*rest = NULL;
		return s;
	}
	m[1] = 0;
	*rest = m + 4;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_cstr(data, size), *rest, *args = NULL;
	struct pj_config c;
	pj_err e;
	if (memchr(data, 0, size)) {
		free(text);
		return 0;
	}
	char *conf = cut(text, &rest);
	char *claims_text = rest ? cut(rest, &args) : NULL;
	if (pj_config_init(&c, getuid()) != 0)
		abort();
	if (pj_config_parse(&c, conf, strlen(conf), "fuzz.conf", &e) == 0) {
		check_loaded(&c);
		c.layer = PJ_LAYER_ARGS;
		int ok = 1;
		for (char *save = NULL, *a = args ? strtok_r(args, "\n", &save) : NULL; a && ok;
		     a = strtok_r(NULL, "\n", &save)) {
			char *eq = strchr(a, '=');
			if (eq) {
				*eq = 0;
				ok = pj_config_set(&c, a, eq + 1, "fuzz argument", &e) == 0;
			}
		}
		if (ok && pj_config_finish(&c, &e) == 0) {
			check_loaded(&c);
			json_t *claims =
				claims_text ? json_loads(claims_text, JSON_REJECT_DUPLICATES, NULL)
					    : NULL;
			if (json_is_object(claims))
				check_select(&c, claims);
			json_decref(claims);
		}
	}
	pj_config_free(&c);
	free(text);
	return 0;
}
