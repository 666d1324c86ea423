/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: what the module and the fetch helper read of a fetched
 * document besides its JSON.  An input starting with "C" is the value of a
 * server's Cache-Control header, parsed by the helper's parse_max_age
 * (src/fetchhelper/http.c, included here); any other input is a cache file
 * (src/fetch.c's metadata lines, then the body), read for a jwks_url and
 * for a discovery_url the way the tool's keys (cache only) and a login
 * (cached, else a fetch, which fails at once: the helper named does not
 * exist) read them.  What a read accepts must hang together: a JWKS with a
 * "keys" array, an age and a freshness within the configured bounds. */
#include "fuzz.h"

#include <jansson.h>
#include <openssl/evp.h>

#include "config.h"
#include "fetch.h"

/* The helper's HTTPS code, for its static header parser. */
#include "../../src/fetchhelper/http.c"

static struct pj_config cfg;
static const char jwks_url[] = "https://idp.test/jwks";
static const char disco_url[] = "https://idp.test/.well-known/openid-configuration";
static char jwks_file[600], disco_file[600], stamp_file[700];

static void cache_name(char *out, size_t n, const char *url)
{
	unsigned char md[32];
	unsigned mdn = 0;
	char hex[65];
	if (EVP_Digest(url, strlen(url), md, &mdn, EVP_sha256(), NULL) != 1)
		abort();
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, n, "%s/%s", fz_dir, hex);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pj_err e;
	(void)argc, (void)argv;
	fz_tmpdir();
	if (pj_config_init(&cfg, getuid()) != 0 ||
	    pj_config_set(&cfg, "cache_dir", fz_dir, "fuzz", &e) != 0 ||
	    pj_config_set(&cfg, "fetch_helper", "/nonexistent/pam_jwt-fetch", "fuzz", &e) != 0)
		abort();
	cache_name(jwks_file, sizeof(jwks_file), jwks_url);
	cache_name(disco_file, sizeof(disco_file), disco_url);
	snprintf(stamp_file, sizeof(stamp_file), "%s.stamp", jwks_file);
	return 0;
}

static void check_doc(const struct pj_doc *d, int rc)
{
	if (rc != 0)
		return;
	if (!json_is_object(d->json) ||
	    (d->ttl < cfg.jwks_ttl_min || d->ttl > cfg.jwks_ttl_max || d->age < 0)) {
		fprintf(stderr, "fuzz_cache: a cached document read back with age %ld, ttl %ld\n",
			d->age, d->ttl);
		abort();
	}
}

static void read_as(const char *url, int disco, enum pj_want want)
{
	struct pj_fetch_call call = { 0 };
	struct pj_doc jwks, dd;
	pj_err e;
	memset(&dd, 0, sizeof(dd));
	int rc = pj_fetch_jwks(&cfg, &call, url, disco, want, &jwks, &dd, &e);
	check_doc(&jwks, rc);
	if (rc == 0 && !json_is_array(json_object_get(jwks.json, "keys"))) {
		fprintf(stderr, "fuzz_cache: a JWKS without keys was used\n");
		abort();
	}
	pj_doc_free(&jwks);
	pj_doc_free(&dd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 'C') {
		char *v = fz_cstr(data + 1, size - 1);
		long m = parse_max_age(v);
		if (m < -1 || m > 1000000000L) {
			fprintf(stderr, "fuzz_cache: max-age %ld\n", m);
			abort();
		}
		free(v);
		return 0;
	}
	fz_write(jwks_file, data, size, 0644);
	fz_write(disco_file, data, size, 0644);
	unlink(stamp_file);
	read_as(jwks_url, 0, PJ_WANT_CACHE_ONLY);
	read_as(jwks_url, 0, PJ_WANT_CACHED);
	read_as(disco_url, 1, PJ_WANT_CACHE_ONLY);
	return 0;
}
