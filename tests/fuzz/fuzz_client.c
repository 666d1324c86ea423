/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: pam_jwt-login's parsers of what it reads from files and from
 * the provider, each given the whole input: the client configuration (for a
 * host and for a service, then completed), the discovery document, the
 * device authorization and token responses (success and error), a cache
 * entry (which, once parsed, must survive formatting and parsing again
 * unchanged), and an askpass prompt. */
#include "fuzz.h"

#include "client/cache.h"
#include "client/conf.h"
#include "client/oauth.h"
#include "client/target.h"

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void cache_entry(const char *text, size_t n)
{
	struct pj_tokens t, u;
	pj_err e;
	if (pj_tokens_parse(text, n, &t, &e) != 0)
		return;
	size_t fn;
	char *s = pj_tokens_format(&t, &fn);
	if (!s)
		abort(); /* what parsed must be writable */
	if (pj_tokens_parse(s, fn, &u, &e) != 0 || !same(t.access_token, u.access_token) ||
	    !same(t.refresh_token, u.refresh_token) || !same(t.issuer, u.issuer) ||
	    !same(t.scope, u.scope) || !same(t.resource, u.resource) ||
	    t.expires_at != u.expires_at || t.obtained_at != u.obtained_at)
		abort();
	pj_tokens_free(&u);
	pj_tokens_free(&t);
	free(s);
}

static void config(const char *text, size_t n, const struct pj_target *t)
{
	struct pj_ccfg c;
	pj_err e;
	pj_ccfg_init(&c);
	if (pj_ccfg_parse(&c, text, n, "fuzz.conf", t, "/home/fuzz", &e) == 0)
		pj_ccfg_finish(&c, &e);
	pj_ccfg_free(&c);
}

/* Nothing here reads or writes files: the shared directory is not made. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv, (void)fz_tmpdir;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pj_target host = { 0, "db1.prod" }, svc = { 1, "sudo" };
	char *text = fz_copy(data, size), *str = fz_cstr(data, size);
	pj_err e;
	config(text, size, &host);
	config(text, size, &svc);

	struct pj_discovery d;
	if (pj_oauth_parse_discovery(text, size, NULL, &d, &e) == 0)
		pj_discovery_free(&d);
	if (pj_oauth_parse_discovery(text, size, "https://idp.example", &d, &e) == 0)
		pj_discovery_free(&d);
	struct pj_device_auth da;
	if (pj_oauth_parse_device(200, text, size, &da, &e) == 0) {
		if (da.interval < 1 || da.interval > 300 || da.expires_in <= 0)
			abort();
		pj_device_auth_free(&da);
	}
	pj_oauth_parse_device(400, text, size, &da, &e);
	struct pj_tokens t;
	if (pj_oauth_parse_token(200, text, size, 1800000000, &t, &e) == PJ_TOK_OK) {
		if (!t.access_token || t.expires_at > 1800000000LL + 10 * 365 * 86400)
			abort();
		pj_tokens_free(&t);
	}
	pj_oauth_parse_token(400, text, size, 1800000000, &t, &e);

	cache_entry(text, size);

	char name[PJ_TARGET_MAX + 1];
	int service;
	const char *callers[] = { NULL, "ssh", "sudo" };
	for (int i = 0; i < 3; i++)
		if (pj_target_from_prompt(str, callers[i], name, sizeof(name), &service, &e) == 0 &&
		    !pj_target_name_ok(name))
			abort();
	free(str);
	free(text);
	return 0;
}
