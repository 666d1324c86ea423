/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool publish: this host's revocation list as a signed feed
 * (src/feed.h) for every host of a fleet to fetch from any static HTTPS
 * server: run it on the admin host after each revoke, copy the file to the
 * server.  The version only grows: it is the publication time in seconds, or
 * one more than the previous feed's in --out when that is higher. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config.h"
#include "feed.h"
#include "keys.h"
#include "store.h"
#include "tool.h"
#include "util.h"

static const char help[] =
	"usage: pam_jwt-tool [--config FILE] publish --key FILE [--kid ID] [--alg ALG]\n"
	"                    [--out FILE] [--valid SECONDS]\n"
	"Writes the revocation list (revocation_file) as one signed revocation feed\n"
	"(typ " PJ_FEED_TYP "): its all and user cut-offs and jti entries, a version\n"
	"that only grows and its issue time, to FILE (replaced atomically) or stdout.\n"
	"Hosts fetch it from revocation_feed and verify it with revocation_feed_key,\n"
	"the public half of FILE.  The version is the time in seconds, or one more\n"
	"than the version of the feed already in --out when that is higher.\n"
	"  --alg ALG        default from the key: ES256/384/512, EdDSA, RS256\n"
	"  --valid SECONDS  an exp: hosts refuse the feed (and so every login) once it\n"
	"                   is that old, so republish more often (from cron) than that\n";

static const char *alg_for(const struct pj_key *k)
{
	switch (k->kty) {
	case PJ_KTY_EC: {
		int bits = EVP_PKEY_get_bits(k->pkey);
		return bits == 256 ? "ES256" : bits == 384 ? "ES384" : "ES512";
	}
	case PJ_KTY_OKP:
		return "EdDSA";
	case PJ_KTY_RSA:
		return "RS256";
	default:
		return NULL;
	}
}

int cmd_publish(struct tool *t, int argc, char **argv)
{
	const char *keyf = NULL, *kid = NULL, *alg = NULL, *out = NULL, *valid = NULL;
	struct pj_config cfg;
	struct pj_key key;
	struct pj_revlist l;
	pj_err e;
	int rc = EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		const char *v;
		int m = 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return 0;
		}
		static const char *names[] = { "--key", "--kid", "--alg", "--out", "--valid" };
		const char **slots[] = { &keyf, &kid, &alg, &out, &valid };
		for (size_t k = 0; k < 5 && m == 0; k++)
			if ((m = tool_opt(argc, argv, &i, names[k], &v)) > 0)
				*slots[k] = v;
		if (m < 0)
			return EXIT_USAGE;
		if (m == 0) {
			fprintf(stderr, "pam_jwt-tool: publish: unexpected argument %s\n%s",
				argv[i], help);
			return EXIT_USAGE;
		}
	}
	long long exp_in = -1;
	if (valid) {
		char *end;
		exp_in = strtoll(valid, &end, 10);
		if (!*valid || *end || exp_in <= 0) {
			fprintf(stderr, "pam_jwt-tool: publish: --valid needs seconds\n");
			return EXIT_USAGE;
		}
	}
	if (!keyf) {
		fprintf(stderr, "pam_jwt-tool: publish needs --key FILE\n%s", help);
		return EXIT_USAGE;
	}
	if (tool_load_config(t, &cfg) != 0)
		return EXIT_USAGE;
	if (pj_load_signing_key(keyf, getuid(), &key, &e) != 0) {
		fprintf(stderr, "pam_jwt-tool: publish: %s\n", e.msg);
		pj_config_free(&cfg);
		return EXIT_USAGE;
	}
	if (!alg)
		alg = alg_for(&key);
	int a = alg ? pj_alg_from_name(alg) : -1;
	if (a < 0 || pj_alg_kty((enum pj_alg)a) == PJ_KTY_OCT) {
		fprintf(stderr,
			"pam_jwt-tool: publish: %s: a feed is signed with a private key "
			"(EC, Ed25519 or RSA) whose public half every host holds\n",
			alg ? alg : "an HMAC key");
		goto done_key;
	}
	const char *rev = cfg.revocation_file ? cfg.revocation_file : PJ_DEFAULT_REVOCATION_FILE;
	if (pj_revlist_load(rev, getuid(), cfg.revocation_file == NULL, &l, &e) != 0) {
		fprintf(stderr, "pam_jwt-tool: publish: %s\n", e.msg);
		rc = EXIT_REJECTED;
		goto done_key;
	}
	long long now = (long long)time(NULL), version = now;
	if (out) {
		long long prev = pj_feed_previous_version(out);
		if (prev >= version)
			version = prev + 1;
	}
	json_t *claims = pj_feed_claims(&l, version, now, exp_in > 0 ? now + exp_in : -1);
	json_t *header = json_pack("{s:s,s:s}", "alg", alg, "typ", PJ_FEED_TYP);
	const char *k = kid ? kid : key.kid;
	if (header && k)
		json_object_set_new(header, "kid", json_string(k));
	char *tok =
		claims && header ? tool_make_token(&key, (enum pj_alg)a, header, claims, &e) : NULL;
	size_t entries = 0;
	for (size_t i = 0; i < l.n; i++)
		entries += l.v[i].kind != PJ_REV_COMMENT;
	rc = EXIT_REJECTED;
	if (!tok) {
		fprintf(stderr, "pam_jwt-tool: publish: cannot sign: %s\n",
			claims && header ? e.msg : "out of memory");
	} else if (!out) {
		puts(tok);
		rc = 0;
	} else {
		struct stat st;
		size_t n = strlen(tok);
		tok[n] = '\n';
		if (pj_write_atomic(out, tok, n + 1, &st, &e) != 0) {
			fprintf(stderr, "pam_jwt-tool: publish: %s\n", e.msg);
		} else {
			printf("%s: version %lld, %zu entr%s from %s, %zu bytes\n", out, version,
			       entries, entries == 1 ? "y" : "ies", rev, n + 1);
			rc = 0;
		}
		tok[n] = 0;
	}
	free(tok);
	json_decref(claims);
	json_decref(header);
	pj_revlist_free(&l);
done_key:
	pj_key_clear(&key);
	pj_config_free(&cfg);
	return rc;
}
