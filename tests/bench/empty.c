/* SPDX-License-Identifier: BSD-3-Clause */
/* The process-cost baseline: built like bare_es256, linked with nothing extra. */
int main(void)
{
	return 0;
}
