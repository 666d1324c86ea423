/* SPDX-License-Identifier: BSD-3-Clause */
/* Common includes for the cmocka unit tests. */
#ifndef PJ_UNIT_H
#define PJ_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* call must return -1 and leave a reason in err containing sub. */
#define assert_fails_with(call, err, sub)                                                          \
	do {                                                                                       \
		(err).msg[0] = 0;                                                                  \
		assert_int_equal((call), -1);                                                      \
		if (!strstr((err).msg, (sub)))                                                     \
			fail_msg("reason \"%s\" lacks \"%s\"", (err).msg, (sub));                  \
	} while (0)

/* A private directory for a test group: tmpdir is set by dir_setup and
 * removed with everything in it by dir_teardown. */
static char tmpdir[64];

static inline int dir_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pj-unit.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int dir_teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
