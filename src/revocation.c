/* SPDX-License-Identifier: BSD-3-Clause */
#include "revocation.h"

#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "store.h"

int pj_token_name(json_t *claims, const char *token, size_t n, char *out, size_t outn)
{
	json_t *jti = json_object_get(claims, "jti");
	if (json_is_string(jti) && pj_name_valid(json_string_value(jti), json_string_length(jti))) {
		if (json_string_length(jti) >= outn)
			return -1;
		memcpy(out, json_string_value(jti), json_string_length(jti) + 1);
		return 0;
	}
	unsigned char md[SHA256_DIGEST_LENGTH];
	if (outn < 7 + 2 * sizeof(md) + 1 || !SHA256((const unsigned char *)token, n, md))
		return -1;
	memcpy(out, "sha256:", 7);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The states a lookup fills for one query: all, the user (when there is
 * one), the name, the twin's name (when there is one). */
struct states {
	struct pj_keystate k[4];
	struct pj_keystate *all, *user, *name, *alt;
	size_t n;
};

static void states_init(struct states *s, const struct pj_revquery *q)
{
	memset(s, 0, sizeof(*s));
	s->all = &s->k[s->n++];
	s->all->kind = PJ_REV_ALL;
	if (q->user) {
		s->user = &s->k[s->n++];
		s->user->kind = PJ_REV_USER;
		s->user->key = q->user;
	}
	s->name = &s->k[s->n++];
	s->name->kind = PJ_REV_JTI;
	s->name->key = q->name;
	if (q->alt_name) {
		s->alt = &s->k[s->n++];
		s->alt->kind = PJ_REV_JTI;
		s->alt->key = q->alt_name;
	}
}

/* The states judged: the order of the reasons is the order of a
 * tool-written list (all, user, then jti). */
static int judge(const struct pj_revquery *q, const struct states *s, pj_err *e)
{
	if (s->all->present) {
		if (!q->has_iat)
			return pj_fail(e,
				       "all tokens issued before %lld are revoked and the token "
				       "has no iat",
				       s->all->time);
		if (q->iat < (double)s->all->time)
			return pj_fail(e, "all tokens issued before %lld are revoked",
				       s->all->time);
	}
	if (s->user && s->user->present) {
		if (!q->has_iat)
			return pj_fail(e,
				       "tokens of %s issued before %lld are revoked and the token "
				       "has no iat",
				       q->user, s->user->time);
		if (q->iat < (double)s->user->time)
			return pj_fail(e, "tokens of %s issued before %lld are revoked", q->user,
				       s->user->time);
	}
	if (s->name->present)
		return pj_fail(e, "token %s is revoked", q->name);
	if (s->alt && s->alt->present)
		return pj_fail(e, "token %s is revoked (as %s)", q->name, q->alt_name);
	return 0;
}

int pj_revocation_lookup(const char *path, int must_exist, uid_t allowed_uid,
			 const struct pj_revquery *q, struct pj_stamp *stamp, pj_err *e)
{
	struct states s;
	states_init(&s, q);
	if (pj_list_lookup(path, allowed_uid, must_exist, s.k, s.n, stamp, e) != 0)
		return -1;
	return judge(q, &s, e);
}

int pj_revocation_check(const char *path, int must_exist, uid_t allowed_uid,
			const struct pj_revquery *q, pj_err *e)
{
	return pj_revocation_lookup(path, must_exist, allowed_uid, q, NULL, e);
}

int pj_allowlist_lookup(const char *path, uid_t allowed_uid, const char *name,
			struct pj_stamp *stamp, pj_err *e)
{
	struct pj_keystate k = { .kind = PJ_REV_JTI, .key = name };
	pj_err why;
	if (pj_list_lookup(path, allowed_uid, 1, &k, 1, stamp, &why) != 0)
		return pj_fail(e, "allowlist: %s", why.msg);
	if (!k.present)
		return pj_fail(e, "token %s is not in the allowlist %s", name, path);
	return 0;
}

int pj_allowlist_check(const char *path, uid_t allowed_uid, const char *name, pj_err *e)
{
	return pj_allowlist_lookup(path, allowed_uid, name, NULL, e);
}

int pj_onetime_use(const char *path, uid_t allowed_uid, const char *name, long long until,
		   int record, time_t now, pj_err *e)
{
	if (record)
		return pj_list_use(path, allowed_uid, name, until, now, e) == 0 ? 0 : -1;
	struct pj_keystate k = { .kind = PJ_REV_JTI, .key = name };
	if (pj_list_lookup(path, allowed_uid, 0, &k, 1, NULL, e) != 0)
		return -1;
	if (k.present)
		return pj_fail(e, "one-time token %s was already used", name);
	return 0;
}
