/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: a user map (src/usermap.c).  The input is the map file, then
 * (after a line "--") a claims object; a fixed configuration has providers a
 * and b.  A map that parses is asked, for every user and provider its lines
 * name and for a few others, which line grants the account for those claims
 * and for a fixed set of claims (nested objects, arrays, an email).  What
 * must hold: a granting line is one whose first word is that user and whose
 * second is provider= that provider, and a user or provider no line names is
 * never granted. */
#include "fuzz.h"

#include <jansson.h>

#include "config.h"
#include "usermap.h"

static struct pj_config cfg;
static json_t *fixed;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char conf[] = "[provider a]\nissuer = https://a.test\n"
			     "[provider b]\nissuer = https://b.test\n";
	pj_err e;
	(void)argc, (void)argv;
	fz_tmpdir(); /* nothing is written; the harness's common set-up */
	if (pj_config_init(&cfg, getuid()) != 0 ||
	    pj_config_parse(&cfg, conf, strlen(conf), "fuzz.conf", &e) != 0)
		abort();
	fixed = json_loads("{\"sub\":\"x\",\"repository\":\"acme/app\",\"ref\":\"refs/heads/main\","
			   "\"realm_access\":{\"roles\":[\"ops\",\"ssh-user\"]},"
			   "\"email\":\"a@b.test\",\"email_verified\":true,\"scope\":\"a b c\","
			   "\"n\":5,\"t\":true,\"arr\":[1,\"x\",true],\"a.b\":\"dotted\"}",
			   0, NULL);
	if (!fixed)
		abort();
	return 0;
}

/* Word w (0: the user, 1: provider=...) of line number lineno (1-based) of
 * the original text, into out. */
static void word_of(const char *text, unsigned lineno, int w, char *out, size_t n)
{
	const char *p = text;
	out[0] = 0;
	for (unsigned l = 1; l < lineno && p; l++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return;
	for (int i = 0; i <= w; i++) {
		p += strspn(p, " \t\r");
		size_t len = strcspn(p, " \t\r\n");
		if (i == w) {
			snprintf(out, n, "%.*s", (int)len, p);
			return;
		}
		p += len;
	}
}

static void ask(const struct pj_usermap *m, const char *text, const char *provider,
		const char *user, json_t *claims)
{
	unsigned line = pj_usermap_grants(m, provider, user, claims);
	char w0[512], w1[600], want[600];
	if (!line)
		return;
	word_of(text, line, 0, w0, sizeof(w0));
	word_of(text, line, 1, w1, sizeof(w1));
	snprintf(want, sizeof(want), "provider=%s", provider);
	if (strcmp(w0, user) != 0 || strcmp(w1, want) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_cstr(data, size), *orig = fz_cstr(data, size);
	struct pj_usermap *m;
	pj_err e;
	char *sep = strstr(text, "\n--\n");
	json_t *claims = NULL;
	if (sep) {
		sep[1] = 0;
		orig[sep + 1 - text] = 0;
		claims = json_loads(sep + 4, JSON_REJECT_DUPLICATES, NULL);
	}
	if (pj_usermap_parse(text, strlen(text), "fuzz.map", &cfg, &m, &e) == 0) {
		static const char *providers[] = { "a", "b", "default", "c" };
		static const char *others[] = { "root", "nobody", "" };
		unsigned lines = 1;
		for (const char *p = orig; *p; p++)
			lines += *p == '\n';
		for (unsigned l = 1; l <= lines && l < 256; l++) {
			char user[512];
			word_of(orig, l, 0, user, sizeof(user));
			for (size_t i = 0; user[0] && user[0] != '#' && i < 4; i++) {
				ask(m, orig, providers[i], user, fixed);
				if (json_is_object(claims))
					ask(m, orig, providers[i], user, claims);
			}
		}
		for (size_t u = 0; u < 3; u++)
			for (size_t i = 0; i < 4; i++)
				ask(m, orig, providers[i], others[u], fixed);
		/* No line can name provider c, which the configuration lacks. */
		if (pj_usermap_grants(m, "c", "x", fixed))
			abort();
		pj_usermap_free(m);
	}
	json_decref(claims);
	free(text);
	free(orig);
	return 0;
}
