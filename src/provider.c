/* SPDX-License-Identifier: BSD-3-Clause */
#include "provider.h"

#include <string.h>

#include "config.h"
#include "util.h"

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int pj_provider_header(const char *line, char *name, size_t n, const char *origin, pj_err *e)
{
	const char *p = skip_blank(line + 1), *start;
	size_t len;
	if (line[0] != '[' || strncmp(p, "provider", 8) != 0 || (p[8] != ' ' && p[8] != '\t'))
		return pj_fail(e, "%s: expected a section header \"[provider NAME]\"", origin);
	start = skip_blank(p + 8);
	for (len = 0; name_char(start[len]); len++)
		;
	p = skip_blank(start + len);
	if (*p != ']' || p[1])
		return pj_fail(e,
			       "%s: expected \"[provider NAME]\" with NAME of letters, digits, "
			       "'.', '_' and '-'",
			       origin);
	if (len == 0 || len > PJ_PROVIDER_NAME_MAX || len >= n)
		return pj_fail(e, "%s: a provider's name is 1 to %d characters", origin,
			       PJ_PROVIDER_NAME_MAX);
	memcpy(name, start, len);
	name[len] = 0;
	/* Map lines name the configuration without sections "default". */
	if (strcmp(name, PJ_PROVIDER_DEFAULT) == 0)
		return pj_fail(e, "%s: \"%s\" is the name of the configuration without sections",
			       origin, PJ_PROVIDER_DEFAULT);
	return 0;
}

int pj_provider_global_only(const char *option)
{
	static const char *const global[] = { "revocation_file",
					      "allowlist_file",
					      "one_time_file",
					      "user_map",
					      "cache_dir",
					      "fetch_helper",
					      "fetch_timeout",
					      "prompt",
					      "debug",
					      "export_claims",
					      "revocation_feed",
					      "revocation_feed_key",
					      "revocation_feed_max_stale" };
	for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++)
		if (strcmp(option, global[i]) == 0)
			return 1;
	return 0;
}

static int has_issuer(const struct pj_config *p, const char *iss)
{
	for (size_t i = 0; i < p->issuer.n; i++)
		if (strcmp(p->issuer.v[i], iss) == 0)
			return 1;
	return 0;
}

int pj_providers_check(const struct pj_config *cfg, pj_err *e)
{
	const char *file = cfg->path ? cfg->path : "the configuration";
	if (!cfg->nproviders)
		return 0;
	/* Per-user keys sign whatever iss their holder writes: with sections
	 * they belong to the one provider whose tokens they may sign. */
	if (cfg->user_jwks_file)
		return pj_fail(e,
			       "%s: user_jwks_file outside a section: with [provider] sections, "
			       "name it in the section of the provider whose issuer the users' "
			       "tokens carry",
			       file);
	for (size_t i = 0; i < cfg->nproviders; i++) {
		const struct pj_config *p = &cfg->providers[i];
		if (!p->issuer.n)
			return pj_fail(e,
				       "%s: [provider %s] has no issuer: a token is judged by the "
				       "provider its iss names",
				       file, p->provider);
		for (size_t j = 0; j < i; j++)
			for (size_t k = 0; k < p->issuer.n; k++)
				if (has_issuer(&cfg->providers[j], p->issuer.v[k])) {
					char shown[100];
					pj_sanitize(shown, sizeof(shown), p->issuer.v[k],
						    strlen(p->issuer.v[k]));
					return pj_fail(
						e,
						"%s: issuer \"%s\" belongs to both [provider "
						"%s] and [provider %s]",
						file, shown, cfg->providers[j].provider,
						p->provider);
				}
	}
	return 0;
}

const struct pj_config *pj_provider_select(const struct pj_config *cfg, json_t *claims, pj_err *e)
{
	if (!cfg->nproviders)
		return cfg;
	json_t *v = json_object_get(claims, "iss");
	const char *iss = json_string_value(v);
	if (!v)
		return pj_fail(e, "token has no iss: with [provider] sections, its iss chooses the "
				  "provider"),
		       NULL;
	/* A NUL inside would compare equal to a prefix. */
	if (!iss || strlen(iss) != json_string_length(v))
		return pj_fail(e, "claim iss is not a string"), NULL;
	for (size_t i = 0; i < cfg->nproviders; i++)
		if (has_issuer(&cfg->providers[i], iss))
			return &cfg->providers[i];
	char shown[100];
	pj_sanitize(shown, sizeof(shown), iss, strlen(iss));
	return pj_fail(e, "no provider has issuer \"%s\"", shown), NULL;
}

const struct pj_config *pj_provider_find(const struct pj_config *cfg, const char *label)
{
	if (!cfg->nproviders)
		return label[0] ? NULL : cfg;
	for (size_t i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].provider, label) == 0)
			return &cfg->providers[i];
	return NULL;
}

const char *pj_provider_label(const struct pj_config *p)
{
	return p->provider ? p->provider : "";
}

const char *pj_provider_name(const struct pj_config *p)
{
	return p->provider ? p->provider : PJ_PROVIDER_DEFAULT;
}

unsigned pj_provider_algorithms(const struct pj_config *cfg)
{
	unsigned algs = cfg->nproviders ? 0 : cfg->algorithms;
	for (size_t i = 0; i < cfg->nproviders; i++)
		algs |= cfg->providers[i].algorithms;
	return algs;
}
