/*
 * bench_catalog: what the catalog costs an ensure run. Prints medians of
 * open+close, open+record_run+close (the catalog's share of a no-op
 * ensure), a key lookup plus a pool's current run, and the throughput of 4
 * processes writing runs at once.
 *
 *	bench_catalog [STATE_DIR]   (default: a fresh directory under /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ep/catalog.h"
#include "ep/fs.h"
#include "ep/log.h"
#include "banned.h"

#define ROUNDS	101
#define WRITERS 4
#define WRITES	200

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const struct ep_error *err)
{
	fprintf(stderr, "bench_catalog: %s\n", err->msg);
	exit(1);
}

int main(int argc, char **argv)
{
	char dir[128];
	const char *state = argc > 1 ? argv[1] : dir;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_catalog *cat;
	struct ep_catalog_engine e = {"0123456789abcdef0123456789abcdef",
				      "llamacpp",
				      "source",
				      "v",
				      NULL,
				      "sha256:00",
				      "/x",
				      NULL};
	struct ep_catalog_run r = {"pool", e.key, "sha256:00", "reused", 1};
	double t[ROUNDS], start;
	int i, k;

	snprintf(dir, sizeof(dir), "/tmp/bench-catalog.%ld", (long)getpid());
	if (ep_catalog_open(&cat, state, &err) || ep_catalog_put_engine(cat, &e, &err))
		die(&err);
	ep_catalog_close(cat);
	for (i = 0; i < ROUNDS; i++) {
		start = now_ms();
		if (ep_catalog_open(&cat, state, &err))
			die(&err);
		ep_catalog_close(cat);
		t[i] = now_ms() - start;
	}
	printf("open+close:                 median %.3f ms\n", median(t, ROUNDS));
	for (i = 0; i < ROUNDS; i++) {
		start = now_ms();
		if (ep_catalog_open(&cat, state, &err) || ep_catalog_record_run(cat, &r, &err))
			die(&err);
		ep_catalog_close(cat);
		t[i] = now_ms() - start;
	}
	printf("open+record_run+close:      median %.3f ms\n", median(t, ROUNDS));
	if (ep_catalog_open(&cat, state, &err))
		die(&err);
	for (i = 0; i < ROUNDS; i++) {
		struct ep_catalog_engine_row row;
		struct ep_catalog_run_row run;

		start = now_ms();
		if (ep_catalog_get_engine(&row, cat, e.key, &err) ||
		    ep_catalog_last_success(&run, cat, "pool", &err))
			die(&err);
		t[i] = now_ms() - start;
		ep_catalog_engine_row_release(&row);
		ep_catalog_run_row_release(&run);
	}
	ep_catalog_close(cat);
	printf("get_engine+last_success:    median %.3f ms\n", median(t, ROUNDS));
	start = now_ms();
	for (k = 0; k < WRITERS; k++) {
		if (fork() == 0) {
			if (ep_catalog_open(&cat, state, &err))
				die(&err);
			for (i = 0; i < WRITES; i++)
				if (ep_catalog_record_run(cat, &r, &err))
					die(&err);
			ep_catalog_close(cat);
			_exit(0);
		}
	}
	for (k = 0; k < WRITERS; k++)
		wait(NULL);
	printf("%d writers x %d runs:        %.0f runs/s\n", WRITERS, WRITES,
	       WRITERS * WRITES / ((now_ms() - start) / 1e3));
	if (state == dir)
		ep_fs_remove_tree(dir, NULL);
	return 0;
}
