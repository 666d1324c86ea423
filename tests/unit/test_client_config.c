/* SPDX-License-Identifier: BSD-3-Clause */
/* src/client/conf.c: the client configuration's blocks, patterns and values,
 * and src/client/target.c: which host or service an askpass prompt is for. */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/conf.h"
#include "client/target.h"

static const struct pj_target db1 = { 0, "db1.prod" }, db9 = { 0, "db9.prod" },
			      web = { 0, "web.example" }, sudo_svc = { 1, "sudo" },
			      sudo_host = { 0, "sudo" };

/* Parses text for target t into c; fails the test on a parse error. */
static void parse_ok(struct pj_ccfg *c, const char *text, const struct pj_target *t)
{
	pj_err e = { "" };
	pj_ccfg_init(c);
	if (pj_ccfg_parse(c, text, strlen(text), "client.conf", t, "/home/u", &e) != 0)
		fail_msg("parse: %s", e.msg);
}

static void parse_bad(const char *text, const char *why)
{
	struct pj_ccfg c;
	pj_err e;
	pj_ccfg_init(&c);
	assert_fails_with(pj_ccfg_parse(&c, text, strlen(text), "client.conf", &db1, "/home/u", &e),
			  e, why);
	pj_ccfg_free(&c);
}

static const char conf[] = "# people\n"
			   "Host db*.prod !db9.prod\n"
			   "    Resource ssh://db.prod\n"
			   "    Scope openid   offline_access ssh:login\n"
			   "Service sudo\n"
			   "    Resource sudo://laptop\n"
			   "    MinValidity 30\n"
			   "Host *\n"
			   "    Issuer https://idp.example/realms/ops\n"
			   "    ClientId pam-jwt\n"
			   "    Resource ssh://default\n"
			   "    CAFile ~/ca.pem\n";

static void test_blocks_first_value_wins(void **state)
{
	(void)state;
	struct pj_ccfg c;
	parse_ok(&c, conf, &db1);
	assert_true(c.matched);
	assert_string_equal(c.resource, "ssh://db.prod"); /* not Host *'s */
	assert_string_equal(c.scope, "openid offline_access ssh:login");
	assert_string_equal(c.issuer, "https://idp.example/realms/ops");
	assert_string_equal(c.ca_file, "/home/u/ca.pem");
	assert_string_equal(c.where, "client.conf:2 Host db*.prod !db9.prod");
	assert_int_equal(c.min_validity, -1); /* the sudo block's is not db1's */
	pj_ccfg_free(&c);
}

static void test_negated_pattern(void **state)
{
	(void)state;
	struct pj_ccfg c;
	parse_ok(&c, conf, &db9);
	assert_string_equal(c.resource, "ssh://default"); /* only Host * */
	assert_null(c.scope);
	assert_string_equal(c.where, "client.conf:8 Host *");
	pj_ccfg_free(&c);
}

static void test_service_is_not_a_host(void **state)
{
	(void)state;
	struct pj_ccfg c;
	parse_ok(&c, conf, &sudo_svc);
	assert_string_equal(c.resource, "sudo://laptop");
	assert_int_equal(c.min_validity, 30);
	assert_null(c.issuer); /* Host * is for hosts */
	pj_ccfg_free(&c);
	/* A host called "sudo" is a host: Service sudo is not for it. */
	parse_ok(&c, conf, &sudo_host);
	assert_string_equal(c.resource, "ssh://default");
	pj_ccfg_free(&c);
}

static void test_global_lines_and_syntax(void **state)
{
	(void)state;
	struct pj_ccfg c;
	/* Before the first block: for every target.  Keywords in any case,
	 * "=" allowed, CRs and tabs are white space. */
	parse_ok(&c,
		 "issuer=https://idp.example\r\n"
		 "CLIENTID\tcli\n"
		 "\n   # a comment\n"
		 "Host WEB.example\n"
		 "  grant = client_credentials\n"
		 "  clientsecretfile /etc/robot.secret\n"
		 "  qrcode no\n"
		 "  timeout 5\n",
		 &web);
	assert_string_equal(c.issuer, "https://idp.example");
	assert_string_equal(c.client_id, "cli");
	assert_int_equal(c.grant, PJ_GRANT_CLIENT_CREDENTIALS); /* host names fold case */
	assert_string_equal(c.client_secret_file, "/etc/robot.secret");
	assert_int_equal(c.qrcode, 0);
	assert_int_equal(c.timeout, 5);
	pj_ccfg_free(&c);
	/* Match all: every target, after the blocks before it. */
	parse_ok(&c, "Service sudo\n  ClientId s\nMatch all\n  ClientId d\n  Issuer https://i\n",
		 &sudo_svc);
	assert_string_equal(c.client_id, "s");
	assert_string_equal(c.issuer, "https://i");
	pj_ccfg_free(&c);
	parse_ok(&c, "Service sudo\n  ClientId s\nMatch all\n  ClientId d\n", &db1);
	assert_string_equal(c.client_id, "d");
	assert_string_equal(c.where, "client.conf:3 Match all");
	pj_ccfg_free(&c);
	/* A service name does not fold case. */
	parse_ok(&c, "Service SUDO\n  ClientId x\n", &sudo_svc);
	assert_false(c.matched);
	assert_null(c.client_id);
	pj_ccfg_free(&c);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	/* Every line is checked, matching or not. */
	parse_bad("Host nothing\n  Bogus 1\n", "client.conf:2: unknown keyword Bogus");
	parse_bad("Issuer http://idp.example\n", "client.conf:1: Issuer must be an https:// URL");
	parse_bad("DiscoveryURL https://idp.example/#x\n", "must not have a fragment");
	parse_bad("Resource db\n", "Resource must be an absolute URI");
	parse_bad("ClientId two words\n", "client.conf:1: ClientId takes one value");
	parse_bad("Grant password\n", "Grant is device or client_credentials");
	parse_bad("MinValidity 86401\n", "MinValidity is a number of seconds from 0 to 86400");
	parse_bad("Timeout 0\n", "Timeout is a number of seconds from 1 to 600");
	parse_bad("Timeout -5\n", "Timeout is a number");
	parse_bad("Timeout 5s\n", "Timeout is a number");
	parse_bad("QRCode maybe\n", "QRCode is yes or no");
	parse_bad("CAFile ca.pem\n", "CAFile must be an absolute path or start with ~/");
	parse_bad("Scope \"quoted\"\n", "Scope may hold only printable ASCII");
	parse_bad("ClientId\n", "client.conf:1: ClientId needs a value");
	parse_bad("Host db/1\n", "bad character in a pattern");
	parse_bad("Match host db1\n", "only \"Match all\" is supported");
	parse_bad("ClientId a\x01\n", "control character");
	parse_bad("ClientId caf\xc3\xa9\n", "printable ASCII");
	char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	parse_bad(big, "client.conf:1: line longer than 4096 bytes");
	struct pj_ccfg c;
	pj_err e;
	pj_ccfg_init(&c);
	assert_fails_with(pj_ccfg_parse(&c, "ClientId a\0b\n", 13, "f", &db1, NULL, &e), e,
			  "NUL byte");
	assert_fails_with(pj_ccfg_parse(&c, "CAFile ~/ca.pem\n", 16, "f", &db1, NULL, &e), e,
			  "~/ without a home directory");
	pj_ccfg_free(&c);
}

static void test_finish(void **state)
{
	(void)state;
	struct pj_ccfg c;
	pj_err e;
	parse_ok(&c, "Issuer https://idp.example/realms/x/\nClientId cli\n", &db1);
	assert_int_equal(pj_ccfg_finish(&c, &e), 0);
	assert_string_equal(c.discovery_url,
			    "https://idp.example/realms/x/.well-known/openid-configuration");
	assert_string_equal(c.scope, "openid offline_access");
	assert_int_equal(c.grant, PJ_GRANT_DEVICE);
	assert_int_equal(c.min_validity, 60);
	assert_int_equal(c.timeout, 30);
	assert_int_equal(c.qrcode, 1);
	pj_ccfg_free(&c);
	parse_ok(&c, "Issuer https://idp.example\n", &db1);
	assert_fails_with(pj_ccfg_finish(&c, &e), e, "no ClientId");
	pj_ccfg_free(&c);
	parse_ok(&c, "ClientId x\n", &db1);
	assert_fails_with(pj_ccfg_finish(&c, &e), e, "no Issuer");
	pj_ccfg_free(&c);
	parse_ok(&c, "Issuer https://i\nClientId x\nGrant client_credentials\n", &db1);
	assert_fails_with(pj_ccfg_finish(&c, &e), e, "needs a ClientSecretFile");
	pj_ccfg_free(&c);
	/* A robot asks for no scope unless told. */
	parse_ok(&c,
		 "Issuer https://i\nClientId x\nGrant client_credentials\nClientSecretFile /s\n",
		 &db1);
	assert_int_equal(pj_ccfg_finish(&c, &e), 0);
	assert_null(c.scope);
	pj_ccfg_free(&c);
}

static void test_match(void **state)
{
	(void)state;
	assert_true(pj_ccfg_match("*", "anything", 1));
	assert_true(pj_ccfg_match("db?.prod", "db1.prod", 1));
	assert_false(pj_ccfg_match("db?.prod", "db10.prod", 1));
	assert_true(pj_ccfg_match("*.prod", "db10.prod", 1));
	assert_false(pj_ccfg_match("*.prod", "db1.prod.evil", 1));
	assert_true(pj_ccfg_match("db*", "DB1", 1));
	assert_false(pj_ccfg_match("db*", "DB1", 0));
	assert_true(pj_ccfg_match("a**b", "ab", 1));
	assert_false(pj_ccfg_match("", "a", 1));
}

/* The user's file first, the system's after: the user's values win, and
 * the files are held to ssh's rules for its configuration. */
static void test_load_files(void **state)
{
	(void)state;
	char user[128], sys[128];
	snprintf(user, sizeof(user), "%s/user.conf", tmpdir);
	snprintf(sys, sizeof(sys), "%s/sys.conf", tmpdir);
	FILE *f = fopen(user, "w");
	fputs("Host *\n  ClientId mine\n", f);
	fclose(f);
	f = fopen(sys, "w");
	fputs("Host *\n  ClientId fleet\n  Issuer https://idp.fleet\n", f);
	fclose(f);
	chmod(user, 0644);
	chmod(sys, 0644);
	struct pj_ccfg c;
	pj_err e;
	pj_ccfg_init(&c);
	assert_int_equal(pj_ccfg_load(&c, user, getuid(), &db1, NULL, &e), 0);
	assert_int_equal(pj_ccfg_load(&c, sys, getuid(), &db1, NULL, &e), 0);
	assert_string_equal(c.client_id, "mine");
	assert_string_equal(c.issuer, "https://idp.fleet");
	pj_ccfg_free(&c);
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.conf", tmpdir);
	assert_int_equal(pj_ccfg_load(&c, missing, getuid(), &db1, NULL, &e), 1);
	chmod(user, 0664);
	assert_fails_with(pj_ccfg_load(&c, user, getuid(), &db1, NULL, &e), e,
			  "writable by group or others");
	chmod(user, 0600);
	if (getuid() == 0) {
		assert_int_equal(chown(user, 1, 1), 0);
		assert_fails_with(pj_ccfg_load(&c, user, 0, &db1, NULL, &e), e, "bad owner");
	}
	assert_fails_with(pj_ccfg_load(&c, tmpdir, getuid(), &db1, NULL, &e), e,
			  "not a regular file");
	pj_ccfg_free(&c);
}

/* ---- targets from prompts ---- */

static void expect_target(const char *prompt, const char *caller, int service, const char *name)
{
	char got[PJ_TARGET_MAX + 1];
	int s = -1;
	pj_err e = { "" };
	if (pj_target_from_prompt(prompt, caller, got, sizeof(got), &s, &e) != 0)
		fail_msg("%s: %s", prompt, e.msg);
	assert_int_equal(s, service);
	assert_string_equal(got, name);
}

static void test_targets(void **state)
{
	(void)state;
	char got[PJ_TARGET_MAX + 1];
	int s;
	pj_err e;
	/* What OpenSSH 9.2 hands its askpass (checked with the real client). */
	expect_target("(alice@db1.prod) JWT: ", "ssh", 0, "db1.prod");
	expect_target("alice@db1.prod's password: ", "ssh", 0, "db1.prod");
	expect_target("(alice@127.0.0.1) JWT: ", NULL, 0, "127.0.0.1");
	/* The user part may hold '@'; the server's text cannot add a host. */
	expect_target("(a@b@db1.prod) JWT: ", "ssh", 0, "db1.prod");
	expect_target("(alice@db1.prod) (root@evil.example) JWT: ", "ssh", 0, "db1.prod");
	/* sudo: by the process that asks, whatever the prompt. */
	expect_target("JWT: ", "sudo", 1, "sudo");
	expect_target("[sudo] password for alice: ", NULL, 1, "sudo");
	/* A server's text shaped like sudo's, asked by ssh: not sudo. */
	assert_fails_with(pj_target_from_prompt("[sudo] password for alice: ", "ssh", got,
						sizeof(got), &s, &e),
			  e, "cannot tell which host or service asks");
	expect_target("(alice@db1.prod) [sudo] password for alice: ", "ssh", 0, "db1.prod");
	assert_fails_with(pj_target_from_prompt("JWT: ", NULL, got, sizeof(got), &s, &e), e,
			  "cannot tell which host or service asks (prompt \"JWT: \")");
	assert_fails_with(
		pj_target_from_prompt("(alice@bad/host) JWT: ", "ssh", got, sizeof(got), &s, &e), e,
		"PAM_JWT_TARGET");
	assert_fails_with(
		pj_target_from_prompt("Password: \x1b[2J", "ssh", got, sizeof(got), &s, &e), e,
		"Password: ?[2J");
	assert_true(pj_target_name_ok("db1.prod"));
	assert_true(pj_target_name_ok("[::1]"));
	assert_false(pj_target_name_ok("db*.prod"));
	assert_false(pj_target_name_ok("-oProxyCommand"));
	assert_false(pj_target_name_ok(""));
}

int main(void)
{
	const struct CMUnitTest parse[] = {
		cmocka_unit_test(test_blocks_first_value_wins),
		cmocka_unit_test(test_negated_pattern),
		cmocka_unit_test(test_service_is_not_a_host),
		cmocka_unit_test(test_global_lines_and_syntax),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_targets),
	};
	const struct CMUnitTest files[] = {
		cmocka_unit_test(test_load_files),
	};
	int rc = cmocka_run_group_tests_name("client_config", parse, NULL, NULL);
	rc += cmocka_run_group_tests_name("client_config_files", files, dir_setup, dir_teardown);
	return rc;
}
