/*
 * No-op ensure of a pulled image against `podman pull` of the same present
 * image. Usage: bench_container IMAGE:TAG STATE_DIR [N]
 * (bench/bench_container.sh sets up a registry and an image and runs it).
 * Prints the median, min and max of N runs of each, and the container-engine
 * calls one no-op ensure makes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ep/container.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "banned.h"

#define MAX_RUNS 200

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Microseconds from a monotonic clock. */
static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void report(const char *what, int64_t *us, int n)
{
	qsort(us, (size_t)n, sizeof(us[0]), cmp_i64);
	printf("%-34s median %8.2f ms  min %8.2f ms  max %8.2f ms  (n=%d)\n", what,
	       (double)us[n / 2] / 1000.0, (double)us[0] / 1000.0, (double)us[n - 1] / 1000.0, n);
}

int main(int argc, char **argv)
{
	struct ep_container_ref ref = EP_CONTAINER_REF_INIT;
	struct ep_container_pull_opts o = EP_CONTAINER_PULL_OPTS_INIT;
	struct ep_container_image img;
	struct ep_error err = EP_ERROR_INIT;
	static int64_t noop[MAX_RUNS], pull[MAX_RUNS], insp[MAX_RUNS];
	unsigned calls = 0;
	int n = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 20, i;

	if (argc < 3 || n < 1 || n > MAX_RUNS) {
		fprintf(stderr, "usage: bench_container IMAGE:TAG STATE_DIR [N<=%d]\n", MAX_RUNS);
		return 2;
	}
	ep_container_image_init(&img);
	o.state_dir = argv[2];
	if (ep_container_ref_parse(&ref, argv[1], NULL, &err) ||
	    ep_container_pull(&img, &ref, &o, &err)) {
		fprintf(stderr, "bench_container: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		int64_t t0 = now_us();

		ep_container_image_release(&img);
		if (ep_container_pull(&img, &ref, &o, &err)) {
			fprintf(stderr, "bench_container: %s\n", err.msg);
			return 1;
		}
		noop[i] = now_us() - t0;
		calls = img.engine_calls > calls ? img.engine_calls : calls;
	}
	for (i = 0; i < n; i++) {
		struct ep_proc_opts po = EP_PROC_OPTS_INIT;
		const char *pargv[] = {"podman", "pull", "--quiet", argv[1], NULL, NULL};
		struct ep_buf out = EP_BUF_INIT;
		int status = 0;
		int64_t t0 = now_us();

		/* the same plain-http rule the library applies to a loopback registry */
		if (ep_container_ref_is_loopback(&ref)) {
			pargv[3] = "--tls-verify=false";
			pargv[4] = argv[1];
		}
		po.argv = pargv;
		po.out = EP_PROC_PIPE;
		po.err = EP_PROC_TO_OUT;
		if (ep_proc_run(&po, &out, &status, &err) || status) {
			fprintf(stderr, "bench_container: podman pull failed: %s%s\n", err.msg,
				out.ptr);
			return 1;
		}
		pull[i] = now_us() - t0;
		ep_buf_release(&out);
	}
	for (i = 0; i < n; i++) {
		struct ep_proc_opts po = EP_PROC_OPTS_INIT;
		const char *iargv[] = {
		    "podman",	   "image", "inspect", "--format", "{{.Id}} {{.Digest}}",
		    img.image_ref, NULL};
		struct ep_buf out = EP_BUF_INIT;
		int status = 0;
		int64_t t0 = now_us();

		po.argv = iargv;
		po.out = EP_PROC_PIPE;
		po.err = EP_PROC_TO_OUT;
		if (ep_proc_run(&po, &out, &status, &err) || status) {
			fprintf(stderr, "bench_container: podman image inspect failed: %s%s\n",
				err.msg, out.ptr);
			return 1;
		}
		insp[i] = now_us() - t0;
		ep_buf_release(&out);
	}
	printf("image %s pinned as %s\n", argv[1], img.image_ref);
	report("no-op ensure (library call)", noop, n);
	report("podman pull of the present image", pull, n);
	report("podman image inspect (1-call path)", insp, n);
	printf("container-engine calls per no-op ensure: %u (target: at most 1)\n", calls);
	printf("target: no-op under 20 ms: %s\n", noop[n / 2] < 20000 ? "met" : "missed");
	ep_container_image_release(&img);
	ep_container_ref_release(&ref);
	return 0;
}
