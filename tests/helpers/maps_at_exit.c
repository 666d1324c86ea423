/* SPDX-License-Identifier: BSD-3-Clause */
/* LD_PRELOAD'ed by tests: when the process exits, copies /proc/self/maps to
 * the file named by $PJ_MAPS_OUT, so a test can see every library the
 * process had loaded (dlopen'ed ones included) by the end. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((destructor)) static void dump_maps(void)
{
	const char *out = getenv("PJ_MAPS_OUT");
	char buf[65536];
	ssize_t n;
	if (!out)
		return;
	int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in >= 0 && fd >= 0)
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)n) != n)
				break;
	if (in >= 0)
		close(in);
	if (fd >= 0)
		close(fd);
}
