/*
 * Preflight cost on this host: a CPU source pool, and a GPU source pool
 * when a driver (or EP_CUDA_DRIVER_LIBRARY) is present. "cold" starts with
 * an empty probe cache; "warm" reuses it (no `--version` processes).
 * Prints milliseconds and processes started per preflight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/gpu.h"
#include "ep/log.h"
#include "ep/preflight.h"
#include "ep/proc.h"

#define WARM_RUNS 20

/* One preflight; its time and process count. */
static int once(const struct ep_pool *pool, double *ms, unsigned long long *spawned)
{
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;
	uint64_t n0 = ep_proc_spawn_count();
	int64_t t0 = ep_now_ms();
	int rc;

	ep_preflight_init(&pf);
	rc = ep_preflight_pool(&pf, pool, NULL, &err);
	*ms = (double)(ep_now_ms() - t0);
	*spawned = (unsigned long long)(ep_proc_spawn_count() - n0);
	if (rc)
		fprintf(stderr, "preflight: %s\n", err.msg);
	ep_preflight_release(&pf);
	return rc;
}

static void measure(const char *label, const struct ep_pool *pool, const char *state)
{
	unsigned long long sp, total_sp = 0;
	double ms, total = 0;
	int i;

	ep_fs_remove_tree(state, NULL);
	if (once(pool, &ms, &sp))
		return;
	printf("%-10s cold: %7.1f ms, %llu processes\n", label, ms, sp);
	for (i = 0; i < WARM_RUNS; i++) {
		if (once(pool, &ms, &sp))
			return;
		total += ms;
		total_sp += sp;
	}
	printf("%-10s warm: %7.2f ms, %.1f processes (mean of %d)\n", label, total / WARM_RUNS,
	       (double)total_sp / WARM_RUNS, WARM_RUNS);
}

int main(void)
{
	char state[] = "/tmp/ep-bench-preflight.XXXXXX";
	uint32_t dev[] = {0};
	struct ep_gpu_info g;
	struct ep_pool pool;

	if (!mkdtemp(state))
		return 1;
	setenv("EP_STATE_DIR", state, 1);
	memset(&pool, 0, sizeof(pool));
	pool.id = "bench";
	pool.engine = EP_ENGINE_LLAMACPP;
	pool.provisioning.mode = EP_MODE_SOURCE;
	measure("cpu pool", &pool, state);
	ep_gpu_info_init(&g);
	if (!ep_gpu_detect(&g, NULL) && g.n_devices) {
		pool.devices = dev;
		pool.n_devices = 1;
		measure("gpu pool", &pool, state);
	} else {
		printf("gpu pool   skipped: %s\n", g.load_error ? g.load_error : "no GPU");
	}
	ep_gpu_info_release(&g);
	ep_fs_remove_tree(state, NULL);
	return 0;
}
