/* SPDX-License-Identifier: BSD-3-Clause */
/* src/config.c: the configuration file, module arguments and how the two
 * layers combine. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "sig.h"

/* A fresh file name per call, so messages can name it. */
static char *put_conf(const char *text, mode_t mode)
{
	static unsigned seq;
	char *path = malloc(128);
	assert_non_null(path);
	snprintf(path, 128, "%s/conf%u", tmpdir, seq++);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void init(struct pj_config *c)
{
	assert_int_equal(pj_config_init(c, geteuid()), 0);
}

static void assert_list(const struct pj_strlist *l, size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	if (l->n != n)
		fail_msg("list has %zu values, want %zu", l->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l->v[i], va_arg(ap, const char *));
	va_end(ap);
}

/* Loads text as a file and expects the refusal at line of that file. */
static void expect_file_refused(const char *text, unsigned line, const char *why)
{
	struct pj_config c;
	pj_err e;
	char *p = put_conf(text, 0644), want[300];
	init(&c);
	snprintf(want, sizeof(want), "%s:%u: %s", p, line, why);
	assert_fails_with(pj_config_load_file(&c, p, 1, &e), e, want);
	pj_config_free(&c);
	free(p);
}

/* ---- defaults and the file -------------------------------------------- */

static void test_defaults(void **state)
{
	(void)state;
	struct pj_config c;
	assert_int_equal(pj_config_init(&c, 1234), 0);
	assert_int_equal(c.algorithms, PJ_ALGS_ASYMMETRIC);
	assert_false(c.algorithms & PJ_ALGS_HMAC);
	assert_int_equal(c.leeway, PJ_DEFAULT_LEEWAY);
	assert_list(&c.require, 1, "exp");
	assert_int_equal(c.issuer.n + c.audience.n + c.key_file.n + c.jwks_file.n, 0);
	assert_int_equal(c.max_age, 0);
	assert_int_equal(c.max_lifetime, 0);
	assert_int_equal(c.debug, 0);
	assert_int_equal(c.allowed_uid, 1234);
	assert_null(c.typ);
	pj_config_free(&c);
}

static void test_every_option(void **state)
{
	(void)state;
	char *p = put_conf("# pam_jwt test configuration\n"
			   "\n"
			   "   # an indented comment = not an option\n"
			   "issuer = https://a.example, https://b.example\n"
			   "issuer=https://c.example\n"
			   "\taudience =  one two,three  \n"
			   "key_file = /etc/k1.pem\n"
			   "key_file = kid1=/etc/k2.pem\n"
			   "jwks_file = /etc/a.jwks, /etc/b.jwks\n"
			   "algorithms = RS256, ES256\n"
			   "algorithms = HS384\n"
			   "username_claim = preferred_username\n"
			   "leeway = 30\n"
			   "require = exp iat\n"
			   "require = jti\n"
			   "max_age = 3600\n"
			   "max_lifetime = 7200\n"
			   "typ = JWT\n"
			   "revocation_file = /var/lib/x/revoked\n"
			   "prompt = \"Token: \"\n"
			   "debug = yes\r\n",
			   0644);
	struct pj_config c;
	pj_err e = { "" };
	init(&c);
	if (pj_config_load_file(&c, p, 1, &e) != 0)
		fail_msg("%s", e.msg);
	/* Repeated list lines in one file add up. */
	assert_list(&c.issuer, 3, "https://a.example", "https://b.example", "https://c.example");
	assert_list(&c.audience, 3, "one", "two", "three");
	assert_list(&c.key_file, 2, "/etc/k1.pem", "kid1=/etc/k2.pem");
	assert_list(&c.jwks_file, 2, "/etc/a.jwks", "/etc/b.jwks");
	/* The file's algorithms replace the default set, then add up. */
	assert_int_equal(c.algorithms, PJ_ALG_BIT(PJ_ALG_RS256) | PJ_ALG_BIT(PJ_ALG_ES256) |
					       PJ_ALG_BIT(PJ_ALG_HS384));
	assert_string_equal(c.username_claim, "preferred_username");
	assert_int_equal(c.leeway, 30);
	/* require from the file replaces the default "exp". */
	assert_list(&c.require, 3, "exp", "iat", "jti");
	assert_int_equal(c.max_age, 3600);
	assert_int_equal(c.max_lifetime, 7200);
	assert_string_equal(c.typ, "JWT");
	assert_string_equal(c.revocation_file, "/var/lib/x/revoked");
	assert_string_equal(c.prompt, "Token: "); /* quotes keep the trailing space */
	assert_int_equal(c.debug, 1);
	assert_string_equal(c.path, p);
	pj_config_free(&c);
	free(p);
}

static void test_values_trimmed(void **state)
{
	(void)state;
	char *p = put_conf("prompt =   Token:   \n"
			   "typ = \"\"\n"
			   "require =\n"
			   "debug = off\n"
			   "leeway = 0\n",
			   0644);
	struct pj_config c;
	pj_err e = { "" };
	init(&c);
	c.debug = 1;
	if (pj_config_load_file(&c, p, 1, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(c.prompt, "Token:"); /* unquoted: trimmed */
	assert_string_equal(c.typ, "");		 /* quoted empty: typ check off */
	assert_int_equal(c.require.n, 0);	 /* "require =" clears the default */
	assert_int_equal(c.debug, 0);
	assert_int_equal(c.leeway, 0);
	pj_config_free(&c);
	free(p);
}

static void test_algorithms_refused(void **state)
{
	(void)state;
	expect_file_refused("algorithms = RS256 none\n", 1, "algorithm none is never allowed");
	expect_file_refused("# x\nalgorithms = NONE\n", 2, "algorithm none is never allowed");
	expect_file_refused("\n\n\nalgorithms = ES256, RS257\n", 4, "unknown algorithm \"RS257\"");
	/* Names are exact, as in the token header. */
	expect_file_refused("algorithms = rs256\n", 1, "unknown algorithm \"rs256\"");
	expect_file_refused("algorithms = ES256K\n", 1, "unknown algorithm \"ES256K\"");
	expect_file_refused("algorithms = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
			    1, "unknown algorithm");
	expect_file_refused("algorithms =\n", 1, "algorithms needs a value");
	expect_file_refused("algorithms = , ,\n", 1, "algorithms needs a value");
}

static void test_numbers_refused(void **state)
{
	(void)state;
	static const char *bad[] = { "-1",	 "1x",	 "",
				     "+1",	 " 1 2", "0x10",
				     "1.5",	 "1e3",	 "99999999999999999999999",
				     "316224001" };
	static const char *names[] = { "leeway", "max_age", "max_lifetime" };
	for (size_t n = 0; n < 3; n++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char text[200], why[120];
			snprintf(text, sizeof(text), "# c\n\n%s = %s\n", names[n], bad[i]);
			snprintf(why, sizeof(why), "%s must be a whole number of seconds",
				 names[n]);
			expect_file_refused(text, 3, why);
		}
	/* The largest value allowed (ten years) is accepted. */
	struct pj_config c;
	pj_err e = { "" };
	char *p = put_conf("max_age = 316224000\n", 0644);
	init(&c);
	assert_int_equal(pj_config_load_file(&c, p, 1, &e), 0);
	assert_int_equal(c.max_age, 316224000);
	pj_config_free(&c);
	free(p);
}

static void test_other_lines_refused(void **state)
{
	(void)state;
	expect_file_refused("leeway = 5\n# fine\n\nfrobnicate = 1\n", 4,
			    "unknown option \"frobnicate\"");
	expect_file_refused("Issuer = x\n", 1, "unknown option \"Issuer\"");
	expect_file_refused("leeway 5\n", 1, "expected \"key = value\"");
	expect_file_refused("debug = maybe\n", 1, "debug must be yes or no");
	expect_file_refused("key_file = etc/k.pem\n", 1,
			    "key_file must be an absolute path or KID=PATH");
	expect_file_refused("key_file = =/etc/k.pem\n", 1,
			    "key_file must be an absolute path or KID=PATH");
	expect_file_refused("key_file = kid=etc/k.pem\n", 1,
			    "key_file must be an absolute path or KID=PATH");
	expect_file_refused("jwks_file = keys.json\n", 1, "jwks_file must be an absolute path");
	expect_file_refused("revocation_file = revoked\n", 1,
			    "revocation_file must be an absolute path");
	expect_file_refused("username_claim =\n", 1, "username_claim needs a value");
	expect_file_refused("prompt = a\x01 b\n", 1, "prompt has a control character");
}

/* "#" starts comment lines only: inside an unquoted value it is an error
 * naming the line, never data ("#", "only" as audiences) and never a silent
 * comment; a quoted value may hold it. */
static void test_hash_in_values(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e = { "" };
	expect_file_refused("leeway = 5\naudience = ssh # ssh logins only\n", 2,
			    "'#' inside the value of audience: comments must stand on lines");
	expect_file_refused("issuer = https://idp#x\n", 1, "'#' inside the value of issuer");
	expect_file_refused("require_claim = groups=wheel #admins\n", 1,
			    "'#' inside the value of require_claim");
	expect_file_refused("prompt = Token #1: \n", 1, "'#' inside the value of prompt");
	/* Quoted: data, but the quotes must enclose the whole value. */
	expect_file_refused("audience = \"ssh\" # ssh only\n", 1, "'#' inside the value");
	expect_file_refused("audience = \"ssh\" \"web\"\n", 1,
			    "a quoted value cannot hold another");
	char *p = put_conf("# a comment line\n"
			   "   # an indented one\n"
			   "prompt = \"Token #1: \"\n"
			   "require_claim = \"groups=#admins\"\n"
			   "audience = \"ssh#2\"\n",
			   0644);
	init(&c);
	if (pj_config_load_file(&c, p, 1, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(c.prompt, "Token #1: ");
	assert_list(&c.require_claim, 1, "groups=#admins");
	assert_list(&c.audience, 1, "ssh#2");
	pj_config_free(&c);
	free(p);
}

static void test_file_errors(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/absent.conf", tmpdir);
	init(&c);
	/* A missing default file is an empty configuration ... */
	assert_int_equal(pj_config_load_file(&c, missing, 0, &e), 0);
	assert_null(c.path);
	/* ... a missing named one is an error. */
	assert_fails_with(pj_config_load_file(&c, missing, 1, &e), e, "configuration: cannot open");
	assert_non_null(strstr(e.msg, "absent.conf"));

	char *p = put_conf("leeway = 5\n", 0664);
	assert_fails_with(pj_config_load_file(&c, p, 1, &e), e, "writable by group or others");
	/* Not missing, so refused even when must_exist is off. */
	assert_fails_with(pj_config_load_file(&c, p, 0, &e), e, "writable by group or others");
	assert_int_equal(c.leeway, PJ_DEFAULT_LEEWAY);
	free(p);

	p = put_conf("leeway = 5\n", 0646);
	assert_fails_with(pj_config_load_file(&c, p, 1, &e), e, "writable by group or others");
	free(p);

	p = put_conf("leeway = 5\n", 0644);
	assert_int_equal(chown(p, 65534, 65534) == 0 || geteuid() != 0, 1);
	if (geteuid() == 0)
		assert_fails_with(pj_config_load_file(&c, p, 1, &e), e,
				  "is owned by uid 65534, not root");
	free(p);

	/* A NUL would hide the rest of a line from the parser. */
	p = malloc(128);
	snprintf(p, 128, "%s/nul.conf", tmpdir);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "leeway = 5\0\nissuer = x\n", 23), 23);
	close(fd);
	assert_fails_with(pj_config_load_file(&c, p, 1, &e), e, "has a NUL byte");
	free(p);

	assert_fails_with(pj_config_load_file(&c, tmpdir, 1, &e), e, "is not a regular file");
	pj_config_free(&c);
}

/* ---- module arguments ------------------------------------------------- */

static const char base_conf[] = "issuer = https://file-a https://file-b\n"
				"audience = file-aud\n"
				"key_file = /etc/file.pem\n"
				"algorithms = RS256 ES256\n"
				"require = exp iat\n"
				"leeway = 30\n"
				"typ = JWT\n"
				"prompt = \"File: \"\n";

static int from_args(struct pj_config *c, pj_err *e, int argc, ...)
{
	const char *argv[16];
	va_list ap;
	va_start(ap, argc);
	assert_true(argc <= 16);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, const char *);
	va_end(ap);
	init(c);
	return pj_config_from_args(c, argc, argv, e);
}

static void test_args_conf(void **state)
{
	(void)state;
	char *p = put_conf(base_conf, 0644), conf[160];
	snprintf(conf, sizeof(conf), "conf=%s", p);
	struct pj_config c;
	pj_err e = { "" };
	if (from_args(&c, &e, 1, conf) != 0)
		fail_msg("%s", e.msg);
	assert_list(&c.issuer, 2, "https://file-a", "https://file-b");
	assert_list(&c.require, 2, "exp", "iat");
	assert_int_equal(c.leeway, 30);
	assert_string_equal(c.path, p);
	pj_config_free(&c);

	/* conf= must be absolute: in su and sudo the working directory is the
	 * invoking user's. */
	assert_fails_with(from_args(&c, &e, 1, "conf=pam_jwt.conf"), e,
			  "conf= must be an absolute path");
	pj_config_free(&c);
	assert_fails_with(from_args(&c, &e, 1, "conf=./x/../pam_jwt.conf"), e,
			  "conf= must be an absolute path");
	pj_config_free(&c);

	/* An explicitly named file that is missing is an error. */
	char missing[160];
	snprintf(missing, sizeof(missing), "conf=%s/nope.conf", tmpdir);
	assert_fails_with(from_args(&c, &e, 2, "debug", missing), e, "configuration: cannot open");
	assert_non_null(strstr(e.msg, "nope.conf"));
	pj_config_free(&c);

	/* A relative name would be looked up from the application's working
	 * directory, which the user chooses in su: refused, even if a file of
	 * that name is there. */
	char cwd[512];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpdir), 0);
	const char *rel = strrchr(p, '/') + 1;
	snprintf(conf, sizeof(conf), "conf=%s", rel);
	assert_fails_with(from_args(&c, &e, 1, conf), e, "conf= must be an absolute path");
	pj_config_free(&c);
	assert_int_equal(chdir(cwd), 0);

	/* The file's rules still apply when it is named on the PAM line. */
	char *bad = put_conf(base_conf, 0620);
	snprintf(conf, sizeof(conf), "conf=%s", bad);
	assert_fails_with(from_args(&c, &e, 1, conf), e, "writable by group or others");
	pj_config_free(&c);
	if (geteuid() == 0) {
		assert_int_equal(chmod(bad, 0644), 0);
		assert_int_equal(chown(bad, 65534, 65534), 0);
		assert_fails_with(from_args(&c, &e, 1, conf), e, "owned by uid 65534, not root");
		pj_config_free(&c);
	}
	free(bad);

	/* An error in the file is reported with its line. */
	char *broken = put_conf("leeway = 5\nleeway = 1x\n", 0644), want[200];
	snprintf(conf, sizeof(conf), "conf=%s", broken);
	snprintf(want, sizeof(want), "%s:2: leeway must be", broken);
	assert_fails_with(from_args(&c, &e, 1, conf), e, want);
	pj_config_free(&c);
	free(broken);
	free(p);
}

/* Without conf= the module reads PJ_DEFAULT_CONF, which this test may not
 * create; it can only check the "missing is fine" half where that holds. */
static void test_args_default_conf(void **state)
{
	(void)state;
	struct stat st;
	if (lstat(PJ_DEFAULT_CONF, &st) == 0 || errno != ENOENT) {
		print_message("# %s exists; missing-default case not testable here\n",
			      PJ_DEFAULT_CONF);
		return;
	}
	struct pj_config c;
	pj_err e = { "" };
	assert_int_equal(from_args(&c, &e, 2, "leeway=7", "try_first_pass"), 0);
	assert_int_equal(c.leeway, 7);
	assert_null(c.path);
	pj_config_free(&c);
}

static void test_args_override(void **state)
{
	(void)state;
	char *p = put_conf(base_conf, 0644), conf[160];
	snprintf(conf, sizeof(conf), "conf=%s", p);
	struct pj_config c;
	pj_err e = { "" };
	/* conf= may come anywhere: arguments are applied after the file. */
	if (from_args(&c, &e, 8, "leeway=5", "issuer=https://arg-c", conf, "issuer=https://arg-d",
		      "algorithms=EdDSA", "require=", "typ=", "prompt=Arg:") != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(c.leeway, 5);
	/* A list given as arguments replaces the file's, and repeats add up. */
	assert_list(&c.issuer, 2, "https://arg-c", "https://arg-d");
	/* Lists not given as arguments keep the file's values. */
	assert_list(&c.audience, 1, "file-aud");
	assert_list(&c.key_file, 1, "/etc/file.pem");
	assert_int_equal(c.algorithms, PJ_ALG_BIT(PJ_ALG_EDDSA));
	assert_int_equal(c.require.n, 0);
	assert_string_equal(c.typ, "");
	assert_string_equal(c.prompt, "Arg:");
	pj_config_free(&c);

	/* Comma-separated lists fit on a PAM line; algorithms add up there too. */
	if (from_args(&c, &e, 4, conf, "audience=x,y", "algorithms=HS256,HS512",
		      "algorithms=PS256") != 0)
		fail_msg("%s", e.msg);
	assert_list(&c.audience, 2, "x", "y");
	assert_list(&c.issuer, 2, "https://file-a", "https://file-b");
	assert_int_equal(c.algorithms, PJ_ALG_BIT(PJ_ALG_HS256) | PJ_ALG_BIT(PJ_ALG_HS512) |
					       PJ_ALG_BIT(PJ_ALG_PS256));
	assert_int_equal(c.leeway, 30);
	pj_config_free(&c);

	/* Without a file, argument lists replace the defaults. */
	char *empty = put_conf("# nothing\n", 0644);
	snprintf(conf, sizeof(conf), "conf=%s", empty);
	assert_int_equal(from_args(&c, &e, 2, conf, "require=iat"), 0);
	assert_list(&c.require, 1, "iat");
	assert_int_equal(c.algorithms, PJ_ALGS_ASYMMETRIC);
	pj_config_free(&c);
	free(empty);
	free(p);
}

static void test_args_flags(void **state)
{
	(void)state;
	char *p = put_conf(base_conf, 0644), conf[160];
	snprintf(conf, sizeof(conf), "conf=%s", p);
	struct pj_config c;
	pj_err e = { "" };
	/* PAM's own flags change nothing. */
	if (from_args(&c, &e, 4, "use_first_pass", conf, "try_first_pass", "use_authtok") != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(c.debug, 0);
	assert_int_equal(c.leeway, 30);
	assert_list(&c.issuer, 2, "https://file-a", "https://file-b");
	pj_config_free(&c);

	assert_int_equal(from_args(&c, &e, 2, conf, "debug"), 0);
	assert_int_equal(c.debug, 1);
	pj_config_free(&c);
	assert_int_equal(from_args(&c, &e, 3, conf, "debug", "debug=no"), 0);
	assert_int_equal(c.debug, 0);
	pj_config_free(&c);

	assert_fails_with(from_args(&c, &e, 2, conf, "frobnicate"), e,
			  "module argument: unknown option \"frobnicate\"");
	pj_config_free(&c);
	assert_fails_with(from_args(&c, &e, 2, conf, "foo=bar"), e,
			  "module argument: unknown option \"foo\"");
	pj_config_free(&c);
	assert_fails_with(from_args(&c, &e, 2, conf, "use_first_pass=1"), e,
			  "module argument: unknown option \"use_first_pass\"");
	pj_config_free(&c);
	/* The argument is shown escaped, never raw. */
	assert_fails_with(from_args(&c, &e, 2, conf, "bad\narg"), e,
			  "unknown option \"bad\\x0aarg\"");
	pj_config_free(&c);
	assert_fails_with(from_args(&c, &e, 2, conf, "leeway=-1"), e,
			  "module argument: leeway must be a whole number");
	pj_config_free(&c);
	assert_fails_with(from_args(&c, &e, 2, conf, "algorithms=none"), e,
			  "module argument: algorithm none is never allowed");
	pj_config_free(&c);
	assert_fails_with(from_args(&c, &e, 2, conf, "jwks_file=rel.json"), e,
			  "module argument: jwks_file must be an absolute path");
	pj_config_free(&c);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),	cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_values_trimmed),	cmocka_unit_test(test_algorithms_refused),
		cmocka_unit_test(test_numbers_refused), cmocka_unit_test(test_other_lines_refused),
		cmocka_unit_test(test_hash_in_values),	cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_args_conf),	cmocka_unit_test(test_args_default_conf),
		cmocka_unit_test(test_args_override),	cmocka_unit_test(test_args_flags),
	};
	return cmocka_run_group_tests_name("config", tests, dir_setup, dir_teardown) ? 1 : 0;
}
