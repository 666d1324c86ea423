/* SPDX-License-Identifier: BSD-3-Clause */
/* Configurations for unit tests, set through the real option parser. */
#ifndef PJ_UNIT_CONFIG_H
#define PJ_UNIT_CONFIG_H

#include <unistd.h>

#include "config.h"
#include "unit.h"

static inline void cfg_vmake(struct pj_config *c, int layer, va_list ap)
{
	pj_err e = { "" };
	assert_int_equal(pj_config_init(c, geteuid()), 0);
	c->layer = layer;
	for (const char *k; (k = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);
		if (pj_config_set(c, k, v, "test", &e) != 0)
			fail_msg("%s=%s: %s", k, v, e.msg);
	}
}

/* From "key", "value" pairs (NULL-terminated), set the way module arguments
 * are, so lists replace the defaults. */
static inline void cfg_make(struct pj_config *c, ...)
{
	va_list ap;
	va_start(ap, c);
	cfg_vmake(c, PJ_LAYER_ARGS, ap);
	va_end(ap);
}

/* The same, set the way the configuration file is. */
static inline void cfg_make_file(struct pj_config *c, ...)
{
	va_list ap;
	va_start(ap, c);
	cfg_vmake(c, PJ_LAYER_FILE, ap);
	va_end(ap);
}

#endif
