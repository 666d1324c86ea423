/* SPDX-License-Identifier: BSD-3-Clause */
#include "client/conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINE 4096
#define MAX_FILE (1 << 20)

void pj_ccfg_init(struct pj_ccfg *c)
{
	memset(c, 0, sizeof(*c));
	c->min_validity = -1;
	c->timeout = -1;
	c->qrcode = -1;
}

void pj_ccfg_free(struct pj_ccfg *c)
{
	char **s[] = {
		&c->issuer, &c->discovery_url, &c->ca_file, &c->client_id, &c->client_secret_file,
		&c->scope,  &c->resource,      &c->audience
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		free(*s[i]);
		*s[i] = NULL;
	}
}

int pj_ccfg_match(const char *p, const char *s, int fold)
{
	for (;; p++, s++) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (!*p)
				return 1;
			for (; *s; s++)
				if (pj_ccfg_match(p, s, fold))
					return 1;
			return 0;
		}
		if (!*p)
			return !*s;
		if (!*s)
			return 0;
		if (*p != '?' &&
		    (fold ? tolower((unsigned char)*p) != tolower((unsigned char)*s) : *p != *s))
			return 0;
	}
}

/* A block's patterns against the target: some plain pattern matches and no
 * negated one does. */
static int block_matches(char *patterns, const struct pj_target *t)
{
	int hit = 0;
	char *save = NULL;
	for (char *w = strtok_r(patterns, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		int neg = *w == '!';
		if (pj_ccfg_match(w + neg, t->name, !t->service)) {
			if (neg)
				return 0;
			hit = 1;
		}
	}
	return hit;
}

enum kind { K_URL, K_PATH, K_WORD, K_SCOPE, K_GRANT, K_SECONDS, K_YESNO };

struct kw {
	const char *name;
	enum kind kind;
	size_t off; /* of the member in struct pj_ccfg */
	long lo, hi;
};

#define M(f) offsetof(struct pj_ccfg, f)
static const struct kw kws[] = {
	{ "Issuer", K_URL, M(issuer), 0, 0 },
	{ "DiscoveryURL", K_URL, M(discovery_url), 0, 0 },
	{ "CAFile", K_PATH, M(ca_file), 0, 0 },
	{ "ClientId", K_WORD, M(client_id), 0, 0 },
	{ "ClientSecretFile", K_PATH, M(client_secret_file), 0, 0 },
	{ "Scope", K_SCOPE, M(scope), 0, 0 },
	{ "Resource", K_URL, M(resource), 0, 0 },
	{ "Audience", K_WORD, M(audience), 0, 0 },
	{ "Grant", K_GRANT, M(grant), 0, 0 },
	{ "MinValidity", K_SECONDS, M(min_validity), 0, 86400 },
	{ "Timeout", K_SECONDS, M(timeout), 1, 600 },
	{ "QRCode", K_YESNO, M(qrcode), 0, 0 },
};
#undef M

/* Printable ASCII without spaces (a client id, an audience, a URL). */
static int plain_word(const char *v)
{
	if (!*v)
		return 0;
	for (; *v; v++)
		if ((unsigned char)*v <= 0x20 || (unsigned char)*v >= 0x7f)
			return 0;
	return 1;
}

/* Checks v for the keyword's kind and stores it unless already set.
 * Returns 0 or fails with a reason (the caller prefixes FILE:LINE). */
static int set_value(struct pj_ccfg *c, const struct kw *k, char *v, int apply, const char *home,
		     pj_err *e)
{
	char *p = (char *)c + k->off, **str = (char **)(void *)p, *copy = NULL;
	char *end;
	long num;
	switch (k->kind) {
	case K_URL:
		if (!plain_word(v))
			return pj_fail(e, "%s needs one URL", k->name);
		/* A resource indicator may be any absolute URI (RFC 8707 2: ssh://,
		 * urn:...); what the client fetches must be https. */
		if (k->off != offsetof(struct pj_ccfg, resource) && strncmp(v, "https://", 8) != 0)
			return pj_fail(e, "%s must be an https:// URL", k->name);
		if (k->off == offsetof(struct pj_ccfg, resource) && !strchr(v, ':'))
			return pj_fail(e, "Resource must be an absolute URI");
		if (strchr(v, '#'))
			return pj_fail(e, "%s must not have a fragment", k->name);
		break;
	case K_PATH:
		if (!plain_word(v))
			return pj_fail(e, "%s needs one path (without spaces)", k->name);
		if (v[0] == '~' && v[1] == '/') {
			if (!home || !*home)
				return pj_fail(e, "%s: ~/ without a home directory", k->name);
			if (asprintf(&copy, "%s%s", home, v + 1) < 0)
				return pj_fail(e, "out of memory");
		} else if (v[0] != '/') {
			return pj_fail(e, "%s must be an absolute path or start with ~/", k->name);
		}
		break;
	case K_WORD:
		if (!plain_word(v))
			return pj_fail(e, "%s needs one word of printable ASCII", k->name);
		break;
	case K_SCOPE:
		/* RFC 6749 3.3: scope tokens of %x21 / %x23-5B / %x5D-7E. */
		for (const char *q = v; *q; q++)
			if (*q != ' ' && (*q < 0x21 || *q > 0x7e || *q == '"' || *q == '\\'))
				return pj_fail(e,
					       "Scope may hold only printable ASCII but \" and \\");
		break;
	case K_GRANT:
		if (strcmp(v, "device") != 0 && strcmp(v, "client_credentials") != 0)
			return pj_fail(e, "Grant is device or client_credentials, not \"%.40s\"",
				       v);
		if (apply && c->grant == PJ_GRANT_UNSET)
			c->grant = strcmp(v, "device") == 0 ? PJ_GRANT_DEVICE
							    : PJ_GRANT_CLIENT_CREDENTIALS;
		return 0;
	case K_SECONDS:
		errno = 0;
		num = strtol(v, &end, 10);
		if (errno || end == v || *end || !isdigit((unsigned char)*v) || num < k->lo ||
		    num > k->hi)
			return pj_fail(e, "%s is a number of seconds from %ld to %ld", k->name,
				       k->lo, k->hi);
		if (apply && *(long *)(void *)p < 0)
			*(long *)(void *)p = num;
		return 0;
	case K_YESNO:
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return pj_fail(e, "%s is yes or no", k->name);
		if (apply && c->qrcode < 0)
			c->qrcode = strcmp(v, "yes") == 0;
		return 0;
	}
	if (apply && !*str) {
		*str = copy ? copy : strdup(v);
		if (!*str)
			return pj_fail(e, "out of memory");
		copy = NULL;
	}
	free(copy);
	return 0;
}

/* Normalises the scope's spaces in place: single, none at the ends. */
static void squeeze(char *s)
{
	char *o = s;
	for (char *q = s; *q; q++)
		if (*q != ' ' || (o > s && o[-1] != ' '))
			*o++ = *q;
	while (o > s && o[-1] == ' ')
		o--;
	*o = 0;
}

int pj_ccfg_parse(struct pj_ccfg *c, const char *text, size_t n, const char *fname,
		  const struct pj_target *t, const char *home, pj_err *e)
{
	char line[MAX_LINE + 1];
	int applies = 1; /* before the first block: every target */
	size_t pos = 0, lineno = 0;
	pj_err why;
	if (memchr(text, 0, n))
		return pj_fail(e, "%s: holds a NUL byte", fname);
	while (pos < n) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (text + pos)) : n - pos;
		lineno++;
		if (len > MAX_LINE)
			return pj_fail(e, "%s:%zu: line longer than %d bytes", fname, lineno,
				       MAX_LINE);
		memcpy(line, text + pos, len);
		line[len] = 0;
		pos += len + (nl != NULL);
		/* Tabs and spaces around; a CR before the newline is trailing space. */
		char *s = line, *end = line + len;
		while (*s == ' ' || *s == '\t')
			s++;
		while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = 0;
		if (!*s || *s == '#')
			continue;
		for (char *q = s; *q; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t')
				return pj_fail(e, "%s:%zu: control character", fname, lineno);
		/* Keyword, then white space and/or one '='. */
		char *key = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '=')
			s++;
		char *kend = s;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '=')
			s++;
		while (*s == ' ' || *s == '\t')
			s++;
		*kend = 0;
		char *val = s;
		for (char *q = val; *q; q++)
			if (*q == '\t')
				*q = ' ';
		if (!*val)
			return pj_fail(e, "%s:%zu: %s needs a value", fname, lineno, key);
		if (strcasecmp(key, "Host") == 0 || strcasecmp(key, "Service") == 0) {
			int service = strcasecmp(key, "Service") == 0;
			char pats[MAX_LINE + 1];
			snprintf(pats, sizeof(pats), "%s", val);
			for (char *q = pats; *q; q++)
				if (*q != ' ' && (*q <= 0x20 || *q >= 0x7f || *q == '/'))
					return pj_fail(e, "%s:%zu: bad character in a pattern",
						       fname, lineno);
			applies = service == t->service && block_matches(pats, t);
			if (applies && !c->matched) {
				c->matched = 1;
				snprintf(c->where, sizeof(c->where), "%s:%zu %s %.80s", fname,
					 lineno, service ? "Service" : "Host", val);
			}
			continue;
		}
		if (strcasecmp(key, "Match") == 0) {
			/* ssh_config's "Match all": every target; no other criteria. */
			if (strcasecmp(val, "all") != 0)
				return pj_fail(e, "%s:%zu: only \"Match all\" is supported", fname,
					       lineno);
			applies = 1;
			if (!c->matched) {
				c->matched = 1;
				snprintf(c->where, sizeof(c->where), "%s:%zu Match all", fname,
					 lineno);
			}
			continue;
		}
		const struct kw *k = NULL;
		for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
			if (strcasecmp(key, kws[i].name) == 0)
				k = &kws[i];
		if (!k)
			return pj_fail(e, "%s:%zu: unknown keyword %.60s", fname, lineno, key);
		if (k->kind == K_SCOPE)
			squeeze(val);
		else if (strchr(val, ' '))
			return pj_fail(e, "%s:%zu: %s takes one value", fname, lineno, k->name);
		if (set_value(c, k, val, applies, home, &why) != 0)
			return pj_fail(e, "%s:%zu: %s", fname, lineno, why.msg);
	}
	return 0;
}

int pj_ccfg_load(struct pj_ccfg *c, const char *path, uid_t owner, const struct pj_target *t,
		 const char *home, pj_err *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return pj_fail(e, "%s: %s", path, strerror(errno));
	}
	char *buf = NULL;
	int rc = -1;
	ssize_t got = 0;
	if (fstat(fd, &st) != 0)
		pj_fail(e, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		pj_fail(e, "%s: not a regular file", path);
	else if (st.st_uid != owner && st.st_uid != 0)
		pj_fail(e, "%s: bad owner (must be yours or root's)", path);
	else if (st.st_mode & 022)
		pj_fail(e,
			"%s: writable by group or others (chmod go-w): whoever can change it "
			"chooses where your tokens go",
			path);
	else if (st.st_size > MAX_FILE)
		pj_fail(e, "%s: larger than %d bytes", path, MAX_FILE);
	else if (!(buf = malloc((size_t)st.st_size + 1)))
		pj_fail(e, "out of memory");
	else {
		size_t have = 0;
		while (have < (size_t)st.st_size &&
		       ((got = read(fd, buf + have, (size_t)st.st_size - have)) > 0 ||
			(got < 0 && errno == EINTR)))
			if (got > 0)
				have += (size_t)got;
		if (got < 0)
			pj_fail(e, "%s: %s", path, strerror(errno));
		else
			rc = pj_ccfg_parse(c, buf, have, path, t, home, e);
	}
	free(buf);
	close(fd);
	return rc;
}

int pj_ccfg_finish(struct pj_ccfg *c, pj_err *e)
{
	if (c->grant == PJ_GRANT_UNSET)
		c->grant = PJ_GRANT_DEVICE;
	if (!c->issuer && !c->discovery_url)
		return pj_fail(e, "no Issuer (or DiscoveryURL)");
	if (!c->client_id)
		return pj_fail(e, "no ClientId");
	if (c->grant == PJ_GRANT_CLIENT_CREDENTIALS && !c->client_secret_file)
		return pj_fail(e, "Grant client_credentials needs a ClientSecretFile");
	if (!c->discovery_url) {
		size_t n = strlen(c->issuer);
		while (n > 8 && c->issuer[n - 1] == '/')
			n--;
		if (asprintf(&c->discovery_url, "%.*s/.well-known/openid-configuration", (int)n,
			     c->issuer) < 0) {
			c->discovery_url = NULL;
			return pj_fail(e, "out of memory");
		}
	}
	if (!c->scope && c->grant == PJ_GRANT_DEVICE &&
	    !(c->scope = strdup("openid offline_access")))
		return pj_fail(e, "out of memory");
	if (c->min_validity < 0)
		c->min_validity = 60;
	if (c->timeout < 0)
		c->timeout = 30;
	if (c->qrcode < 0)
		c->qrcode = 1;
	return 0;
}
