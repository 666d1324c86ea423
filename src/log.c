/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"

#include <stdio.h>
#include <string.h>

#include "util.h"
#include "verify.h"

/* What applications do to long input, measured: sudo and pam_exec pass 511
 * bytes, the OpenSSH client sends 1023, the console and pamtester cut at 4095. */
static const size_t cut_lengths[] = { 511, 1023, 4095 };

static void field(char *buf, size_t bufn, size_t *o, const char *name, json_t *obj)
{
	const char *s = json_string_value(json_object_get(obj, name));
	char v[130];
	if (s)
		pj_sanitize(v, sizeof(v), s, json_string_length(json_object_get(obj, name)));
	else
		strcpy(v, "-");
	if (*o < bufn)
		*o += (size_t)snprintf(buf + *o, bufn - *o, " %s=%s", name, v);
}

static int maybe_cut(size_t len, const struct pj_result *r)
{
	if (r->stage != PJ_STAGE_PARSE && r->stage != PJ_STAGE_SIGNATURE)
		return 0;
	for (size_t i = 0; i < sizeof(cut_lengths) / sizeof(cut_lengths[0]); i++)
		if (len == cut_lengths[i])
			return 1;
	return 0;
}

void pj_log_decision(char *buf, size_t bufn, const char *user, size_t len, unsigned parts,
		     const struct pj_result *r)
{
	char u[100], reason[PJ_ERR_MAX + 8];
	size_t o = 0;
	const char *outcome = r->stage == PJ_STAGE_OK	       ? "accepted"
			      : r->stage == PJ_STAGE_NOT_TOKEN ? "declined"
							       : "refused";
	pj_sanitize(u, sizeof(u), user ? user : "-", user ? strlen(user) : 1);
	/* The reason may quote claim values; they were sanitized where written,
	 * but quotes inside must not break the field. */
	snprintf(reason, sizeof(reason), "%s", r->stage == PJ_STAGE_OK ? "ok" : r->reason.msg);
	for (char *p = reason; *p; p++)
		if (*p == '"' || (unsigned char)*p < 0x20)
			*p = '\'';
	o = (size_t)snprintf(buf, bufn, "user=%s outcome=%s reason=\"%s\"", u, outcome, reason);
	if (r->header || r->claims) {
		field(buf, bufn, &o, "jti", r->claims);
		field(buf, bufn, &o, "kid", r->header);
		field(buf, bufn, &o, "iss", r->claims);
		field(buf, bufn, &o, "sub", r->claims);
		if (o < bufn)
			o += (size_t)snprintf(buf + o, bufn - o, " signature=%s%s",
					      r->verified ? "valid" : "unverified",
					      r->signer == PJ_SIGNER_USER ? " key=user" : "");
	}
	/* Which provider judged it, and which user_map line gave the account:
	 * a name of the configuration, safe as it is. */
	if (r->provider[0] && o < bufn)
		o += (size_t)snprintf(buf + o, bufn - o, " provider=%s", r->provider);
	if (r->map_line && o < bufn)
		o += (size_t)snprintf(buf + o, bufn - o, " user_map=%u", r->map_line);
	/* Keys from a stale copy: the login depended on the provider's outage
	 * being short, which whoever reads the log must be able to tell. */
	if (r->keys.msg[0] && o < bufn) {
		char keys[PJ_ERR_MAX + 8];
		snprintf(keys, sizeof(keys), "%s", r->keys.msg);
		for (char *p = keys; *p; p++)
			if (*p == '"' || (unsigned char)*p < 0x20)
				*p = '\'';
		o += (size_t)snprintf(buf + o, bufn - o, " keys=\"%s\"", keys);
	}
	/* Parts have exact lengths: a cut one is refused as such. */
	if (parts && o < bufn)
		o += (size_t)snprintf(buf + o, bufn - o, " parts=%u", parts);
	if (!parts && maybe_cut(len, r) && o < bufn)
		snprintf(buf + o, bufn - o,
			 " note=\"input is exactly %zu bytes: probably cut short by the "
			 "application (sudo passes 511, the OpenSSH client 1023, the console "
			 "4095); pam_jwt-askpass sends a longer token in parts\"",
			 len);
}

void pj_log_phase(char *buf, size_t bufn, const char *user, const char *phase, const char *outcome,
		  const char *reason)
{
	char u[100], why[PJ_ERR_MAX + 8];
	pj_sanitize(u, sizeof(u), user ? user : "-", user ? strlen(user) : 1);
	snprintf(why, sizeof(why), "%s", reason);
	for (char *p = why; *p; p++)
		if (*p == '"' || (unsigned char)*p < 0x20)
			*p = '\'';
	snprintf(buf, bufn, "user=%s phase=%s outcome=%s reason=\"%s\"", u, phase, outcome, why);
}
