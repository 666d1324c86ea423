/* SPDX-License-Identifier: BSD-3-Clause */
#include "document.h"

#include <string.h>
#include <strings.h>

#include "token.h"
#include "util.h"

int pj_url_check(const char *url, pj_err *e)
{
	size_t n = strlen(url);
	if (pj_ascii_ncasecmp(url, "https://", 8) != 0)
		return pj_fail(e, "only https:// URLs are fetched");
	if (n > PJ_URL_MAX)
		return pj_fail(e, "URL longer than %d bytes", PJ_URL_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return pj_fail(e, "URL has a space, control or non-ASCII character");
	const char *host = url + 8;
	size_t authority = strcspn(host, "/?#");
	if (authority == 0)
		return pj_fail(e, "URL has no host");
	/* Credentials in a URL would be sent to the server: none are, ever. */
	if (memchr(host, '@', authority))
		return pj_fail(e, "URL must not carry a user name or password");
	return 0;
}

/* RFC 7518 6.2.2, 6.3.2 and 6.4, RFC 8037 2: the members that make a JWK
 * private, whatever its kty says. */
static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "oth" };

/* The first member that makes this JWK secret or private ("k" stands for any
 * oct key), or NULL. */
static const char *jwk_private_member(json_t *jwk)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	if (kty && strcmp(kty, "oct") == 0)
		return "k";
	for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		if (json_object_get(jwk, private_members[i]))
			return private_members[i];
	return NULL;
}

const char *pj_jwks_private_member(json_t *keys, size_t *at)
{
	size_t i;
	json_t *k;
	json_array_foreach (keys, i, k) {
		const char *m = jwk_private_member(k);
		if (m) {
			*at = i;
			return m;
		}
	}
	return NULL;
}

int pj_jwks_has_secret(json_t *keys)
{
	size_t at;
	return pj_jwks_private_member(keys, &at) != NULL;
}

int pj_discovery_issuer_check(json_t *disco, const char *const *issuers, size_t n, pj_err *e)
{
	json_t *v = json_object_get(disco, "issuer");
	const char *iss = json_string_value(v);
	char shown[100];
	if (!iss)
		return pj_fail(e, "the discovery document has no \"issuer\" string");
	for (size_t i = 0; i < n; i++)
		if (strlen(iss) == json_string_length(v) && strcmp(iss, issuers[i]) == 0)
			return 0;
	pj_sanitize(shown, sizeof(shown), iss, json_string_length(v));
	return pj_fail(e, "the discovery document's issuer \"%s\" is not the configured issuer",
		       shown);
}

/* So that a broken response never replaces a good copy, and a cached copy
 * that no longer passes is not used. */
json_t *pj_document_check(const char *body, size_t n, enum pj_doc_kind kind, pj_err *e)
{
	pj_err why;
	json_t *doc = pj_json_object((const unsigned char *)body, n, "the document", &why);
	if (!doc) {
		pj_fail(e, "%s", why.msg);
		return NULL;
	}
	if (kind == PJ_DOC_JWKS) {
		json_t *keys = json_object_get(doc, "keys");
		if (!json_is_array(keys))
			pj_fail(e, "no \"keys\" array");
		/* Secrets and private keys have no business on the network or in
		 * a world-readable cache: a JWKS holding one is refused whole. */
		else if (pj_jwks_has_secret(keys))
			pj_fail(e, "it holds a secret (oct) key or private key members");
		else
			return doc;
	} else if (kind != PJ_DOC_DISCOVERY) {
		/* Status lists and feeds are JWS, judged where their rules live. */
		pj_fail(e, "not a JSON document kind");
	} else {
		json_t *uri = json_object_get(doc, "jwks_uri");
		if (!json_is_string(uri))
			pj_fail(e, "no \"jwks_uri\" string");
		else if (pj_url_check(json_string_value(uri), &why) != 0)
			pj_fail(e, "jwks_uri: %s", why.msg);
		else
			return doc;
	}
	json_decref(doc);
	return NULL;
}

static int media_type_is(const char *v, const char *want)
{
	/* RFC 7515 4.1.9: "application/" may be left out; media types ignore case. */
	if (pj_ascii_ncasecmp(v, "application/", 12) == 0)
		v += 12;
	return strlen(v) == strlen(want) && pj_ascii_ncasecmp(v, want, strlen(want)) == 0;
}

int pj_status_token_shape(json_t *header, json_t *claims, int *bits, const char **lst,
			  size_t *lst_n, pj_err *e)
{
	const char *typ = json_string_value(json_object_get(header, "typ"));
	if (!typ || !media_type_is(typ, "statuslist+jwt"))
		return pj_fail(e, "its typ is not statuslist+jwt");
	if (!json_is_string(json_object_get(claims, "sub")))
		return pj_fail(e, "it has no sub");
	if (!json_is_number(json_object_get(claims, "iat")))
		return pj_fail(e, "it has no iat");
	json_t *exp = json_object_get(claims, "exp"), *ttl = json_object_get(claims, "ttl");
	if (exp && !json_is_number(exp))
		return pj_fail(e, "its exp is not a number");
	if (ttl && (!json_is_number(ttl) || !(json_number_value(ttl) > 0)))
		return pj_fail(e, "its ttl is not a positive number");
	json_t *sl = json_object_get(claims, "status_list");
	if (!json_is_object(sl))
		return pj_fail(e, "it has no status_list object");
	json_t *b = json_object_get(sl, "bits"), *l = json_object_get(sl, "lst");
	json_int_t bv = json_is_integer(b) ? json_integer_value(b) : 0;
	if (bv != 1 && bv != 2 && bv != 4 && bv != 8)
		return pj_fail(e, "its status_list bits is not 1, 2, 4 or 8");
	if (!json_is_string(l) || json_string_length(l) == 0)
		return pj_fail(e, "its status_list has no lst string");
	*bits = (int)bv;
	*lst = json_string_value(l);
	*lst_n = json_string_length(l);
	return 0;
}
