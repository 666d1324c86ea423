/* SPDX-License-Identifier: BSD-3-Clause */
/* src/log.c: the decision line is one line whatever a token says.  Claim
 * values and reasons are the token's (chosen by whoever typed it, before the
 * signature is checked): none of them may end the line, start a field of
 * their own, or close the quotes of the reason. */
#include "unit.h"

#include <jansson.h>

#include "log.h"
#include "util.h"
#include "verify.h"

static json_t *json(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fail_msg("bad test JSON %s: %s", text, je.text);
	return j;
}

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));               \
	} while (0)
#define assert_lacks(hay, needle)                                                                  \
	do {                                                                                       \
		if (strstr((hay), (needle)))                                                       \
			fail_msg("\"%s\" contains \"%s\"", (hay), (needle));                       \
	} while (0)

/* Every byte printable ASCII (space included), no control character. */
static void assert_one_line(const char *line)
{
	for (const unsigned char *p = (const unsigned char *)line; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			fail_msg("byte 0x%02x at %zu of \"%s\"", *p,
				 (size_t)(p - (const unsigned char *)line), line);
}

static size_t count(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

/* The fields as a reader splits them: at spaces outside the reason's quotes. */
static int field_count(const char *line, const char *name)
{
	char want[64];
	int n = 0, quoted = 0;
	snprintf(want, sizeof(want), "%s=", name);
	for (const char *p = line; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		if (!quoted && (p == line || p[-1] == ' ') && strncmp(p, want, strlen(want)) == 0)
			n++;
	}
	return n;
}

static const char *forged = "alice\nuser=root outcome=accepted reason=\"ok\" sub=root";

static void test_claims_escaped(void **state)
{
	(void)state;
	char line[1024];
	struct pj_result r = { .stage = PJ_STAGE_SIGNATURE };
	pj_fail(&r.reason, "signature does not verify");
	r.header = json("{\"alg\":\"ES256\",\"kid\":\"k\\\"1 outcome=accepted\\r\\n\"}");
	r.claims =
		json("{\"jti\":\"j\\u0001 x\",\"iss\":\"https://idp.test\\nuser=root\","
		     "\"sub\":\"alice\\nuser=root outcome=accepted reason=\\\"ok\\\" sub=root\"}");
	pj_log_decision(line, sizeof(line), "alice", 100, 0, &r);
	assert_one_line(line);
	/* Two quotes: the reason's own. */
	assert_int_equal(count(line, '"'), 2);
	assert_int_equal(field_count(line, "user"), 1);
	assert_int_equal(field_count(line, "outcome"), 1);
	assert_int_equal(field_count(line, "sub"), 1);
	assert_int_equal(field_count(line, "reason"), 1);
	assert_contains(line, "user=alice outcome=refused reason=\"signature does not verify\"");
	assert_contains(line,
			" sub=alice\\x0auser=root\\x20outcome=accepted\\x20reason=\\x22ok\\x22"
			"\\x20sub=root ");
	assert_contains(line, " kid=k\\x221\\x20outcome=accepted\\x0d\\x0a ");
	assert_contains(line, " jti=j\\x01\\x20x ");
	assert_contains(line, " iss=https://idp.test\\x0auser=root ");
	assert_contains(line, " signature=unverified");
	pj_result_free(&r);
}

/* The login name comes from the application (sshd passes what the client
 * sent): escaped the same way. */
static void test_user_escaped(void **state)
{
	(void)state;
	char line[1024];
	struct pj_result r = { .stage = PJ_STAGE_NOT_TOKEN };
	pj_fail(&r.reason, "input is not a JWT");
	pj_log_decision(line, sizeof(line), forged, 8, 0, &r);
	assert_one_line(line);
	assert_int_equal(count(line, '"'), 2);
	assert_int_equal(field_count(line, "outcome"), 1);
	assert_contains(line, "user=alice\\x0auser=root\\x20outcome=accepted");
	assert_contains(line, "outcome=declined reason=\"input is not a JWT\"");
	char phase[512];
	pj_log_phase(phase, sizeof(phase), forged, "account", "refused", "the user changed");
	assert_one_line(phase);
	assert_int_equal(count(phase, '"'), 2);
	assert_int_equal(field_count(phase, "outcome"), 1);
	assert_contains(phase, "user=alice\\x0auser=root\\x20outcome=accepted");
}

/* A reason quotes what it refused: its quotes become ' and its control
 * characters too, so the field ends at the one closing quote. */
static void test_reason_quotes(void **state)
{
	(void)state;
	char line[1024], phase[512];
	struct pj_result r = { .stage = PJ_STAGE_CLAIMS,
			       .verified = 1,
			       .signer = PJ_SIGNER_ISSUER };
	pj_fail(&r.reason, "issuer \"https://evil.test\" is not accepted\n\"x\" outcome=accepted");
	r.claims = json("{\"sub\":\"alice\"}");
	pj_log_decision(line, sizeof(line), "alice", 100, 0, &r);
	assert_one_line(line);
	assert_int_equal(count(line, '"'), 2);
	assert_contains(line, "reason=\"issuer 'https://evil.test' is not accepted''x' "
			      "outcome=accepted\" ");
	assert_contains(line, " signature=valid");
	assert_lacks(line, "key=user");
	pj_log_phase(phase, sizeof(phase), "alice", "account", "refused",
		     "claim \"groups\" does not hold \"wheel\"\ttab");
	assert_one_line(phase);
	assert_int_equal(count(phase, '"'), 2);
	assert_contains(phase,
			"user=alice phase=account outcome=refused reason=\"claim 'groups' does "
			"not hold 'wheel''tab\"");
	pj_result_free(&r);
}

/* The outcome words, the signer, parts and the hint about cut input. */
static void test_fields(void **state)
{
	(void)state;
	char line[1024];
	struct pj_result r = { .stage = PJ_STAGE_OK, .verified = 1, .signer = PJ_SIGNER_USER };
	r.claims = json("{\"sub\":\"alice\",\"jti\":\"j1\",\"iss\":\"i\"}");
	r.header = json("{\"kid\":\"k1\"}");
	pj_log_decision(line, sizeof(line), "alice", 511, 3, &r);
	assert_string_equal(line, "user=alice outcome=accepted reason=\"ok\" jti=j1 kid=k1 iss=i "
				  "sub=alice signature=valid key=user parts=3");
	pj_result_free(&r);
	memset(&r, 0, sizeof(r));
	r.stage = PJ_STAGE_PARSE;
	pj_fail(&r.reason, "header is not valid JSON");
	pj_log_decision(line, sizeof(line), NULL, 1023, 0, &r);
	assert_contains(line, "user=- outcome=refused reason=\"header is not valid JSON\"");
	assert_contains(line, "input is exactly 1023 bytes: probably cut short");
	assert_lacks(line, "signature=");
	/* Only refusals before the signature are blamed on a cut. */
	r.stage = PJ_STAGE_CLAIMS;
	pj_log_decision(line, sizeof(line), "alice", 4095, 0, &r);
	assert_lacks(line, "cut short");
	r.stage = PJ_STAGE_SIGNATURE;
	pj_log_decision(line, sizeof(line), "alice", 4094, 0, &r);
	assert_lacks(line, "cut short");
	pj_log_decision(line, sizeof(line), "alice", 511, 2, &r);
	assert_lacks(line, "cut short");
	assert_contains(line, "parts=2");
}

/* Long values are cut and marked, and the line stays whole. */
static void test_long_values(void **state)
{
	(void)state;
	char line[1024], sub[3000], text[3100];
	memset(sub, '\n', sizeof(sub) - 1);
	sub[sizeof(sub) - 1] = 0;
	struct pj_result r = { .stage = PJ_STAGE_SIGNATURE };
	pj_fail(&r.reason, "signature does not verify");
	json_t *s = json_stringn(sub, sizeof(sub) - 1);
	r.claims = json_object();
	json_object_set_new(r.claims, "sub", s);
	json_object_set_new(r.claims, "iss", json_string(sub));
	json_object_set_new(r.claims, "jti", json_string(sub));
	snprintf(text, sizeof(text), "{\"kid\":\"%0999d\"}", 7);
	r.header = json(text);
	pj_log_decision(line, sizeof(line), sub, 100, 0, &r);
	assert_one_line(line);
	assert_true(strlen(line) < sizeof(line) - 1);
	assert_contains(line, "\\x0a...");
	assert_int_equal(field_count(line, "sub"), 1);
	pj_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claims_escaped), cmocka_unit_test(test_user_escaped),
		cmocka_unit_test(test_reason_quotes),  cmocka_unit_test(test_fields),
		cmocka_unit_test(test_long_values),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL) ? 1 : 0;
}
