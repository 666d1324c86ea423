/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool keys: what the configuration will verify with. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "fetch.h"
#include "keys.h"
#include "tool.h"

static const char help[] = "usage: pam_jwt-tool [--config FILE] keys\n"
			   "Lists the configured keys: kid, type, alg, source (per\n"
			   "[provider NAME] section, under its name and issuer).\n"
			   "Keys of jwks_url and discovery_url sources are those cached\n"
			   "(pam_jwt-tool fetch refreshes them); their age is listed after.\n"
			   "Exit 1 when a configured key cannot be loaded.\n";

struct list_ctx {
	int bad;
};

void tool_key_type(const struct pj_key *k, char *buf, size_t n)
{
	char group[64] = "";
	switch (k->kty) {
	case PJ_KTY_OCT:
		snprintf(buf, n, "oct/%zu-bit", k->secret_len * 8);
		break;
	case PJ_KTY_RSA:
		snprintf(buf, n, "RSA/%d", EVP_PKEY_get_bits(k->pkey));
		break;
	case PJ_KTY_EC:
		EVP_PKEY_get_group_name(k->pkey, group, sizeof(group), NULL);
		snprintf(buf, n, "EC/%s", group);
		break;
	case PJ_KTY_OKP:
		snprintf(buf, n, "OKP/%s",
			 EVP_PKEY_get_base_id(k->pkey) == EVP_PKEY_ED448 ? "Ed448" : "Ed25519");
		break;
	}
}

static int show(const struct pj_key *k, void *arg, pj_err *e)
{
	char type[64];
	(void)arg, (void)e;
	tool_key_type(k, type, sizeof(type));
	printf("%-24s %-16s %-6s %s\n", k->kid ? k->kid : "-", type,
	       k->alg >= 0 ? pj_alg_name((enum pj_alg)k->alg) : "-", k->source);
	return 0;
}

static void bad(const char *source, const char *why, int unusable, void *arg)
{
	struct list_ctx *c = arg;
	/* An encryption key in the provider's JWKS is no fault: logins pass
	 * it over as this says. */
	if (unusable) {
		printf("%-24s %-16s %-6s %s (passed over: %s)\n", "-", "-", "-", source, why);
		return;
	}
	c->bad++;
	fprintf(stderr, "pam_jwt-tool: %s: cannot load: %s\n", source, why);
}

/* How old the cached copy of each URL source is, without fetching. */
static void show_cache(const struct pj_config *cfg)
{
	size_t nurl = cfg->jwks_url.n, total = nurl + cfg->discovery_url.n;
	if (total)
		printf("\nCACHE (%s)\n", cfg->cache_dir ? cfg->cache_dir : PJ_DEFAULT_CACHE_DIR);
	for (size_t i = 0; i < total; i++) {
		int disco = i >= nurl;
		const char *url = disco ? cfg->discovery_url.v[i - nurl] : cfg->jwks_url.v[i];
		struct pj_fetch_call call = { 0 };
		struct pj_doc jwks, dd;
		pj_err why;
		memset(&dd, 0, sizeof(dd));
		int rc =
			pj_fetch_jwks(cfg, &call, url, disco, PJ_WANT_CACHE_ONLY, &jwks, &dd, &why);
		if (dd.json)
			tool_print_doc("", "discovery_url", &dd);
		if (rc == 0)
			tool_print_doc(disco ? "  " : "", disco ? "jwks_uri" : "jwks_url", &jwks);
		else
			printf("%s: %s\n", disco ? "discovery_url" : "jwks_url", why.msg);
		pj_doc_free(&jwks);
		pj_doc_free(&dd);
	}
}

int cmd_keys(struct tool *t, int argc, char **argv)
{
	struct pj_config cfg;
	struct list_ctx c = { 0 };
	pj_err e;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return 0;
		}
		fprintf(stderr, "pam_jwt-tool: keys: unexpected argument %s\n%s", argv[i], help);
		return EXIT_USAGE;
	}
	if (tool_load_config(t, &cfg) != 0)
		return EXIT_USAGE;
	/* Each provider's keys apart: they verify its tokens and no others. */
	for (size_t i = 0; i < (cfg.nproviders ? cfg.nproviders : 1); i++) {
		const struct pj_config *p = cfg.nproviders ? &cfg.providers[i] : &cfg;
		if (cfg.nproviders) {
			printf("%s[provider %s] issuer", i ? "\n" : "", p->provider);
			for (size_t k = 0; k < p->issuer.n; k++)
				printf(" %s", p->issuer.v[k]);
			printf("\n");
		}
		printf("%-24s %-16s %-6s %s\n", "KID", "TYPE", "ALG", "SOURCE");
		pj_keys_list(p, show, bad, &c, &e);
		show_cache(p);
	}
	pj_config_free(&cfg);
	return c.bad ? EXIT_REJECTED : 0;
}
