/* The process-cost baseline: built like bare_es256, linked with nothing extra. */
int main(void)
{
	return 0;
}
