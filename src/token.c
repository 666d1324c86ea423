/* SPDX-License-Identifier: BSD-3-Clause */
#include "token.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

static int is_b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* The number of dots in s, or -1 when s has anything outside the URL
 * alphabet and the dot. */
static long dots_in_b64url(const char *s, size_t n)
{
	long dots = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.')
			dots++;
		else if (!is_b64url_char((unsigned char)s[i]))
			return -1;
	}
	return dots;
}

int pj_token_shaped(const char *s, size_t n)
{
	/* Every JWS header is a JSON object, so its base64url starts "ey". */
	return n >= 5 && s[0] == 'e' && s[1] == 'y' && dots_in_b64url(s, n) == 2;
}

int pj_token_prefix(const char *s, size_t n)
{
	if (n < 16 || memcmp(s, "eyJ", 3) != 0)
		return 0;
	long dots = dots_in_b64url(s, n);
	return dots >= 0 && dots < 2;
}

json_t *pj_json_object(const unsigned char *p, size_t n, const char *what, pj_err *e)
{
	json_error_t je;
	/* jansson refuses NUL in strings unless JSON_ALLOW_NUL, and limits depth. */
	json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		/* jansson quotes the text near the error ("near 'hunter2'"): a
		 * password that merely looks like a token would reach the log
		 * decoded.  The position is enough to find the fault. */
		char *near = strstr(je.text, " near ");
		if (near)
			*near = 0;
		pj_fail(e, "%s is not valid JSON: %s (line %d, column %d)", what, je.text, je.line,
			je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		pj_fail(e, "%s is not a JSON object", what);
		return NULL;
	}
	return j;
}

static json_t *decode_json_segment(const char *s, size_t n, const char *what, pj_err *e)
{
	unsigned char *raw;
	size_t rawn;
	if (n == 0) {
		pj_fail(e, "%s segment is empty", what);
		return NULL;
	}
	pj_err why;
	if (pj_b64url_decode(s, n, &raw, &rawn, &why) != 0) {
		pj_fail(e, "%s: %s", what, why.msg);
		return NULL;
	}
	json_t *j = pj_json_object(raw, rawn, what, e);
	pj_free_secret(raw, rawn);
	return j;
}

/* RFC 7515 section 4.1.11: we implement no extension, so any crit is fatal. */
static int check_header(json_t *h, unsigned allowed, struct pj_token *t, pj_err *e)
{
	json_t *alg = json_object_get(h, "alg");
	if (!alg)
		return pj_fail(e, "header has no alg");
	if (!json_is_string(alg))
		return pj_fail(e, "header alg is not a string");
	int a = pj_alg_from_name(json_string_value(alg));
	if (a < 0) {
		char name[40];
		pj_sanitize(name, sizeof(name), json_string_value(alg), json_string_length(alg));
		return pj_fail(e, "algorithm \"%s\" is not supported", name);
	}
	if (!(allowed & PJ_ALG_BIT(a)))
		return pj_fail(e, "algorithm %s is not allowed by configuration",
			       pj_alg_name((enum pj_alg)a));
	t->alg = (enum pj_alg)a;
	if (json_object_get(h, "crit"))
		return pj_fail(e, "header has crit, and no critical extension is supported");
	json_t *kid = json_object_get(h, "kid");
	if (kid) {
		if (!json_is_string(kid))
			return pj_fail(e, "header kid is not a string");
		t->kid = json_string_value(kid);
	}
	json_t *typ = json_object_get(h, "typ");
	if (typ && !json_is_string(typ))
		return pj_fail(e, "header typ is not a string");
	/* jku, x5u, jwk and x5c are deliberately never read: keys come only from
	 * the configuration. */
	return 0;
}

int pj_token_parse(const char *tok, size_t n, unsigned allowed_algs, struct pj_token *t, pj_err *e)
{
	return pj_token_parse_max(tok, n, PJ_MAX_TOKEN, allowed_algs, t, e);
}

int pj_token_parse_max(const char *tok, size_t n, size_t max, unsigned allowed_algs,
		       struct pj_token *t, pj_err *e)
{
	memset(t, 0, sizeof(*t));
	if (n > max)
		return pj_fail(e, "token is %zu bytes, over the %zu-byte limit", n, max);
	const char *d1 = memchr(tok, '.', n);
	const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - tok)) : NULL;
	if (!d1 || !d2)
		return pj_fail(e, "not a compact JWS (needs three dot-separated parts)");
	if (memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - tok)))
		return pj_fail(e,
			       "not a compact JWS (more than three parts; JWE is not supported)");
	const char *end = tok + n;

	t->header = decode_json_segment(tok, (size_t)(d1 - tok), "header", e);
	if (!t->header)
		return -1;
	t->claims = decode_json_segment(d1 + 1, (size_t)(d2 - d1 - 1), "payload", e);
	if (!t->claims)
		return -1;
	if (check_header(t->header, allowed_algs, t, e) != 0)
		return -1;
	if (d2 + 1 == end)
		return pj_fail(e, "signature is empty");
	pj_err why;
	if (pj_b64url_decode(d2 + 1, (size_t)(end - d2 - 1), &t->sig, &t->sig_len, &why) != 0)
		return pj_fail(e, "signature: %s", why.msg);
	t->signing_input = tok;
	t->signing_input_len = (size_t)(d2 - tok);
	return 0;
}

void pj_token_free(struct pj_token *t)
{
	json_decref(t->header);
	json_decref(t->claims);
	pj_free_secret(t->sig, t->sig_len);
	memset(t, 0, sizeof(*t));
}
