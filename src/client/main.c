/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-login: gets tokens from the identity provider for the hosts and
 * services pam_jwt guards, keeps them in a private cache, refreshes them,
 * and gives pam_jwt-askpass the one a prompt needs (pam_jwt-login(1)).
 * A token goes only to stdout of `token`, and never to a terminal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "client/cache.h"
#include "client/conf.h"
#include "client/oauth.h"
#include "client/qr.h"
#include "client/target.h"
#include "parts.h"
#include "util.h"

static const char *prog = "pam_jwt-login";

struct opts {
	const char *config; /* --config: this file alone */
	const char *cache_dir;
	int no_qr, force;
	struct pj_target target;
	char name[PJ_TARGET_MAX + 1];
	int have_target;
	/* The prompt asks for part 2 or later of the token with this ID (src/parts.h):
	 * only that token will do. */
	char part_id[PJ_PARTS_ID_LEN + 1];
};

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* jansson's buffers hold tokens: wiped when freed. */
static void wipe_free(void *p)
{
	if (p) {
		OPENSSL_cleanse(p, malloc_usable_size(p));
		free(p);
	}
}

static const char *home(void)
{
	const char *h = getenv("HOME");
	return h && h[0] == '/' ? h : NULL;
}

/* ~/.config/pam_jwt/client.conf (or under $XDG_CONFIG_HOME), then
 * /etc/pam_jwt/client.conf; with --config, that file alone. */
static int load_config(const struct opts *o, struct pj_ccfg *c, pj_err *e)
{
	pj_ccfg_init(c);
	const char *x = getenv("XDG_CONFIG_HOME"), *h = home();
	char user[4096] = "";
	int found = 0, rc;
	if (o->config) {
		rc = pj_ccfg_load(c, o->config, getuid(), &o->target, h, e);
		if (rc == 1)
			pj_fail(e, "%s: no such file", o->config);
		if (rc != 0)
			return -1;
		found = 1;
	} else {
		if (x && x[0] == '/')
			snprintf(user, sizeof(user), "%s/pam_jwt/client.conf", x);
		else if (h)
			snprintf(user, sizeof(user), "%s/.config/pam_jwt/client.conf", h);
		if (user[0]) {
			if ((rc = pj_ccfg_load(c, user, getuid(), &o->target, h, e)) < 0)
				return -1;
			found |= rc == 0;
		}
		if ((rc = pj_ccfg_load(c, "/etc/pam_jwt/client.conf", 0, &o->target, h, e)) < 0)
			return -1;
		found |= rc == 0;
		if (!found)
			return pj_fail(e, "no configuration: write %s (see pam_jwt-login(1))",
				       user[0] ? user : "~/.config/pam_jwt/client.conf");
	}
	if (!c->matched)
		return pj_fail(e, "no %s block in the configuration matches %s",
			       o->target.service ? "Service" : "Host", o->target.name);
	pj_err why;
	if (pj_ccfg_finish(c, &why) != 0)
		return pj_fail(e, "%s %s: %s (%s)", o->target.service ? "service" : "host",
			       o->target.name, why.msg, c->where);
	return 0;
}

static void sleep_s(long s)
{
	struct timespec ts = { s, 0 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static const char *label(const struct opts *o)
{
	return o->target.name;
}

/* The device flow's prompt, on the terminal: the page, the code, and the
 * same as a QR code for a phone. */
static void show_device(FILE *tty, const struct opts *o, const struct pj_ccfg *c,
			const struct pj_device_auth *d)
{
	char uri[2100], code[70];
	pj_printable(uri, sizeof(uri), d->verification_uri);
	pj_printable(code, sizeof(code), d->user_code);
	fprintf(tty,
		"\n%s: to log in to %s, open this page in a browser on any device:\n\n"
		"    %s\n\n  and enter the code   %s\n\n",
		prog, label(o), uri, code);
	const char *term = getenv("TERM");
	if (c->qrcode && !o->no_qr && !(term && strcmp(term, "dumb") == 0)) {
		const char *q = d->verification_uri_complete ? d->verification_uri_complete
							     : d->verification_uri;
		struct pj_qr *qr = malloc(sizeof(*qr));
		struct winsize ws = { 0 };
		pj_err e;
		if (qr &&
		    pj_qr_encode((const unsigned char *)q, strlen(q), PJ_QR_M, 1, qr, &e) == 0) {
			int cols = qr->size + 8;
			if (ioctl(fileno(tty), TIOCGWINSZ, &ws) == 0 && ws.ws_col &&
			    ws.ws_col < cols) {
				fprintf(tty, "  (the terminal is too narrow for the QR code)\n");
			} else {
				fprintf(tty, "  or scan this with a phone%s:\n\n",
					d->verification_uri_complete ? " (the code is filled in)"
								     : "");
				pj_qr_print_terminal(qr, 4, tty);
				fputc('\n', tty);
			}
		}
		free(qr);
	}
	fprintf(tty, "  Waiting for the approval (the code expires in %ld minutes)...\n",
		(d->expires_in + 59) / 60);
	fflush(tty);
}

/* The device flow from request to token (RFC 8628 3.1-3.5). */
static int device_flow(struct pj_oauth *oa, const struct opts *o, struct pj_tokens *t, pj_err *e)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return pj_fail(e,
			       "a new token for %s needs your approval in a browser, and there is "
			       "no terminal to show the code on: run `pam_jwt-login login %s %s` "
			       "in a terminal first",
			       label(o), o->target.service ? "--service" : "--host", label(o));
	FILE *tty = fdopen(fd, "w");
	if (!tty) {
		close(fd);
		return pj_fail(e, "cannot write to the terminal");
	}
	struct pj_device_auth d;
	int rc = -1;
	if (pj_oauth_device_start(oa, &d, e) != 0) {
		fclose(tty);
		return -1;
	}
	show_device(tty, o, oa->cfg, &d);
	time_t deadline = time(NULL) + d.expires_in;
	long interval = d.interval, backoff = 0;
	for (;;) {
		sleep_s(interval + backoff);
		if (time(NULL) > deadline + 5) {
			pj_fail(e,
				"the code %s expired before it was approved: run again for a new "
				"one",
				d.user_code);
			break;
		}
		pj_err why;
		enum pj_tok r = pj_oauth_device_poll(oa, &d, t, &why);
		if (r == PJ_TOK_OK) {
			long left = (long)(t->expires_at - time(NULL));
			fprintf(tty, "  Approved: a token for %s, valid for %ld min.\n\n", label(o),
				left > 0 ? (left + 59) / 60 : 0);
			rc = 0;
			break;
		}
		if (r == PJ_TOK_PENDING) {
			backoff = 0;
			continue;
		}
		if (r == PJ_TOK_SLOW_DOWN) {
			interval += 5; /* 3.5: for this and every later request */
			continue;
		}
		if (r == PJ_TOK_UNREACHABLE && backoff < 60) {
			/* 3.5: back off when the connection fails, then give up. */
			backoff = backoff ? backoff * 2 : interval;
			continue;
		}
		if (r == PJ_TOK_DENIED)
			pj_fail(e, "the request was denied at the provider (access_denied)");
		else if (r == PJ_TOK_EXPIRED)
			pj_fail(e,
				"the code %s expired before it was approved (expired_token): run "
				"again for a new one",
				d.user_code);
		else
			pj_fail(e, "%s", why.msg);
		break;
	}
	if (rc != 0)
		fprintf(tty, "  Failed: %s\n\n", e->msg);
	pj_device_auth_free(&d);
	fclose(tty);
	return rc;
}

/* A valid token for the target in *t: the cached one, a refreshed one, or a
 * new one (client credentials, or the device flow when interactive). */
static int get_token(const struct opts *o, const struct pj_ccfg *c, int interactive,
		     struct pj_tokens *t, pj_err *e)
{
	struct pj_cache cache;
	struct pj_oauth oa;
	struct pj_tokens old;
	char key[65];
	memset(t, 0, sizeof(*t));
	memset(&old, 0, sizeof(old));
	if (pj_cache_open(&cache, o->cache_dir, 1, e) != 0)
		return -1;
	if (pj_cache_key(c, key) != 0) {
		pj_cache_close(&cache);
		return pj_fail(e, "cannot hash the cache key");
	}
	int lock = pj_cache_lock(&cache, key, e), rc = -1, got;
	if (lock < 0)
		goto out;
	pj_err why;
	why.msg[0] = 0;
	got = pj_cache_read(&cache, key, &old, &why);
	if (got < 0) {
		pj_fail(e, "%s", why.msg);
		goto out;
	}
	if (got == 0 && why.msg[0])
		warn("%s", why.msg);
	long long now = (long long)time(NULL);
	if (o->part_id[0]) {
		/* Part 1 went out with the cached token: the rest must come from the
		 * same one, however little of its life is left, and no other will
		 * do (askpass would refuse it). */
		char id[PJ_PARTS_ID_LEN + 1];
		if (got == 1 && old.expires_at > now &&
		    pj_parts_id(old.access_token, strlen(old.access_token), id) == 0 &&
		    strcmp(id, o->part_id) == 0) {
			*t = old;
			memset(&old, 0, sizeof(old));
			rc = 0;
		} else {
			pj_fail(e,
				"the host asks for the rest of a token for %s that is no longer "
				"cached (refreshed or expired since its first part): start again",
				label(o));
		}
		goto out;
	}
	if (got == 1 && !o->force && old.expires_at - now >= c->min_validity) {
		*t = old;
		memset(&old, 0, sizeof(old));
		rc = 0;
		goto out;
	}
	if (pj_oauth_start(&oa, c, e) != 0)
		goto out;
	enum pj_tok r = PJ_TOK_FAIL;
	if (got == 1 && !o->force && old.refresh_token) {
		r = pj_oauth_refresh(&oa, old.refresh_token, t, &why);
		if (r == PJ_TOK_OK && !t->refresh_token) {
			/* No new one (no rotation): the old one stays good. */
			t->refresh_token = old.refresh_token;
			old.refresh_token = NULL;
		} else if (r == PJ_TOK_INVALID_GRANT) {
			/* Expired or revoked: forget it and start over. */
			pj_cache_remove(&cache, key, NULL);
		} else if (r != PJ_TOK_OK) {
			pj_fail(e, "refreshing the token for %s: %s", label(o), why.msg);
			goto end;
		}
	}
	if (r != PJ_TOK_OK) {
		if (c->grant == PJ_GRANT_CLIENT_CREDENTIALS) {
			r = pj_oauth_client_credentials(&oa, t, &why);
			if (r != PJ_TOK_OK) {
				pj_fail(e, "client_credentials for %s: %s", label(o), why.msg);
				goto end;
			}
		} else if (!interactive) {
			pj_fail(e, "no valid token for %s: run `pam_jwt-login login %s %s`",
				label(o), o->target.service ? "--service" : "--host", label(o));
			goto end;
		} else if (device_flow(&oa, o, t, e) != 0) {
			goto end;
		}
	}
	/* What the entry is for, shown by `status`. */
	const char *iss = c->issuer ? c->issuer : oa.disco.issuer;
	t->issuer = iss ? strdup(iss) : NULL;
	t->client_id = strdup(c->client_id);
	t->scope = c->scope ? strdup(c->scope) : NULL;
	t->resource = c->resource ? strdup(c->resource) : NULL;
	t->audience = c->audience ? strdup(c->audience) : NULL;
	if (pj_cache_write(&cache, key, t, e) != 0)
		goto end;
	rc = 0;
end:
	pj_oauth_end(&oa);
	if (rc != 0)
		pj_tokens_free(t);
out:
	pj_tokens_free(&old);
	if (lock >= 0)
		close(lock);
	pj_cache_close(&cache);
	return rc;
}

/* The name of the process that asks (/proc/PID/comm), printable. */
static int caller_name(long pid, char *out, size_t n)
{
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = 0;
	buf[strcspn(buf, "\n")] = 0;
	pj_printable(out, n, buf);
	return 0;
}

static int set_target(struct opts *o, int service, const char *name)
{
	if (!pj_target_name_ok(name)) {
		warn("not a host or service name: %.80s", name);
		return -1;
	}
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->target.service = service;
	o->target.name = o->name;
	o->have_target = 1;
	return 0;
}

/* PAM_JWT_TARGET=host:NAME or service:NAME, for askpass callers whose
 * prompt does not tell. */
static int target_from_env(struct opts *o)
{
	const char *v = getenv("PAM_JWT_TARGET");
	if (!v || !*v)
		return 0;
	if (strncmp(v, "host:", 5) == 0)
		return set_target(o, 0, v + 5) == 0 ? 1 : -1;
	if (strncmp(v, "service:", 8) == 0)
		return set_target(o, 1, v + 8) == 0 ? 1 : -1;
	warn("PAM_JWT_TARGET is host:NAME or service:NAME");
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--config FILE] token (--host HOST | --service NAME | --prompt TEXT\n"
		"                                     [--caller-pid PID])\n"
		"       %s [--config FILE] login (--host HOST | --service NAME) [--force]\n"
		"       %s [--config FILE] config (--host HOST | --service NAME)\n"
		"       %s status\n"
		"       %s logout (--host HOST | --service NAME | --all)\n"
		"       %s --version | --help\n"
		"Gets tokens from the identity provider (device flow, refresh, client\n"
		"credentials) for pam_jwt, per ~/.config/pam_jwt/client.conf; `token` prints\n"
		"one for pam_jwt-askpass.  See pam_jwt-login(1).\n",
		prog, prog, prog, prog, prog, prog);
}

static int cmd_token(struct opts *o, int interactive, int print)
{
	struct pj_ccfg c;
	struct pj_tokens t;
	pj_err e;
	if (print && isatty(STDOUT_FILENO)) {
		warn("not printing a token to a terminal (it would stay in its scrollback): "
		     "pipe it, or use `login`");
		return 2;
	}
	if (load_config(o, &c, &e) != 0) {
		warn("%s", e.msg);
		pj_ccfg_free(&c);
		return 2;
	}
	int rc = 1;
	if (get_token(o, &c, interactive, &t, &e) != 0) {
		warn("%s", e.msg);
	} else if (print) {
		size_t n = strlen(t.access_token);
		char *line = malloc(n + 2);
		if (line) {
			memcpy(line, t.access_token, n);
			line[n] = '\n';
			rc = pj_write_all(STDOUT_FILENO, line, n + 1) == 0 ? 0 : 1;
			OPENSSL_cleanse(line, n + 2);
			free(line);
		}
	} else {
		long left = (long)(t.expires_at - time(NULL));
		fprintf(stderr, "%s: a token for %s is cached, valid for %ld min%s\n", prog,
			o->target.name, left > 0 ? (left + 59) / 60 : 0,
			t.refresh_token ? ", refreshable" : "");
		rc = 0;
	}
	pj_tokens_free(&t);
	pj_ccfg_free(&c);
	return rc;
}

static int cmd_config(struct opts *o)
{
	struct pj_ccfg c;
	pj_err e;
	if (load_config(o, &c, &e) != 0) {
		warn("%s", e.msg);
		pj_ccfg_free(&c);
		return 2;
	}
	char key[65] = "";
	pj_cache_key(&c, key);
	printf("target %s %s\nblock %s\n", o->target.service ? "service" : "host", o->target.name,
	       c.where);
#define SHOW(k, v)                                                                                 \
	if (v)                                                                                     \
		printf("%s %s\n", k, v);
	SHOW("issuer", c.issuer);
	SHOW("discoveryurl", c.discovery_url);
	SHOW("cafile", c.ca_file);
	SHOW("clientid", c.client_id);
	SHOW("clientsecretfile", c.client_secret_file);
	SHOW("scope", c.scope);
	SHOW("resource", c.resource);
	SHOW("audience", c.audience);
#undef SHOW
	printf("grant %s\nminvalidity %ld\ntimeout %ld\nqrcode %s\ncache %s\n",
	       c.grant == PJ_GRANT_CLIENT_CREDENTIALS ? "client_credentials" : "device",
	       c.min_validity, c.timeout, c.qrcode ? "yes" : "no", key);
	pj_ccfg_free(&c);
	return 0;
}

static int cmd_status(const struct opts *o)
{
	struct pj_cache cache;
	pj_err e;
	int r = pj_cache_open(&cache, o->cache_dir, 0, &e);
	if (r == 1) {
		printf("no cached tokens\n");
		return 0;
	}
	if (r != 0) {
		warn("%s", e.msg);
		return 1;
	}
	int dfd = dup(cache.dirfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	int n = 0, rc = 0;
	long long now = (long long)time(NULL);
	while (d && (de = readdir(d))) {
		if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
			continue;
		struct pj_tokens t;
		pj_err why;
		why.msg[0] = 0;
		int got = pj_cache_read(&cache, de->d_name, &t, &why);
		if (got != 1) {
			if (why.msg[0])
				warn("%s", why.msg);
			rc |= got < 0;
			continue;
		}
		long long left = t.expires_at - now;
		printf("%.12s  %s  client %s%s%s%s%s\n", de->d_name, t.issuer ? t.issuer : "?",
		       t.client_id ? t.client_id : "?", t.resource ? "  resource " : "",
		       t.resource ? t.resource : "", t.audience ? "  audience " : "",
		       t.audience ? t.audience : "");
		if (left > 0)
			printf("              valid for %lld min%s\n", (left + 59) / 60,
			       t.refresh_token ? ", refreshable" : "");
		else
			printf("              expired%s\n", t.refresh_token ? ", refreshable" : "");
		n++;
		pj_tokens_free(&t);
	}
	if (d)
		closedir(d);
	if (!n)
		printf("no cached tokens\n");
	pj_cache_close(&cache);
	return rc;
}

static int cmd_logout(struct opts *o, int all)
{
	struct pj_cache cache;
	pj_err e;
	int r = pj_cache_open(&cache, o->cache_dir, 0, &e);
	if (r == 1)
		return 0;
	if (r != 0) {
		warn("%s", e.msg);
		return 1;
	}
	int rc = 0;
	if (all) {
		int dfd = dup(cache.dirfd);
		DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (strlen(de->d_name) == 64 &&
			    strspn(de->d_name, "0123456789abcdef") == 64 &&
			    pj_cache_remove(&cache, de->d_name, &e) != 0) {
				warn("%s", e.msg);
				rc = 1;
			}
		if (d)
			closedir(d);
	} else {
		struct pj_ccfg c;
		char key[65];
		if (load_config(o, &c, &e) != 0 || pj_cache_key(&c, key) != 0) {
			warn("%s", e.msg);
			rc = 2;
		} else if (pj_cache_remove(&cache, key, &e) != 0) {
			warn("%s", e.msg);
			rc = 1;
		}
		pj_ccfg_free(&c);
	}
	pj_cache_close(&cache);
	return rc;
}

struct args {
	struct opts o;
	const char *prompt;
	long caller;
	int all;
};

/* Options before and after the command, one loop each. */
static int parse_opts(int argc, char **argv, struct args *a, int first)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "cache-dir", required_argument, NULL, 'C' },
		{ "host", required_argument, NULL, 'H' },
		{ "service", required_argument, NULL, 'S' },
		{ "prompt", required_argument, NULL, 'p' },
		{ "caller-pid", required_argument, NULL, 'P' },
		{ "no-qr", no_argument, NULL, 'q' },
		{ "force", no_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->o.config = optarg;
			break;
		case 'C':
			a->o.cache_dir = optarg;
			break;
		case 'H':
		case 'S':
			if (set_target(&a->o, ch == 'S', optarg) != 0)
				return 2;
			break;
		case 'p':
			a->prompt = optarg;
			break;
		case 'P':
			a->caller = strtol(optarg, NULL, 10);
			break;
		case 'q':
			a->o.no_qr = 1;
			break;
		case 'f':
			a->o.force = 1;
			break;
		case 'a':
			a->all = 1;
			break;
		case 'h':
		case 'V':
			if (!first)
				return 2;
			if (ch == 'h')
				usage(stdout);
			else
				printf("%s %s\n", prog, PJ_VERSION);
			return 1;
		default:
			return 2;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	json_set_alloc_funcs(malloc, wipe_free);
	int r = parse_opts(argc, argv, &a, 1);
	if (r == 1)
		return 0;
	if (r != 0 || optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	if (parse_opts(argc, argv, &a, 0) != 0 || optind < argc) {
		usage(stderr);
		return 2;
	}
	struct opts o = a.o;
	const char *prompt = a.prompt;
	long caller = a.caller;
	int all = a.all;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int need_target = strcmp(cmd, "token") == 0 || strcmp(cmd, "login") == 0 ||
			  strcmp(cmd, "config") == 0 || (strcmp(cmd, "logout") == 0 && !all);
	if (need_target && !o.have_target) {
		int te = target_from_env(&o);
		if (te < 0)
			return 2;
		if (te == 0 && prompt && strcmp(cmd, "token") == 0) {
			char comm[32], name[PJ_TARGET_MAX + 1];
			int service;
			pj_err e;
			int known = caller > 0 && caller_name(caller, comm, sizeof(comm)) == 0;
			if (pj_target_from_prompt(prompt, known ? comm : NULL, name, sizeof(name),
						  &service, &e) != 0) {
				warn("%s", e.msg);
				return 2;
			}
			if (set_target(&o, service, name) != 0)
				return 2;
		}

		if (!o.have_target) {
			warn("%s needs --host HOST or --service NAME", cmd);
			return 2;
		}
	}
	/* pam_jwt's prompt for part K of a long token (askpass splits it). */
	unsigned k = 0, nparts = 0;
	if (!prompt || strcmp(cmd, "token") != 0 ||
	    pj_parts_parse_prompt(prompt, &k, &nparts, o.part_id) != 0 || k < 2)
		o.part_id[0] = 0;
	int rc;
	if (strcmp(cmd, "token") == 0)
		rc = cmd_token(&o, 1, 1);
	else if (strcmp(cmd, "login") == 0)
		rc = cmd_token(&o, 1, 0);
	else if (strcmp(cmd, "config") == 0)
		rc = cmd_config(&o);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(&o);
	else if (strcmp(cmd, "logout") == 0)
		rc = cmd_logout(&o, all);
	else {
		warn("unknown command %s", cmd);
		usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
