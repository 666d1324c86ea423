/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the input is a configuration file, parsed by pj_config_parse (the
 * parser pj_config_load_file uses), and then, one argument a line, the module
 * arguments of a PAM line, through pj_config_from_args on top of it. */
#include "fuzz.h"

#include "config.h"

static char empty_conf[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_tmpdir();
	fz_path(empty_conf, sizeof(empty_conf), "empty.conf");
	fz_write(empty_conf, "", 0, 0644);
	return 0;
}

/* The input's lines as argv, after a conf= naming an empty file: the fuzzer
 * must not make the harness read files of its choosing. */
static void from_args(const uint8_t *data, size_t size)
{
	char *text = fz_cstr(data, size), *save = NULL, conf[600];
	const char *argv[64];
	int argc = 0;
	snprintf(conf, sizeof(conf), "conf=%s", empty_conf);
	argv[argc++] = conf;
	for (char *a = strtok_r(text, "\n", &save); a && argc < 64; a = strtok_r(NULL, "\n", &save))
		if (strncmp(a, "conf=", 5) != 0)
			argv[argc++] = a;
	struct pj_config c;
	pj_err e;
	if (pj_config_init(&c, getuid()) == 0)
		pj_config_from_args(&c, argc, argv, &e);
	pj_config_free(&c);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pj_config c;
	pj_err e;
	char *text = fz_cstr(data, size);
	if (pj_config_init(&c, getuid()) == 0)
		pj_config_parse(&c, text, size, "fuzz.conf", &e);
	pj_config_free(&c);
	free(text);
	from_args(data, size);
	return 0;
}
