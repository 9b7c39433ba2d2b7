/*
 * No-op ensure: with the pool's store entry present, how long does
 * ep_ensure_pool take (median of N, in process) and how many child
 * processes does it start? For scale, the same run times `cmake --build`
 * of the pool's up-to-date build tree (the cheapest thing a build-based
 * re-ensure could do) and, with --cli, the whole `engine-provisioner
 * ensure` command as a process.
 *
 *   bench_ensure --config FILE --pool ID --state-dir DIR [-n N] [--cli PATH]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ep/config.h"
#include "ep/ensure.h"
#include "ep/proc.h"
#include "banned.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time (user + system) this process has used, in ms. */
static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Run argv n times; the median wall time in ms, or -1 when it fails. */
static double time_cmd(const char *const *argv, int n)
{
	double *t = calloc((size_t)n, sizeof(*t));
	double m;
	int i;

	for (i = 0; i < n; i++) {
		struct ep_proc_opts o = EP_PROC_OPTS_INIT;
		struct ep_error err = EP_ERROR_INIT;
		int status = 0;
		double start = now_ms();

		o.argv = argv;
		o.out = EP_PROC_NULL;
		o.err = EP_PROC_NULL;
		if (ep_proc_run(&o, NULL, &status, &err) || status) {
			free(t);
			return -1;
		}
		t[i] = now_ms() - start;
	}
	m = median(t, n);
	free(t);
	return m;
}

int main(int argc, char **argv)
{
	const char *config = NULL, *pool_id = NULL, *state = NULL, *cli = NULL;
	struct ep_ensure_opts opts = EP_ENSURE_OPTS_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_config *cfg = NULL;
	const struct ep_pool *pool;
	struct ep_prepared prep;
	char build_dir[4096];
	double *t, cpu0;
	uint64_t spawned;
	int i, n = 50;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--config"))
			config = argv[i + 1];
		else if (!strcmp(argv[i], "--pool"))
			pool_id = argv[i + 1];
		else if (!strcmp(argv[i], "--state-dir"))
			state = argv[i + 1];
		else if (!strcmp(argv[i], "-n"))
			n = (int)strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--cli"))
			cli = argv[i + 1];
	}
	if (!config || !pool_id || !state || n < 1) {
		fprintf(stderr,
			"usage: bench_ensure --config FILE --pool ID --state-dir DIR [-n N] "
			"[--cli PATH]\n");
		return 2;
	}
	if (ep_config_load(&cfg, config, NULL, &err) ||
	    !(pool = ep_config_find_pool(cfg, pool_id))) {
		fprintf(stderr, "bench_ensure: %s\n", err.msg[0] ? err.msg : "no such pool");
		return 1;
	}
	opts.state_dir = state;
	if (ep_ensure_pool(&prep, cfg, pool, &opts, &err)) { /* warm: builds if needed */
		fprintf(stderr, "bench_ensure: %s\n", err.msg);
		return 1;
	}
	snprintf(build_dir, sizeof(build_dir), "%s/builds/%s/build", state, prep.store_key);
	ep_prepared_release(&prep);
	t = calloc((size_t)n, sizeof(*t));
	spawned = ep_proc_spawn_count();
	cpu0 = cpu_ms();
	for (i = 0; i < n; i++) {
		double start = now_ms();

		if (ep_ensure_pool(&prep, cfg, pool, &opts, &err)) {
			fprintf(stderr, "bench_ensure: %s\n", err.msg);
			return 1;
		}
		t[i] = now_ms() - start;
		ep_prepared_release(&prep);
	}
	cpu0 = (cpu_ms() - cpu0) / n;
	printf("no-op ensure (library, in process): median %.3f ms wall, %.3f ms CPU each, over "
	       "%d runs; %llu child processes in all\n",
	       median(t, n), cpu0, n, (unsigned long long)(ep_proc_spawn_count() - spawned));
	if (cli) {
		const char *cmd[] = {cli,    "--state-dir", state,   "ensure", "--config",
				     config, "--pool",	    pool_id, "--json", NULL};

		const char *ver[] = {cli, "version", NULL};

		printf("no-op ensure (the command, a process): median %.3f ms over %d runs\n",
		       time_cmd(cmd, n), n);
		printf("for scale, 'engine-provisioner version' (process start alone): median %.3f "
		       "ms\n",
		       time_cmd(ver, n));
	}
	{
		const char *cmd[] = {"cmake",	 "--build",	 build_dir,
				     "--target", "llama-server", NULL};
		double m = time_cmd(cmd, n < 20 ? n : 20);

		if (m < 0)
			printf(
			    "cmake --build of the up-to-date tree: not measured (no build tree at "
			    "'%s')\n",
			    build_dir);
		else
			printf("cmake --build of the same up-to-date tree: median %.3f ms over %d "
			       "runs\n",
			       m, n < 20 ? n : 20);
	}
	free(t);
	ep_config_free(cfg);
	return 0;
}
