/* pam_jwt-tool keys: what the configuration will verify with. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "keys.h"
#include "tool.h"

static const char help[] = "usage: pam_jwt-tool [--config FILE] keys\n"
			   "Lists the configured keys: kid, type, alg, source.\n"
			   "Exit 1 when a configured key cannot be loaded.\n";

struct list_ctx {
	int bad;
};

static void describe(const struct pj_key *k, char *buf, size_t n)
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
		snprintf(buf, n, "OKP/Ed25519");
		break;
	}
}

static int show(const struct pj_key *k, void *arg, pj_err *e)
{
	char type[64];
	(void)arg, (void)e;
	describe(k, type, sizeof(type));
	printf("%-24s %-16s %-6s %s\n", k->kid ? k->kid : "-", type,
	       k->alg >= 0 ? pj_alg_name((enum pj_alg)k->alg) : "-", k->source);
	return 0;
}

static void bad(const char *source, const char *why, void *arg)
{
	struct list_ctx *c = arg;
	c->bad++;
	fprintf(stderr, "pam_jwt-tool: %s: cannot load: %s\n", source, why);
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
	printf("%-24s %-16s %-6s %s\n", "KID", "TYPE", "ALG", "SOURCE");
	pj_keys_list(&cfg, show, bad, &c, &e);
	pj_config_free(&cfg);
	return c.bad ? EXIT_REJECTED : 0;
}
