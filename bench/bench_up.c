/*
 * bench_up SERVER MODEL [ROUNDS] [FLAG...]
 *
 * What `up` adds to an engine's own startup. Each round starts the same
 * binary twice, alternately: bare (posix_spawn, polled for health the same
 * way: 10 ms doubling to 500 ms) and through ep_engine_up() (lock, PID file
 * with start time, port check, log, proof bundle, health, version, handoff).
 * Prints medians; the overhead is "up to healthy" minus "bare to healthy"
 * (noisy: both are quantized by the polling schedule), and up's own work
 * (everything but the health wait: lock, PID files, port, log, proof,
 * spawn, version, handoff), which is not.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ep/engine.h"
#include "ep/fs.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "engine_internal.h"
#include "banned.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The engine started bare: time from the spawn call to the first 200. */
static int64_t bare_round(const struct ep_prepared *pe, const struct ep_pool *pool,
			  const char *log_path)
{
	struct ep_strvec argv = EP_STRVEC_INIT, env = EP_STRVEC_INIT;
	struct ep_proc_opts po = EP_PROC_OPTS_INIT;
	struct ep_health_result h;
	struct ep_buf url = EP_BUF_INIT;
	struct ep_proc *p = NULL;
	enum ep_stop_how how;
	int64_t t0 = ep_now_ms();
	int fd = -1;

	ep_engine_argv(&argv, pe, NULL);
	ep_engine_env(&env, pe, pool, NULL);
	ep_spawn__open_log(&fd, log_path, EP_UP_DEFAULT_LOG_MAX, NULL);
	po.argv = (const char *const *)argv.v;
	po.env = (const char *const *)env.v;
	po.out = EP_PROC_FD;
	po.out_fd = fd;
	po.err = EP_PROC_TO_OUT;
	po.own_pgrp = true;
	po.close_other_fds = true;
	if (ep_proc_start(&p, &po, NULL)) {
		fprintf(stderr, "bench_up: cannot start '%s'\n", pe->binary_path);
		exit(1);
	}
	close(fd);
	ep_buf_addf(&url, "http://127.0.0.1:%u/health", (unsigned)pe->port);
	ep_health__wait(&h, url.ptr, 300000, p, NULL);
	t0 = ep_now_ms() - t0;
	if (h.outcome != EP_HEALTH_OK) {
		fprintf(stderr, "bench_up: the bare engine did not become healthy\n");
		exit(1);
	}
	ep_engine__stop_group(&how, ep_proc_pid(p), 10);
	ep_proc_wait(p, NULL, NULL);
	ep_proc_free(p);
	ep_buf_release(&url);
	ep_strvec_release(&argv);
	ep_strvec_release(&env);
	return t0;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/ep-bench-up.XXXXXX";
	struct ep_buf rt = EP_BUF_INIT, st = EP_BUF_INIT, log = EP_BUF_INIT;
	struct ep_kv fake_env[] = {{"FAKE_LOADING_POLLS", "0"}};
	struct ep_pool pool;
	struct ep_prepared pe;
	int64_t bare[64], ready[64], total[64], over[64], over_total[64], own[64], spawn[64];
	int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5, i, j;
	uint16_t port = (uint16_t)(30000 + getpid() % 20000);

	if (argc < 3) {
		fprintf(stderr, "usage: bench_up SERVER MODEL [ROUNDS] [FLAG...]\n");
		return 2;
	}
	if (rounds < 1 || rounds > 64)
		rounds = 5;
	if (!mkdtemp(tmpl))
		return 1;
	ep_buf_addf(&rt, "%s/rt", tmpl);
	ep_buf_addf(&st, "%s/state", tmpl);
	ep_buf_addf(&log, "%s/bare.log", tmpl);
	memset(&pool, 0, sizeof(pool));
	/* The fixture engine (tests/lib/fake_engine.c) then is healthy once it listens. */
	pool.provisioning.env = fake_env;
	pool.provisioning.n_env = 1;
	pool.id = "bench";
	pool.model = "bench-model";
	for (j = 0; j < rounds; j++) {
		struct ep_up_opts uo = EP_UP_OPTS_INIT;
		struct ep_running r;
		struct ep_down_result d;
		struct ep_error err = EP_ERROR_INIT;
		int64_t t0;

		ep_prepared_init(&pe);
		pe.pool_id = strdup("bench");
		pe.binary_path = strdup(argv[1]);
		pe.model_path = strdup(argv[2]);
		pe.host = strdup("127.0.0.1");
		pe.device_mask = strdup("");
		pe.port = port;
		for (i = 4; i < argc; i++)
			ep_strvec_push(&pe.flags, argv[i]);
		bare[j] = bare_round(&pe, &pool, log.ptr);
		uo.runtime_dir = rt.ptr;
		/* EP_BENCH_NO_STATE=1: no lock, no proof bundle (to see what they cost). */
		uo.state_dir =
		    getenv("EP_BENCH_NO_STATE") && *getenv("EP_BENCH_NO_STATE") ? NULL : st.ptr;
		t0 = ep_now_ms();
		if (ep_engine_up(&r, &pe, &pool, &uo, &err)) {
			fprintf(stderr, "bench_up: %s\n", err.msg);
			return 1;
		}
		total[j] = ep_now_ms() - t0;
		/* From the call to the first 200: the total less the version query and handoff. */
		ready[j] = total[j] - r.version_ms;
		over[j] = ready[j] - bare[j];
		over_total[j] = total[j] - bare[j];
		own[j] = total[j] - r.health_ms;
		spawn[j] = r.spawn_ms;
		ep_engine_down(&d, rt.ptr, "bench", 10, &err);
		ep_proc_wait(r.proc, NULL, NULL);
		ep_running_release(&r);
		ep_prepared_release(&pe);
	}
	printf("engine: %s\nmodel: %s\nrounds: %d\n", argv[1], argv[2], rounds);
	printf("bare start to healthy (same polling):       median %lld ms\n",
	       (long long)median(bare, rounds));
	printf("up to healthy (from the call):              median %lld ms\n",
	       (long long)median(ready, rounds));
	printf("up total (+ version, PID file, handoff):    median %lld ms\n",
	       (long long)median(total, rounds));
	printf("overhead, up to healthy minus bare:         median %lld ms\n",
	       (long long)median(over, rounds));
	printf("overhead, up total minus bare:              median %lld ms\n",
	       (long long)median(over_total, rounds));
	printf("up's own work (total minus the health wait): median %lld ms\n",
	       (long long)median(own, rounds));
	printf("  of which argv, env, log, proof, spawn, PID:  median %lld ms\n",
	       (long long)median(spawn, rounds));
	{
		struct ep_error err = EP_ERROR_INIT;

		ep_fs_remove_tree(tmpl, &err);
	}
	ep_buf_release(&rt);
	ep_buf_release(&st);
	ep_buf_release(&log);
	return 0;
}
