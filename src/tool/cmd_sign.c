/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool sign: makes tokens for tests, demos and robots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "keys.h"
#include "tool.h"
#include "util.h"

#define PJ_DEFAULT_TTL 300

static const char help[] =
	"usage: pam_jwt-tool sign --key FILE --alg ALG [--kid ID] [--sub USER] [--iss ISS]\n"
	"                         [--aud AUD]... [--ttl SECONDS] [--claim name=value]...\n"
	"                         [--header name=value]... [--status-uri URI --status-idx N]\n"
	"Prints a compact JWS.  FILE is a private key as PEM or as a JWK (an \"oct\" JWK\n"
	"for HS256/384/512); it must not be readable by group or others.  iat, exp\n"
	"(iat + ttl, default 300 s) and a random jti are always set; --claim and\n"
	"--header values are JSON when they parse as JSON, strings otherwise, and\n"
	"override the defaults (e.g. --claim exp=1700000000).  --status-uri and\n"
	"--status-idx add a status claim naming entry N of a Token Status List\n"
	"(pam_jwt-tool status-list).\n";

/* "name=value": the value as JSON when it parses (numbers, true, objects),
 * else as a string. */
static int set_member(json_t *obj, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		fprintf(stderr, "pam_jwt-tool: expected name=value, got \"%s\"\n", kv);
		return -1;
	}
	char *name = strndup(kv, (size_t)(eq - kv));
	json_t *v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (!v)
		v = json_string(eq + 1);
	int rc = name && v ? json_object_set_new(obj, name, v) : -1;
	if (!name || !v)
		json_decref(v);
	free(name);
	return rc;
}

static char *b64_json(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	char *b = s ? pj_b64url_encode((unsigned char *)s, strlen(s)) : NULL;
	free(s);
	return b;
}

static int random_jti(json_t *claims)
{
	unsigned char r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	char *s = pj_b64url_encode(r, sizeof(r));
	int rc = s ? json_object_set_new(claims, "jti", json_string(s)) : -1;
	free(s);
	return rc;
}

char *tool_make_token(const struct pj_key *key, enum pj_alg alg, json_t *header, json_t *claims,
		      pj_err *e)
{
	char *h = b64_json(header), *p = b64_json(claims), *out = NULL, *input = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	if (!h || !p || asprintf(&input, "%s.%s", h, p) < 0) {
		input = NULL;
		pj_fail(e, "out of memory");
		goto done;
	}
	if (pj_sig_sign(alg, key, (unsigned char *)input, strlen(input), &sig, &siglen, e) != 0)
		goto done;
	char *s = pj_b64url_encode(sig, siglen);
	if (!s || asprintf(&out, "%s.%s", input, s) < 0)
		out = NULL;
	pj_free_secret(s, s ? strlen(s) : 0);
done:
	free(h);
	free(p);
	free(input);
	pj_free_secret(sig, siglen);
	return out;
}

struct sign_args {
	const char *key, *alg, *kid, *sub, *iss, *ttl, *status_uri, *status_idx;
	json_t *aud, *extra_claims, *extra_header;
};

static int parse_args(int argc, char **argv, struct sign_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *v;
		int m = 0;
		static const char *names[] = { "--key", "--alg", "--kid",	 "--sub",
					       "--iss", "--ttl", "--status-uri", "--status-idx" };
		const char **slots[] = { &a->key, &a->alg, &a->kid,	   &a->sub,
					 &a->iss, &a->ttl, &a->status_uri, &a->status_idx };
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return 1;
		}
		for (size_t k = 0; k < 8 && m == 0; k++)
			if ((m = tool_opt(argc, argv, &i, names[k], &v)) > 0)
				*slots[k] = v;
		if (m == 0 && (m = tool_opt(argc, argv, &i, "--aud", &v)) > 0)
			json_array_append_new(a->aud, json_string(v));
		if (m == 0 && (m = tool_opt(argc, argv, &i, "--claim", &v)) > 0 &&
		    set_member(a->extra_claims, v) != 0)
			return -1;
		if (m == 0 && (m = tool_opt(argc, argv, &i, "--header", &v)) > 0 &&
		    set_member(a->extra_header, v) != 0)
			return -1;
		if (m < 0)
			return -1;
		if (m == 0) {
			fprintf(stderr, "pam_jwt-tool: sign: unexpected argument %s\n%s", argv[i],
				help);
			return -1;
		}
	}
	if (!a->key || !a->alg) {
		fprintf(stderr, "pam_jwt-tool: sign needs --key and --alg\n%s", help);
		return -1;
	}
	if (!a->status_uri != !a->status_idx) {
		fprintf(stderr, "pam_jwt-tool: sign: --status-uri and --status-idx go together\n");
		return -1;
	}
	return 0;
}

static json_t *build_claims(const struct sign_args *a, long ttl)
{
	long long now = (long long)time(NULL);
	json_t *c = json_pack("{s:I,s:I}", "iat", (json_int_t)now, "exp", (json_int_t)(now + ttl));
	if (!c || random_jti(c) != 0)
		goto fail;
	if (a->sub && json_object_set_new(c, "sub", json_string(a->sub)) != 0)
		goto fail;
	if (a->iss && json_object_set_new(c, "iss", json_string(a->iss)) != 0)
		goto fail;
	if (json_array_size(a->aud) == 1 &&
	    json_object_set(c, "aud", json_array_get(a->aud, 0)) != 0)
		goto fail;
	if (json_array_size(a->aud) > 1 && json_object_set(c, "aud", a->aud) != 0)
		goto fail;
	if (a->status_uri) {
		/* draft-ietf-oauth-status-list: {"status_list": {"idx", "uri"}}. */
		char *end;
		unsigned long long idx = strtoull(a->status_idx, &end, 10);
		if (!*a->status_idx || *end || a->status_idx[0] == '-' || idx > (1ull << 53)) {
			fprintf(stderr, "pam_jwt-tool: sign: --status-idx must be 0 or more\n");
			goto fail;
		}
		json_t *st = json_pack("{s:{s:I,s:s}}", "status_list", "idx", (json_int_t)idx,
				       "uri", a->status_uri);
		if (!st || json_object_set_new(c, "status", st) != 0)
			goto fail;
	}
	if (json_object_update(c, a->extra_claims) != 0)
		goto fail;
	return c;
fail:
	json_decref(c);
	return NULL;
}

int cmd_sign(struct tool *t, int argc, char **argv)
{
	struct sign_args a = { .aud = json_array(),
			       .extra_claims = json_object(),
			       .extra_header = json_object() };
	struct pj_key key = { 0 };
	json_t *header = NULL, *claims = NULL;
	char *token = NULL;
	int rc = EXIT_USAGE, alg = -1;
	long ttl = PJ_DEFAULT_TTL;
	pj_err e;
	(void)t;
	int pr = parse_args(argc, argv, &a);
	if (pr != 0) {
		rc = pr > 0 ? 0 : EXIT_USAGE;
		goto done;
	}
	if ((alg = pj_alg_from_name(a.alg)) < 0) {
		fprintf(stderr, "pam_jwt-tool: unknown algorithm \"%s\"\n", a.alg);
		goto done;
	}
	if (a.ttl) {
		char *end;
		ttl = strtol(a.ttl, &end, 10);
		if (*end || ttl <= 0) {
			fprintf(stderr,
				"pam_jwt-tool: --ttl must be a positive number of seconds\n");
			goto done;
		}
	}
	if (pj_load_signing_key(a.key, getuid(), &key, &e) != 0) {
		fprintf(stderr, "pam_jwt-tool: %s\n", e.msg);
		goto done;
	}
	const char *kid = a.kid ? a.kid : key.kid;
	header = json_pack("{s:s,s:s}", "alg", a.alg, "typ", "JWT");
	if (header && kid)
		json_object_set_new(header, "kid", json_string(kid));
	claims = build_claims(&a, ttl);
	if (!header || !claims || json_object_update(header, a.extra_header) != 0) {
		fprintf(stderr, "pam_jwt-tool: out of memory\n");
		goto done;
	}
	token = tool_make_token(&key, (enum pj_alg)alg, header, claims, &e);
	if (!token) {
		fprintf(stderr, "pam_jwt-tool: cannot sign: %s\n", e.msg);
		rc = EXIT_REJECTED;
		goto done;
	}
	puts(token);
	rc = 0;
done:
	pj_free_secret(token, token ? strlen(token) : 0);
	json_decref(header);
	json_decref(claims);
	json_decref(a.aud);
	json_decref(a.extra_claims);
	json_decref(a.extra_header);
	pj_key_clear(&key);
	return rc;
}
