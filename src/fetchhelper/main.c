/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-fetch: fetches one document for the PAM module or pam_jwt-tool
 * (src/fetch.c starts it through src/spawn.c, with an environment built from
 * nothing), stores it in cache_dir when it may (as root), and answers on
 * stdout in the frame of src/frame.h.  It is not setuid: whoever runs it
 * fetches and writes with their own rights, so its arguments need no more
 * trust than the command line of any program.
 *
 *   pam_jwt-fetch --kind jwks|discovery|status_list|feed --url URL --timeout-ms N
 *                 [--max-bytes N] [--etag ETAG] [--ca-file PATH]
 *                 [--cache-dir DIR [--owner UID]] [--feed-key PATH]
 *
 * A status list (a Status List Token) is never stored here: its signature
 * is checked with the provider's keys by whoever started us, who stores it;
 * we inflate its list (zlib, with a fixed bound) and hand both back.  A feed
 * is verified with --feed-key and applied in --cache-dir (src/feed.c).
 *
 * Exit 0 once an answer (a document or the reason there is none) is written,
 * 2 for bad arguments (an answer says which), 1 when stdout fails. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "document.h"
#include "feed.h"
#include "fetch.h"
#include "frame.h"
#include "helper.h"
#include "keyindex.h"
#include "lst/lst.h"
#include "util.h"

struct args {
	const char *kind, *url, *timeout, *max, *etag, *ca_file, *cache_dir, *owner, *feed_key;
};

static const char *const kinds[] = { "jwks", "discovery", "status_list", "feed" };

static int number(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a, pj_err *e)
{
	static const char *names[] = { "--kind",      "--url",	 "--timeout-ms",
				       "--max-bytes", "--etag",	 "--ca-file",
				       "--cache-dir", "--owner", "--feed-key" };
	const char **slots[] = { &a->kind,    &a->url,	     &a->timeout, &a->max,     &a->etag,
				 &a->ca_file, &a->cache_dir, &a->owner,	  &a->feed_key };
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i += 2) {
		size_t k = 0;
		while (k < sizeof(names) / sizeof(names[0]) && strcmp(argv[i], names[k]) != 0)
			k++;
		if (k == sizeof(names) / sizeof(names[0]))
			return pj_fail(e, "unknown argument");
		if (i + 1 >= argc)
			return pj_fail(e, "%s needs a value", names[k]);
		if (*slots[k])
			return pj_fail(e, "%s given twice", names[k]);
		*slots[k] = argv[i + 1];
	}
	size_t k = 0;
	while (a->kind && k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(a->kind, kinds[k]) != 0)
		k++;
	if (!a->kind || k == sizeof(kinds) / sizeof(kinds[0]))
		return pj_fail(e, "--kind must be jwks, discovery, status_list or feed");
	if (k == PJ_DOC_STATUS_LIST && a->cache_dir)
		return pj_fail(e, "--cache-dir is not for status lists (the caller stores them)");
	if ((k == PJ_DOC_FEED) != (a->feed_key != NULL))
		return pj_fail(e, "--feed-key goes with --kind feed, and only there");
	if (a->feed_key && a->feed_key[0] != '/')
		return pj_fail(e, "--feed-key must be an absolute path");
	if (!a->url || !a->timeout)
		return pj_fail(e, "--url and --timeout-ms are required");
	if ((a->ca_file && a->ca_file[0] != '/') || (a->cache_dir && a->cache_dir[0] != '/'))
		return pj_fail(e, "--ca-file and --cache-dir must be absolute paths");
	if (a->owner && !a->cache_dir && !a->ca_file)
		return pj_fail(e, "--owner is for --ca-file and --cache-dir");
	return 0;
}

/* A large JWKS just stored gets its key index (src/keyindex.h), so that
 * logins read only the keys a token names; a small one loses an old index.
 * Without one logins read the copy whole: correct, slower, so a failure here
 * does not undo the store. */
static void index_stored(const struct pj_config *cfg, const char *url)
{
	char path[PATH_MAX];
	struct pj_kidx_report rep;
	pj_err why;
	if (pj_fetch_cache_path(cfg, url, path, sizeof(path), &why) == 0)
		pj_keyindex_build(cfg, path, 1, 0, &rep, &why);
}

/* The answer for the module in f, or -1 with e saying why there is none. */
static int fetch(const struct args *a, uid_t owner, struct pj_frame *f, char **keep, pj_err *e)
{
	struct ph_request rq = { a->url, a->etag, NULL, 0, 0, PJ_FETCH_MAX };
	struct ph_response r;
	long long v;
	pj_err why;
	enum pj_doc_kind kind = PJ_DOC_JWKS;
	while (strcmp(a->kind, kinds[kind]) != 0)
		kind++;
	if (pj_url_check(a->url, &why) != 0)
		return pj_fail(e, "%s", why.msg);
	if (number(a->timeout, 1, 86400000, &v) != 0)
		return pj_fail(e, "--timeout-ms must be 1 to 86400000");
	rq.timeout_ms = (long)v;
	/* A JWKS may be as large as the module's jwks_max_size allows. */
	long long most = kind == PJ_DOC_FEED   ? PJ_FEED_MAX
			 : kind == PJ_DOC_JWKS ? PJ_JWKS_MAX_SIZE_CAP
					       : PJ_FETCH_MAX;
	rq.max_bytes = kind == PJ_DOC_JWKS ? PJ_JWKS_MAX_SIZE : (size_t)most;
	if (a->max) {
		if (number(a->max, 1, most, &v) != 0)
			return pj_fail(e, "--max-bytes must be 1 to %lld", most);
		rq.max_bytes = (size_t)v;
	}
	if (kind == PJ_DOC_STATUS_LIST)
		rq.accept = "application/statuslist+jwt";
	if (kind == PJ_DOC_FEED)
		rq.accept = "application/jwt";
	/* Read here, checked like a key file: whoever can change the CA list
	 * can serve any keys.  Handed to libcurl as a blob, so it reads no
	 * other file for trust. */
	char *ca = NULL;
	if (a->ca_file && pj_read_trusted_file(a->ca_file, PJ_FETCH_MAX, owner, 0, &ca, &rq.ca_n,
					       NULL, &why) != 0)
		return pj_fail(e, "ca_file: %s", why.msg);
	rq.ca = ca;
	int rc = ph_http_get(&rq, &r, &why);
	free(ca);
	if (rc != 0)
		return pj_fail(e, "%s", why.msg);
	f->status = r.status;
	f->max_age = r.max_age;
	memcpy(f->etag, r.etag, sizeof(f->etag));
	f->body = r.body;
	f->body_n = r.n;
	*keep = r.body;
	if (kind == PJ_DOC_STATUS_LIST && r.status == 200) {
		/* The module must not inflate (it never links zlib), so we do,
		 * within the bound, before anything else looks at the list. */
		unsigned char *bits;
		size_t nbits;
		int b;
		if (pj_lst_from_token(r.body, r.n, &bits, &nbits, &b, &why) != 0) {
			/* No answer at all: the list must not be used. */
			memset(f, 0, sizeof(*f));
			f->max_age = -1;
			return pj_fail(e, "bad status list: %s", why.msg);
		}
		f->list = bits;
		f->list_n = nbits;
		keep[1] = (char *)bits;
	}
	if (kind == PJ_DOC_FEED) {
		/* Verified and applied here, never handed back whole: the host
		 * process gets a summary (the body) and whether it was applied. */
		static char summary[160];
		struct pj_feed_summary s = { 0 };
		if (!a->cache_dir)
			rc = pj_fail(&why, "not applied: no --cache-dir");
		else if (r.status == 200)
			rc = pj_feed_apply(a->cache_dir, owner, a->url, a->feed_key, r.max_age,
					   r.etag, r.body, r.n, &s, &why);
		else
			rc = pj_feed_renew(a->cache_dir, owner, a->url, a->etag, r.max_age, r.etag,
					   &why);
		if (r.status == 200) {
			snprintf(summary, sizeof(summary), "{\"version\":%lld,\"entries\":%zu}",
				 s.version, s.entries);
			f->body = summary;
			f->body_n = strlen(summary);
		}
		if (rc == 0)
			f->stored = 1;
		else
			snprintf(f->note, sizeof(f->note), "%s", why.msg);
		return 0;
	}
	if (!a->cache_dir)
		return 0;
	/* The cache every login reads: written only with a document that
	 * passes, by the same code that reads it (src/fetch.c). */
	struct pj_config cfg;
	if (pj_config_init(&cfg, owner) != 0 || !(cfg.cache_dir = strdup(a->cache_dir))) {
		pj_config_free(&cfg);
		snprintf(f->note, sizeof(f->note), "not cached: out of memory");
		return 0;
	}
	/* The cached copy is read back under the bound it was fetched with. */
	if (kind == PJ_DOC_JWKS && rq.max_bytes >= PJ_JWKS_MAX_SIZE_MIN)
		cfg.jwks_max_size = rq.max_bytes;
	rc = r.status == 200
		     ? pj_cache_store(&cfg, a->url, kind, r.max_age, r.etag, r.body, r.n, &why)
		     : pj_cache_renew(&cfg, a->url, kind, a->etag, r.max_age, r.etag, &why);
	if (rc == 0)
		f->stored = 1;
	else
		snprintf(f->note, sizeof(f->note), "%s", why.msg);
	if (rc == 0 && kind == PJ_DOC_JWKS)
		index_stored(&cfg, a->url);
	pj_config_free(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	struct pj_frame f;
	char *keep[2] = { NULL, NULL };
	pj_err why;
	long long v;
	uid_t owner = (uid_t)-1;
	int code = 0;
	/* A module that has given up closes the pipe: end with EPIPE, quietly
	 * (libcurl with NOSIGNAL leaves SIGPIPE to us, too).  A file size limit
	 * the spawner could not lift (no CAP_SYS_RESOURCE) makes a cache write
	 * fail with EFBIG, cleanly, instead of killing us mid-write. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	memset(&f, 0, sizeof(f));
	f.max_age = -1;
	if (parse_args(argc, argv, &a, &why) != 0 ||
	    (a.owner && number(a.owner, 0, (long long)UINT_MAX - 1, &v) != 0 &&
	     pj_fail(&why, "--owner must be a uid") != 0)) {
		/* A cut is fine: the reason leads. */
		memcpy(f.failure, "pam_jwt-fetch: ", 15);
		snprintf(f.failure + 15, sizeof(f.failure) - 15, "%.*s",
			 (int)(sizeof(f.failure) - 16), why.msg);
		code = 2;
	} else {
		if (a.owner)
			owner = (uid_t)v;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			snprintf(f.failure, sizeof(f.failure), "libcurl cannot start");
		else {
			if (fetch(&a, owner, &f, keep, &why) != 0)
				snprintf(f.failure, sizeof(f.failure), "%s", why.msg);
			curl_global_cleanup();
		}
	}
	if (code == 2 && isatty(2))
		fprintf(stderr, "%s\n(an internal program of pam_jwt: see pam_jwt-fetch(8))\n",
			f.failure);
	if (pj_frame_write(1, &f) != 0)
		code = 1;
	free(keep[0]);
	free(keep[1]);
	return code;
}
