/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool index: the key indexes of large JWKS (src/keyindex.h), so that
 * a login reads only the keys a token names.  The fetch helper writes those of
 * what it caches; this writes those of jwks_file sources (fetch does too), and
 * --check tells whether logins use them. */
#include <stdio.h>
#include <string.h>

#include "fetch.h"
#include "keyindex.h"
#include "tool.h"

static const char help[] =
	"usage: pam_jwt-tool [--config FILE] index [--check]\n"
	"Builds the key index beside every jwks_file larger than 4 KiB (FILE.index)\n"
	"whose index is missing or was built from another state of the file, and\n"
	"does the same for the cached JWKS of jwks_url and discovery_url sources\n"
	"(the fetch helper keeps those up to date itself).  Logins read a large JWKS\n"
	"through its index, parsing only the keys a token may use; without a\n"
	"current index they read it whole (correct, slower).  fetch runs this too.\n"
	"  --check  only report; exit 1 when a large JWKS has no current index\n"
	"Exit 0 when every large JWKS has a current index, 1 when one has not,\n"
	"2 for usage or configuration errors.\n";

static const char *size_str(unsigned long long n, char *buf, size_t len)
{
	if (n >= 10ull << 20)
		snprintf(buf, len, "%llu MiB", n >> 20);
	else if (n >= 10ull << 10)
		snprintf(buf, len, "%llu KiB", n >> 10);
	else
		snprintf(buf, len, "%llu bytes", n);
	return buf;
}

/* One source: what and name say which in the report line, path is its file. */
int tool_index_one(const struct pj_config *cfg, const char *what, const char *name,
		   const char *path, int after_head, int check)
{
	struct pj_kidx_report r;
	char a[32], b[32];
	pj_err why;
	if (pj_keyindex_build(cfg, path, after_head, check, &r, &why) != 0) {
		printf("%s %s: key index FAILED: %s\n", what, name, why.msg);
		return -1;
	}
	switch (r.state) {
	case PJ_KIDX_WRITTEN:
	case PJ_KIDX_CURRENT:
		printf("%s %s: key index %s: %zu keys, %zu with kid (%s for %s)\n", what, name,
		       r.state == PJ_KIDX_WRITTEN ? "written" : "current", r.keys, r.with_kid,
		       size_str(r.index_size, a, sizeof(a)), size_str(r.source_size, b, sizeof(b)));
		return 0;
	case PJ_KIDX_SMALL:
		printf("%s %s: %s, read whole (no key index needed)\n", what, name,
		       size_str(r.source_size, a, sizeof(a)));
		return 0;
	case PJ_KIDX_SECRETS:
		printf("%s %s: holds secret or private key members: never indexed, read whole\n",
		       what, name);
		return 0;
	case PJ_KIDX_STALE:
		printf("%s %s: NO CURRENT KEY INDEX: logins read all %zu keys (%s) until "
		       "pam_jwt-tool index\n",
		       what, name, r.keys, size_str(r.source_size, a, sizeof(a)));
		return -1;
	}
	return -1;
}

/* One provider's sources (or the configuration's, without sections). */
static int index_sources(const struct pj_config *cfg, int check, int urls)
{
	int failed = 0;
	for (size_t i = 0; i < cfg->jwks_file.n; i++)
		if (tool_index_one(cfg, "jwks_file", cfg->jwks_file.v[i], cfg->jwks_file.v[i], 0,
				   check) != 0)
			failed = 1;
	if (!urls)
		return failed;
	size_t nurl = cfg->jwks_url.n, total = nurl + cfg->discovery_url.n;
	for (size_t i = 0; i < total; i++) {
		int disco = i >= nurl;
		const char *url = disco ? cfg->discovery_url.v[i - nurl] : cfg->jwks_url.v[i];
		struct pj_fetch_call call = { 0 };
		struct pj_doc d;
		pj_err why;
		if (pj_fetch_jwks(cfg, &call, url, disco, PJ_WANT_CACHE_ONLY, &d, NULL, &why) !=
		    0) {
			printf("%s %s: nothing cached to index: %s\n",
			       disco ? "discovery_url" : "jwks_url", url, why.msg);
			continue;
		}
		if (tool_index_one(cfg, "cached JWKS of", d.url, d.path, 1, check) != 0)
			failed = 1;
		pj_doc_free(&d);
	}
	return failed;
}

int tool_index_all(const struct pj_config *cfg, int check, int urls)
{
	int failed = 0;
	for (size_t p = 0; p < (cfg->nproviders ? cfg->nproviders : 1); p++) {
		const struct pj_config *c = cfg->nproviders ? &cfg->providers[p] : cfg;
		if (cfg->nproviders &&
		    c->jwks_file.n + (urls ? c->jwks_url.n + c->discovery_url.n : 0))
			printf("[provider %s]\n", c->provider);
		if (index_sources(c, check, urls) != 0)
			failed = 1;
	}
	return failed;
}

int cmd_index(struct tool *t, int argc, char **argv)
{
	struct pj_config cfg;
	int check = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--check") == 0) {
			check = 1;
			continue;
		}
		fprintf(stderr, "pam_jwt-tool: index: unexpected argument %s\n%s", argv[i], help);
		return EXIT_USAGE;
	}
	if (tool_load_config(t, &cfg) != 0)
		return EXIT_USAGE;
	size_t sources = 0;
	for (size_t p = 0; p < (cfg.nproviders ? cfg.nproviders : 1); p++) {
		const struct pj_config *c = cfg.nproviders ? &cfg.providers[p] : &cfg;
		sources += c->jwks_file.n + c->jwks_url.n + c->discovery_url.n;
	}
	if (!sources)
		printf("no jwks_file, jwks_url or discovery_url configured: nothing to index\n");
	int failed = tool_index_all(&cfg, check, 1);
	pj_config_free(&cfg);
	return failed ? EXIT_REJECTED : 0;
}
