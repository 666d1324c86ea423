/* SPDX-License-Identifier: BSD-3-Clause */
#include "client/oauth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "util.h"

#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define MAX_SECRET   4096

void pj_printable(char *dst, size_t dstn, const char *s)
{
	size_t o = 0;
	if (!dstn)
		return;
	for (; s && *s && o + 1 < dstn; s++)
		dst[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	dst[o] = 0;
}

static json_t *parse_object(const char *body, size_t n, pj_err *e)
{
	json_error_t je;
	json_t *j = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return pj_fail(e, "not JSON (%.80s)", je.text), NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		return pj_fail(e, "not a JSON object"), NULL;
	}
	return j;
}

/* A member that must be a string of printable ASCII (no spaces unless
 * spaces is set) of at most max bytes; NULL when absent. */
static int get_str(json_t *j, const char *name, int required, int spaces, size_t max, char **out,
		   pj_err *e)
{
	json_t *v = json_object_get(j, name);
	*out = NULL;
	if (!v)
		return required ? pj_fail(e, "no %s", name) : 0;
	if (!json_is_string(v))
		return pj_fail(e, "%s is not a string", name);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0 || n > max)
		return pj_fail(e, "%s is empty or longer than %zu bytes", name, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < (spaces ? 0x20 : 0x21) || (unsigned char)s[i] > 0x7e)
			return pj_fail(e, "%s holds a character that is not printable ASCII", name);
	if (!(*out = strndup(s, n)))
		return pj_fail(e, "out of memory");
	return 0;
}

/* A non-negative integer, also as a string of digits (some providers). */
static int get_num(json_t *j, const char *name, long long *out, int *present, pj_err *e)
{
	json_t *v = json_object_get(j, name);
	*present = v != NULL;
	if (!v)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		long long x = 0;
		if (n == 0 || n > 12)
			return pj_fail(e, "%s is not a number", name);
		for (size_t i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return pj_fail(e, "%s is not a number", name);
			x = x * 10 + (s[i] - '0');
		}
		*out = x;
		return 0;
	}
	return pj_fail(e, "%s is not a non-negative integer", name);
}

static int https_url(const char *what, const char *url, pj_err *e)
{
	if (strncasecmp(url, "https://", 8) != 0 || !url[8])
		return pj_fail(e, "%s is not an https:// URL", what);
	return 0;
}

void pj_discovery_free(struct pj_discovery *d)
{
	free(d->issuer);
	free(d->token_endpoint);
	free(d->device_endpoint);
	memset(d, 0, sizeof(*d));
}

int pj_oauth_parse_discovery(const char *body, size_t n, const char *want_issuer,
			     struct pj_discovery *d, pj_err *e)
{
	pj_err why;
	memset(d, 0, sizeof(*d));
	json_t *j = parse_object(body, n, &why);
	if (!j)
		return pj_fail(e, "the discovery document is %s", why.msg);
	int rc = -1;
	if (get_str(j, "issuer", 1, 0, 2048, &d->issuer, &why) != 0 ||
	    get_str(j, "token_endpoint", 1, 0, 2048, &d->token_endpoint, &why) != 0 ||
	    get_str(j, "device_authorization_endpoint", 0, 0, 2048, &d->device_endpoint, &why) != 0)
		pj_fail(e, "discovery document: %s", why.msg);
	else if (want_issuer && strcmp(d->issuer, want_issuer) != 0)
		/* Discovery 4.3: else a document could speak for another issuer. */
		pj_fail(e, "the discovery document is for issuer %.200s, not %.200s", d->issuer,
			want_issuer);
	else if (https_url("the token_endpoint", d->token_endpoint, e) == 0 &&
		 (!d->device_endpoint ||
		  https_url("the device_authorization_endpoint", d->device_endpoint, e) == 0))
		rc = 0;
	json_decref(j);
	if (rc != 0)
		pj_discovery_free(d);
	return rc;
}

void pj_device_auth_free(struct pj_device_auth *d)
{
	pj_wipe_str(d->device_code);
	free(d->user_code);
	free(d->verification_uri);
	free(d->verification_uri_complete);
	memset(d, 0, sizeof(*d));
}

/* An error response (RFC 6749 5.2): "error" and maybe a description. */
static void error_reason(json_t *j, long status, const char *what, pj_err *e)
{
	json_t *err = j ? json_object_get(j, "error") : NULL;
	json_t *desc = j ? json_object_get(j, "error_description") : NULL;
	char a[80], b[200];
	if (json_is_string(err)) {
		pj_printable(a, sizeof(a), json_string_value(err));
		pj_printable(b, sizeof(b), json_is_string(desc) ? json_string_value(desc) : "");
		pj_fail(e, "the %s refused: %s%s%s%s", what, a, b[0] ? " (" : "", b,
			b[0] ? ")" : "");
	} else {
		pj_fail(e, "the %s answered HTTP %ld", what, status);
	}
}

int pj_oauth_parse_device(long status, const char *body, size_t n, struct pj_device_auth *d,
			  pj_err *e)
{
	pj_err why;
	memset(d, 0, sizeof(*d));
	json_t *j = parse_object(body, n, &why);
	if (status != 200) {
		error_reason(j, status, "device authorization endpoint", e);
		json_decref(j);
		return -1;
	}
	if (!j)
		return pj_fail(e, "the device authorization response is %s", why.msg);
	long long exp = 0, iv = 5;
	int has_exp, has_iv, rc = -1;
	char *uri = NULL;
	if (get_str(j, "device_code", 1, 0, 4096, &d->device_code, &why) != 0 ||
	    get_str(j, "user_code", 1, 0, 64, &d->user_code, &why) != 0 ||
	    get_str(j, "verification_uri", 0, 0, 2048, &d->verification_uri, &why) != 0 ||
	    /* The draft's name, still sent by some providers. */
	    get_str(j, "verification_url", 0, 0, 2048, &uri, &why) != 0 ||
	    get_str(j, "verification_uri_complete", 0, 0, 2048, &d->verification_uri_complete,
		    &why) != 0 ||
	    get_num(j, "expires_in", &exp, &has_exp, &why) != 0 ||
	    get_num(j, "interval", &iv, &has_iv, &why) != 0) {
		pj_fail(e, "device authorization response: %s", why.msg);
		goto out;
	}
	if (!d->verification_uri) {
		d->verification_uri = uri;
		uri = NULL;
	}
	if (!d->verification_uri) {
		pj_fail(e, "device authorization response: no verification_uri");
		goto out;
	}
	if (!has_exp || exp <= 0) {
		pj_fail(e, "device authorization response: no expires_in");
		goto out;
	}
	/* The user types credentials there: it must be the real thing. */
	if (https_url("verification_uri", d->verification_uri, e) != 0 ||
	    (d->verification_uri_complete &&
	     https_url("verification_uri_complete", d->verification_uri_complete, e) != 0))
		goto out;
	d->expires_in = exp > 86400 ? 86400 : (long)exp;
	/* RFC 8628 3.2: 5 s when absent; never faster than 1 s. */
	d->interval = !has_iv ? 5 : iv < 1 ? 1 : iv > 300 ? 300 : (long)iv;
	rc = 0;
out:
	free(uri);
	json_decref(j);
	if (rc != 0)
		pj_device_auth_free(d);
	return rc;
}

/* The exp claim of a JWS compact token, 0 when it has none (or is not one). */
static long long jwt_exp(const char *tok)
{
	const char *a = strchr(tok, '.'), *b = a ? strchr(a + 1, '.') : NULL;
	if (!a || !b || strchr(b + 1, '.'))
		return 0;
	unsigned char *p = NULL;
	size_t pn = 0;
	long long exp = 0;
	if (pj_b64url_decode(a + 1, (size_t)(b - a - 1), &p, &pn, NULL) != 0)
		return 0;
	json_t *j = json_loadb((const char *)p, pn, JSON_REJECT_DUPLICATES, NULL);
	json_t *v = j ? json_object_get(j, "exp") : NULL;
	if (json_is_integer(v) && json_integer_value(v) > 0)
		exp = json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) > 0 && json_real_value(v) < 1e15)
		exp = (long long)json_real_value(v);
	json_decref(j);
	pj_free_secret(p, pn);
	return exp;
}

enum pj_tok pj_oauth_parse_token(long status, const char *body, size_t n, long long now,
				 struct pj_tokens *t, pj_err *e)
{
	pj_err why;
	memset(t, 0, sizeof(*t));
	json_t *j = parse_object(body, n, &why);
	if (status != 200) {
		json_t *err = j ? json_object_get(j, "error") : NULL;
		const char *s = json_is_string(err) ? json_string_value(err) : "";
		enum pj_tok r = PJ_TOK_FAIL;
		if (strcmp(s, "authorization_pending") == 0)
			r = PJ_TOK_PENDING;
		else if (strcmp(s, "slow_down") == 0)
			r = PJ_TOK_SLOW_DOWN;
		else if (strcmp(s, "access_denied") == 0)
			r = PJ_TOK_DENIED;
		else if (strcmp(s, "expired_token") == 0)
			r = PJ_TOK_EXPIRED;
		else if (strcmp(s, "invalid_grant") == 0)
			r = PJ_TOK_INVALID_GRANT;
		error_reason(j, status, "token endpoint", e);
		json_decref(j);
		return r;
	}
	if (!j) {
		pj_fail(e, "the token response is %s", why.msg);
		return PJ_TOK_FAIL;
	}
	char *type = NULL;
	long long expires_in = 0;
	int has_exp;
	enum pj_tok r = PJ_TOK_FAIL;
	/* RFC 6749 A.12 and A.17: VSCHAR, spaces allowed. */
	if (get_str(j, "access_token", 1, 1, PJ_TOKEN_MAX, &t->access_token, &why) != 0 ||
	    get_str(j, "refresh_token", 0, 1, PJ_TOKEN_MAX, &t->refresh_token, &why) != 0 ||
	    get_str(j, "token_type", 1, 0, 64, &type, &why) != 0 ||
	    get_num(j, "expires_in", &expires_in, &has_exp, &why) != 0) {
		pj_fail(e, "token response: %s", why.msg);
	} else if (strcasecmp(type, "Bearer") != 0) {
		/* A DPoP or MAC token is no use as a password. */
		char tt[70];
		pj_printable(tt, sizeof(tt), type);
		pj_fail(e, "token response: token_type %s, not Bearer", tt);
	} else {
		long long exp = jwt_exp(t->access_token);
		if (expires_in > 10LL * 365 * 86400)
			expires_in = 10LL * 365 * 86400;
		t->expires_at = has_exp ? now + expires_in : exp;
		if (exp && exp < t->expires_at)
			t->expires_at = exp;
		/* Neither: good for this once, refreshed next time. */
		if (!t->expires_at)
			t->expires_at = now;
		t->obtained_at = now;
		r = PJ_TOK_OK;
	}
	free(type);
	json_decref(j);
	if (r != PJ_TOK_OK)
		pj_tokens_free(t);
	return r;
}

/* ---- the conversation ---- */

int pj_read_secret_file(const char *path, char **out, pj_err *e)
{
	struct stat st;
	char buf[MAX_SECRET + 2];
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return pj_fail(e, "ClientSecretFile %s: %s", path, strerror(errno));
	int rc = -1;
	ssize_t got = 0;
	size_t have = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		pj_fail(e, "ClientSecretFile %s is not a regular file", path);
	else if (st.st_uid != getuid())
		pj_fail(e, "ClientSecretFile %s is not yours: not used", path);
	else if (st.st_mode & 077)
		pj_fail(e,
			"ClientSecretFile %s is accessible by group or others: not used; chmod 600 "
			"it",
			path);
	else {
		while (have <= MAX_SECRET &&
		       ((got = read(fd, buf + have, MAX_SECRET + 1 - have)) > 0 ||
			(got < 0 && errno == EINTR)))
			if (got > 0)
				have += (size_t)got;
		while (have && (buf[have - 1] == '\n' || buf[have - 1] == '\r' ||
				buf[have - 1] == ' ' || buf[have - 1] == '\t'))
			have--;
		buf[have] = 0;
		if (got < 0)
			pj_fail(e, "ClientSecretFile %s: %s", path, strerror(errno));
		else if (have == 0 || have > MAX_SECRET || strlen(buf) != have)
			pj_fail(e, "ClientSecretFile %s: empty, binary or longer than %d bytes",
				path, MAX_SECRET);
		else if (!(*out = strdup(buf)))
			pj_fail(e, "out of memory");
		else
			rc = 0;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

int pj_oauth_start(struct pj_oauth *o, const struct pj_ccfg *cfg, pj_err *e)
{
	memset(o, 0, sizeof(*o));
	o->cfg = cfg;
	o->http.ca_file = cfg->ca_file;
	o->http.timeout = cfg->timeout;
	if (cfg->client_secret_file && pj_read_secret_file(cfg->client_secret_file, &o->secret, e))
		return -1;
	return 0;
}

void pj_oauth_end(struct pj_oauth *o)
{
	pj_discovery_free(&o->disco);
	pj_wipe_str(o->secret);
	o->secret = NULL;
}

int pj_oauth_discover(struct pj_oauth *o, pj_err *e)
{
	struct pj_http_resp r;
	if (o->disco.token_endpoint)
		return 0;
	if (pj_http_get(&o->http, o->cfg->discovery_url, &r, e) != 0)
		return -1;
	int rc = -1;
	if (r.status != 200)
		pj_fail(e, "%.200s answered HTTP %ld", o->cfg->discovery_url, r.status);
	else
		rc = pj_oauth_parse_discovery(r.body, r.n, o->cfg->issuer, &o->disco, e);
	pj_http_resp_free(&r);
	return rc;
}

/* POSTs to the token endpoint, authenticating as the client: HTTP Basic
 * with a secret, else client_id in the body (a public client, RFC 6749
 * 2.3 and 3.2.1). */
static enum pj_tok token_request(struct pj_oauth *o, const char *const *pairs, size_t np,
				 struct pj_tokens *t, pj_err *e)
{
	const char *all[24];
	size_t k = 0;
	for (size_t i = 0; i < np && k < 20; i++)
		all[k++] = pairs[i];
	if (!o->secret) {
		all[k++] = "client_id";
		all[k++] = o->cfg->client_id;
	}
	all[k] = NULL;
	struct pj_http_resp r;
	if (pj_http_post_form(&o->http, o->disco.token_endpoint, all,
			      o->secret ? o->cfg->client_id : NULL, o->secret, &r, e) != 0)
		return PJ_TOK_UNREACHABLE;
	enum pj_tok res = pj_oauth_parse_token(r.status, r.body, r.n, (long long)time(NULL), t, e);
	pj_http_resp_free(&r);
	return res;
}

enum pj_tok pj_oauth_refresh(struct pj_oauth *o, const char *rt, struct pj_tokens *t, pj_err *e)
{
	const char *p[] = { "grant_type", "refresh_token",  "refresh_token", rt,
			    "resource",	  o->cfg->resource, "audience",	     o->cfg->audience };
	if (pj_oauth_discover(o, e) != 0)
		return PJ_TOK_FAIL;
	return token_request(o, p, sizeof(p) / sizeof(p[0]), t, e);
}

enum pj_tok pj_oauth_client_credentials(struct pj_oauth *o, struct pj_tokens *t, pj_err *e)
{
	const char *p[] = { "grant_type", "client_credentials", "scope",    o->cfg->scope,
			    "resource",	  o->cfg->resource,	"audience", o->cfg->audience };
	if (pj_oauth_discover(o, e) != 0)
		return PJ_TOK_FAIL;
	return token_request(o, p, sizeof(p) / sizeof(p[0]), t, e);
}

int pj_oauth_device_start(struct pj_oauth *o, struct pj_device_auth *d, pj_err *e)
{
	if (pj_oauth_discover(o, e) != 0)
		return -1;
	if (!o->disco.device_endpoint)
		return pj_fail(e, "the provider offers no device authorization endpoint "
				  "(device_authorization_endpoint in its discovery document)");
	const char *p[] = { "client_id", o->secret ? NULL : o->cfg->client_id,
			    "scope",	 o->cfg->scope,
			    "resource",	 o->cfg->resource,
			    "audience",	 o->cfg->audience,
			    NULL };
	struct pj_http_resp r;
	if (pj_http_post_form(&o->http, o->disco.device_endpoint, p,
			      o->secret ? o->cfg->client_id : NULL, o->secret, &r, e) != 0)
		return -1;
	int rc = pj_oauth_parse_device(r.status, r.body, r.n, d, e);
	pj_http_resp_free(&r);
	return rc;
}

enum pj_tok pj_oauth_device_poll(struct pj_oauth *o, const struct pj_device_auth *d,
				 struct pj_tokens *t, pj_err *e)
{
	/* RFC 8707 2.2: the resource again, so the token is for it alone. */
	const char *p[] = { "grant_type", DEVICE_GRANT,	    "device_code", d->device_code,
			    "resource",	  o->cfg->resource, NULL,	   NULL };
	return token_request(o, p, 6, t, e);
}
