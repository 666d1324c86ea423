/* SPDX-License-Identifier: BSD-3-Clause */
#include "session.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

int pj_export_name(const char *claim, char *out, size_t outn)
{
	size_t p = strlen(PJ_EXPORT_PREFIX), n = strlen(claim);
	if (n == 0 || p + n + 1 > outn)
		return -1;
	memcpy(out, PJ_EXPORT_PREFIX, p);
	for (size_t i = 0; i < n; i++) {
		char c = claim[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		out[p + i] = c;
	}
	out[p + n] = 0;
	return 0;
}

/* Control characters in UTF-8 text (jansson has checked it is UTF-8): C0 and
 * DEL, C1 (U+0080-U+009F, which terminals may obey as escapes) and the
 * Unicode line and paragraph separators.  Returns the offending offset or
 * -1. */
static long control_at(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return (long)i;
		if (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
			return (long)i;
		if (u[i] == 0xe2 && i + 2 < n && u[i + 1] == 0x80 &&
		    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))
			return (long)i;
	}
	return -1;
}

/* One scalar appended at out[*o]; in_array: commas would be ambiguous. */
/* A real in decimal with a '.' whatever the locale: su and sudo set the
 * invoking user's, whose ',' would turn 1.5 into "1,5", two members of a
 * list to whoever reads JWT_GROUPS.  uselocale() is this thread's alone, so
 * the host's locale stays as it was. */
static int format_real(double d, char *out, size_t outn)
{
	locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c == (locale_t)0)
		return -1;
	locale_t old = uselocale(c);
	int n = snprintf(out, outn, "%.17g", d);
	uselocale(old);
	freelocale(c);
	return n > 0 && (size_t)n < outn ? 0 : -1;
}

static int put_scalar(json_t *v, int in_array, char *out, size_t outn, size_t *o, pj_err *e)
{
	char num[64];
	const char *s;
	size_t n;
	if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
		if (strlen(s) != n || control_at(s, n) >= 0)
			return pj_fail(e, "it holds a control character");
		if (in_array && memchr(s, ',', n))
			return pj_fail(e, "an array member holds a comma");
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = num;
		n = strlen(num);
	} else if (json_is_real(v)) {
		if (format_real(json_real_value(v), num, sizeof(num)) != 0)
			return pj_fail(e, "it cannot be formatted");
		s = num;
		n = strlen(num);
	} else if (json_is_boolean(v)) {
		s = json_is_true(v) ? "true" : "false";
		n = strlen(s);
	} else if (json_is_null(v)) {
		return pj_fail(e, "it is null");
	} else {
		return pj_fail(e, "it is %s", in_array ? "a nested array or object" : "an object");
	}
	if (n > PJ_EXPORT_VALUE_MAX || *o + n + 1 > outn || *o + n > PJ_EXPORT_VALUE_MAX)
		return pj_fail(e, "it is longer than %d bytes", PJ_EXPORT_VALUE_MAX);
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = 0;
	return 0;
}

int pj_export_value(json_t *v, char *out, size_t outn, pj_err *e)
{
	size_t o = 0;
	if (outn == 0)
		return pj_fail(e, "no room");
	out[0] = 0;
	if (!json_is_array(v))
		return put_scalar(v, 0, out, outn, &o, e);
	size_t i;
	json_t *m;
	json_array_foreach (v, i, m) {
		if (i > 0) {
			if (o + 2 > outn || o + 1 > PJ_EXPORT_VALUE_MAX)
				return pj_fail(e, "it is longer than %d bytes",
					       PJ_EXPORT_VALUE_MAX);
			out[o++] = ',';
			out[o] = 0;
		}
		if (put_scalar(m, 1, out, outn, &o, e) != 0)
			return -1;
	}
	return 0;
}

/* Does an earlier claim of export_claims map to the same variable? */
static int taken(const struct pj_config *cfg, size_t i, const char *var)
{
	char other[PJ_CLAIM_NAME_MAX + 8];
	for (size_t j = 0; j < i; j++)
		if (pj_export_name(cfg->export_claims.v[j], other, sizeof(other)) == 0 &&
		    strcmp(var, other) == 0)
			return 1;
	return 0;
}

int pj_export_each(const struct pj_config *cfg, json_t *claims, int user_key, pj_export_fn fn,
		   void *ctx)
{
	char value[PJ_EXPORT_VALUE_MAX + 1], var[PJ_CLAIM_NAME_MAX + 8];
	for (size_t i = 0; i < cfg->export_claims.n; i++) {
		const char *claim = cfg->export_claims.v[i], *why = NULL, *val = NULL;
		pj_err e;
		if (pj_export_name(claim, var, sizeof(var)) != 0 || taken(cfg, i, var))
			continue;
		json_t *v = claims ? json_object_get(claims, claim) : NULL;
		if (v && user_key)
			why = "the token is signed with the user's own key (user_jwks_file)";
		else if (v && pj_export_value(v, value, sizeof(value), &e) == 0)
			val = value;
		else if (v)
			why = e.msg;
		int rc = fn(var, val, claim, why, ctx);
		if (rc != 0)
			return rc;
	}
	return 0;
}
