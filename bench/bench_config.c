/*
 * How long loading and validating a config takes: builds configs of 1,000
 * and 10,000 pools in memory (a CUDA source-build pool, repeated with
 * distinct ids), loads each several times and prints the median time,
 * the size of the text and the time per pool.
 *
 *	bench_config [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "banned.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void make_config(struct ep_buf *b, int pools)
{
	int i;

	ep_buf_adds(b, "pools:\n");
	for (i = 0; i < pools; i++)
		ep_buf_addf(
		    b,
		    "  - id: pool-%d\n"
		    "    engine: llamacpp\n"
		    "    model: qwen2.5-0.5b-instruct-q4_k_m.gguf\n"
		    "    devices: [%d]\n"
		    "    ctx: 8192\n"
		    "    provisioning:\n"
		    "      mode: source\n"
		    "      source:\n"
		    "        repo: https://github.com/ggml-org/llama.cpp.git\n"
		    "        ref: de3ff815ea7d559ee917f063901b8986f038abc6\n"
		    "        build: {cmake_flags: [-DGGML_CUDA=ON, "
		    "-DCMAKE_CUDA_ARCHITECTURES=86]}\n"
		    "      ports: [%d]\n"
		    "      flags: [--metrics, --no-webui, --parallel, \"1\", --n-gpu-layers, "
		    "\"99\"]\n",
		    i, i % 8, 8000 + i % 50000);
}

int main(int argc, char **argv)
{
	static const int sizes[] = {1000, 10000};
	int rounds = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 9;
	size_t s;

	if (rounds < 1 || rounds > 1000)
		rounds = 9;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct ep_buf text = EP_BUF_INIT;
		double *t = calloc((size_t)rounds, sizeof(*t));
		int r;

		if (!t)
			return 1;
		make_config(&text, sizes[s]);
		for (r = 0; r < rounds; r++) {
			struct ep_config *cfg = NULL;
			struct ep_error err = EP_ERROR_INIT;
			double t0 = now_ms();

			if (ep_config_load_mem(&cfg, "bench", text.ptr, text.len, NULL, &err)) {
				fprintf(stderr, "bench_config: %s\n", err.msg);
				return 1;
			}
			t[r] = now_ms() - t0;
			ep_config_free(cfg);
		}
		qsort(t, (size_t)rounds, sizeof(*t), cmp_double);
		printf(
		    "config load: %d pools, %.1f KiB: median %.2f ms (%.2f us/pool), min %.2f ms, "
		    "%d rounds\n",
		    sizes[s], (double)text.len / 1024, t[rounds / 2],
		    t[rounds / 2] * 1000 / sizes[s], t[0], rounds);
		free(t);
		ep_buf_release(&text);
	}
	return 0;
}
