/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool fetch: refresh the cached keys of every URL source now, so
 * that logins find them fresh and never wait for the network (the systemd
 * timer in conf/ runs this). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "feed.h"
#include "fetch.h"
#include "keyindex.h"
#include "keys.h"
#include "provider.h"
#include "statuslist.h"
#include "tool.h"

static const char help[] =
	"usage: pam_jwt-tool [--config FILE] fetch [--ahead SECONDS]\n"
	"Fetches every jwks_url and discovery_url (and the jwks_uri it names) now,\n"
	"revalidating cached copies with If-None-Match, stores them in cache_dir\n"
	"and reports per source: the outcome, how long it stays fresh, its keys\n"
	"(kid, type, alg).  Then every status list a login used within 7 days (under\n"
	"status_list_url), verified and cached the same way, and the key index of\n"
	"every jwks_file larger than 4 KiB that has no current one, where it may\n"
	"write beside it (as pam_jwt-tool index does).\n"
	"The jwks_refetch_interval of logins does not apply.\n"
	"  --ahead SECONDS  only sources not cached or turning stale within SECONDS\n"
	"Exit 0 when every source is fetched and cached (or fresh enough for\n"
	"--ahead), 1 when one is not (logins keep using its cached copy until\n"
	"jwks_max_stale), 2 for usage or configuration errors.\n";

void tool_print_doc(const char *indent, const char *what, const struct pj_doc *d)
{
	static const char *origins[] = { "cached", "cached", "fetched (HTTP 200)",
					 "not modified (HTTP 304)" };
	char state[160];
	if (d->origin != PJ_ORIGIN_STALE && d->age < d->ttl)
		snprintf(state, sizeof(state), "fresh for %ld s more", d->ttl - d->age);
	else if (d->age <= d->max_stale)
		snprintf(state, sizeof(state),
			 "stale, used while the server is unreachable for %ld s more",
			 d->max_stale - d->age);
	else
		snprintf(state, sizeof(state), "expired: over jwks_max_stale (%ld s)",
			 d->max_stale);
	size_t nkeys = json_array_size(json_object_get(d->json, "keys"));
	char keys[32] = "";
	if (json_is_array(json_object_get(d->json, "keys")))
		snprintf(keys, sizeof(keys), ", %zu key%s", nkeys, nkeys == 1 ? "" : "s");
	printf("%s%s %s: %s%s, age %ld s, %s%s%s\n", indent, what, d->url, origins[d->origin], keys,
	       d->age, state, d->etag[0] ? ", etag " : "", d->etag);
	if (d->note.msg[0])
		printf("%s  note: %s\n", indent, d->note.msg);
}

static void print_keys(const char *indent, const struct pj_doc *d)
{
	json_t *keys = json_object_get(d->json, "keys"), *jwk;
	size_t i;
	json_array_foreach (keys, i, jwk) {
		char source[600], type[64];
		struct pj_key key;
		pj_err why;
		snprintf(source, sizeof(source), "%s#%zu", d->url, i);
		int rc = pj_jwk_to_key(jwk, 0, source, &key, &why);
		if (rc != 0) {
			printf("%s  key #%zu: %s: %s\n", indent, i,
			       rc == PJ_KEY_UNUSABLE ? "passed over" : "cannot be used", why.msg);
			continue;
		}
		tool_key_type(&key, type, sizeof(type));
		printf("%s  kid %-24s %-16s %s\n", indent, key.kid ? key.kid : "-", type,
		       key.alg >= 0 ? pj_alg_name((enum pj_alg)key.alg) : "-");
		pj_key_clear(&key);
	}
}

/* Fresh enough not to bother the server with --ahead? */
static int fresh_ahead(const struct pj_config *cfg, const char *url, int disco, long ahead)
{
	struct pj_fetch_call call = { 0 };
	struct pj_doc jwks, dd;
	memset(&dd, 0, sizeof(dd));
	int ok = pj_fetch_jwks(cfg, &call, url, disco, PJ_WANT_CACHE_ONLY, &jwks, &dd, NULL) == 0 &&
		 jwks.ttl - jwks.age > ahead && (!disco || dd.ttl - dd.age > ahead);
	pj_doc_free(&jwks);
	pj_doc_free(&dd);
	return ok;
}

static int fetch_one(const struct pj_config *cfg, const char *url, int disco, long ahead)
{
	const char *what = disco ? "discovery_url" : "jwks_url";
	if (ahead >= 0 && fresh_ahead(cfg, url, disco, ahead)) {
		printf("%s %s: skipped, fresh for more than %ld s\n", what, url, ahead);
		return 0;
	}
	/* Every source gets the whole fetch_timeout: this is not a login. */
	struct pj_fetch_call call = { 0 };
	struct pj_doc jwks, dd;
	pj_err why;
	memset(&dd, 0, sizeof(dd));
	int rc = pj_fetch_jwks(cfg, &call, url, disco, PJ_WANT_NOW, &jwks, &dd, &why);
	int stored = rc == 0 && jwks.stored && (!disco || dd.stored);
	if (dd.json)
		tool_print_doc("", what, &dd);
	if (rc == 0) {
		struct stat st;
		tool_print_doc(disco ? "  " : "", disco ? "jwks_uri" : what, &jwks);
		print_keys(disco ? "  " : "", &jwks);
		/* The helper indexes what it stores; say whether logins use it. */
		if (stored && stat(jwks.path, &st) == 0 && st.st_size > PJ_KEYINDEX_MIN_SOURCE &&
		    tool_index_one(cfg, disco ? "  jwks_uri" : "  jwks_url", jwks.url, jwks.path, 1,
				   1) != 0)
			stored = 0;
	} else {
		printf("%s %s: FAILED: %s\n", what, url, why.msg);
		/* What logins fall back on meanwhile. */
		struct pj_doc old, od;
		memset(&od, 0, sizeof(od));
		if (pj_fetch_jwks(cfg, &call, url, disco, PJ_WANT_CACHE_ONLY, &old, &od, &why) == 0)
			tool_print_doc("  ", "kept", &old);
		else
			printf("  nothing cached: %s\n", why.msg);
		pj_doc_free(&old);
		pj_doc_free(&od);
	}
	pj_doc_free(&jwks);
	pj_doc_free(&dd);
	return stored ? 0 : -1;
}

struct used_ctx {
	const struct pj_config *cfg;
	long ahead;
	int failed, seen;
};

/* One list a login used: fetched again, unless fresh long enough. */
static void refresh_list(const char *iss, const char *uri, void *arg)
{
	struct used_ctx *u = arg;
	struct pj_status_info info;
	pj_err why;
	u->seen++;
	/* Only the provider whose issuer named it speaks for it: its keys
	 * verify the list, its status_list_url bounds what is fetched. */
	json_t *claims = json_pack("{s:s}", "iss", iss);
	const struct pj_config *c = claims ? pj_provider_select(u->cfg, claims, &why) : NULL;
	json_decref(claims);
	int ours = c && c->status_list != PJ_STATUS_OFF && c->issuer.n == 0;
	for (size_t i = 0; c && i < c->issuer.n && !ours; i++)
		ours = strcmp(c->issuer.v[i], iss) == 0;
	if (!ours) {
		printf("status list %s: skipped, named by issuer %s, not configured here\n", uri,
		       iss);
		return;
	}
	if (u->ahead >= 0 && pj_status_fetch(c, iss, uri, PJ_WANT_CACHE_ONLY, &info, NULL) == 0 &&
	    info.origin == PJ_ORIGIN_CACHE && info.ttl - info.age > u->ahead) {
		printf("status list %s: skipped, fresh for more than %ld s\n", uri, u->ahead);
		return;
	}
	if (pj_status_fetch(c, iss, uri, PJ_WANT_NOW, &info, &why) != 0) {
		printf("status list %s: FAILED: %s\n", uri, why.msg);
		u->failed = 1;
		return;
	}
	static const char *origins[] = { "cached", "cached", "fetched (HTTP 200)",
					 "not modified (HTTP 304)" };
	printf("status list %s: %s, %zu entries of %d bit%s, fresh for %ld s%s%s\n", uri,
	       origins[info.origin], info.entries, info.bits, info.bits > 1 ? "s" : "",
	       info.ttl - info.age, info.etag[0] ? ", etag " : "", info.etag);
	if (!info.stored) {
		printf("  note: %s\n", info.note.msg[0] ? info.note.msg : "not cached");
		u->failed = 1;
	}
}

int cmd_fetch(struct tool *t, int argc, char **argv)
{
	struct pj_config cfg;
	long ahead = -1;
	for (int i = 1; i < argc; i++) {
		const char *v;
		int m;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return 0;
		}
		if ((m = tool_opt(argc, argv, &i, "--ahead", &v)) != 0) {
			char *end;
			if (m < 0)
				return EXIT_USAGE;
			ahead = strtol(v, &end, 10);
			if (!*v || *end || ahead < 0) {
				fprintf(stderr, "pam_jwt-tool: fetch: --ahead needs seconds\n");
				return EXIT_USAGE;
			}
			continue;
		}
		fprintf(stderr, "pam_jwt-tool: fetch: unexpected argument %s\n%s", argv[i], help);
		return EXIT_USAGE;
	}
	if (tool_load_config(t, &cfg) != 0)
		return EXIT_USAGE;
	int failed = 0, any = 0;
	/* Each provider's sources with its own settings (ca_file, issuer for
	 * discovery, ttl): as its logins fetch them. */
	for (size_t p = 0; p < (cfg.nproviders ? cfg.nproviders : 1); p++) {
		const struct pj_config *c = cfg.nproviders ? &cfg.providers[p] : &cfg;
		size_t nurl = c->jwks_url.n, total = nurl + c->discovery_url.n;
		if (cfg.nproviders && total)
			printf("[provider %s]\n", c->provider);
		any |= total != 0;
		for (size_t i = 0; i < total; i++) {
			int disco = i >= nurl;
			const char *url = disco ? c->discovery_url.v[i - nurl] : c->jwks_url.v[i];
			if (fetch_one(c, url, disco, ahead) != 0)
				failed = 1;
		}
	}
	int lists = 0;
	for (size_t p = 0; p < (cfg.nproviders ? cfg.nproviders : 1); p++) {
		const struct pj_config *c = cfg.nproviders ? &cfg.providers[p] : &cfg;
		lists |= c->status_list != PJ_STATUS_OFF && c->status_list_url.n;
	}
	if (!any && !lists && !cfg.revocation_feed)
		printf("no jwks_url or discovery_url configured: nothing to fetch\n");
	if (cfg.revocation_feed) {
		struct pj_feed_info fi;
		pj_err why;
		static const char *origins[] = { "cached", "cached", "fetched (HTTP 200)",
						 "not modified (HTTP 304)" };
		if (ahead >= 0 && pj_feed_fetch(&cfg, PJ_WANT_CACHE_ONLY, &fi, NULL) == 0 &&
		    fi.origin == PJ_ORIGIN_CACHE && fi.ttl - fi.age > ahead) {
			printf("revocation_feed %s: skipped, fresh for more than %ld s\n",
			       cfg.revocation_feed, ahead);
		} else if (pj_feed_fetch(&cfg, PJ_WANT_NOW, &fi, &why) != 0) {
			printf("revocation_feed %s: FAILED: %s\n", cfg.revocation_feed, why.msg);
			if (pj_feed_fetch(&cfg, PJ_WANT_CACHE_ONLY, &fi, NULL) == 0)
				printf("  kept: version %lld, %zu entries, age %ld s (held until "
				       "%ld s "
				       "old: revocation_feed_max_stale)\n",
				       fi.s.version, fi.s.entries, fi.age, fi.max_stale);
			failed = 1;
		} else {
			printf("revocation_feed %s: %s, version %lld, %zu entries, applied, fresh "
			       "for %ld s%s%s\n",
			       cfg.revocation_feed, origins[fi.origin], fi.s.version, fi.s.entries,
			       fi.ttl - fi.age, fi.etag[0] ? ", etag " : "", fi.etag);
		}
	}
	if (lists) {
		struct used_ctx u = { &cfg, ahead, 0, 0 };
		pj_err why;
		if (pj_status_used_each(&cfg, refresh_list, &u, &why) != 0) {
			printf("status lists: FAILED: %s\n", why.msg);
			failed = 1;
		} else if (!u.seen) {
			printf("status lists: none used by a login within 7 days\n");
		}
		failed |= u.failed;
	}
	/* A jwks_file changed since gets its index here when this may write
	 * beside it; the timer's service may not (ProtectSystem=strict), and
	 * logins then read the file whole: a note, not a failed fetch. */
	if (tool_index_all(&cfg, 0, 0) != 0)
		printf("note: run pam_jwt-tool index where it can write beside the jwks_file\n");
	pj_config_free(&cfg);
	return failed ? EXIT_REJECTED : 0;
}
