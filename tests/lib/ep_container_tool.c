/*
 * A driver over the container library for the CLI tests and the
 * benchmark: pull/pin, up/down/status and preflight of one pool, with the
 * results printed as "key=value" lines and the error as
 * "error: <code>: <message>" on stderr (exit 1).
 *
 *   ep_container_tool pull IMAGE [--tag T] [--state DIR] [--locked DIGEST]
 *                     [--refresh] [--offline] [--runtime R] [--repeat N]
 *   ep_container_tool up|down|status|argv --pool ID --image REF [--engine E]
 *                     [--model PATH] [--device N]... [--env K=V]... [--port N]
 *   ep_container_tool ensure --image IMAGE [--tag T] --state DIR [--locked DIGEST]
 *                     [--engine E]   (container mode's ensure entry point)
 *   ep_container_tool preflight [--device N]... [--cdi-dir D]... [--runtime R]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensure_modes.h"
#include "ep/container.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "banned.h"

#define MAX_ITEMS 8

struct args {
	const char *image, *tag, *state, *locked, *runtime, *pool, *model;
	bool refresh, offline;
	long repeat, port;
	enum ep_engine engine;
	uint32_t devices[MAX_ITEMS];
	size_t n_devices;
	struct ep_kv env[MAX_ITEMS];
	size_t n_env;
	const char *cdi[MAX_ITEMS + 1];
	size_t n_cdi;
};

static int fail(const struct ep_error *err)
{
	fprintf(stderr, "error: %s: %s\n", ep_code_name(err->code), err->msg);
	return 1;
}

static int parse(struct args *a, int argc, char **argv)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->repeat = 1;
	a->pool = "p0";
	for (i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--refresh"))
			a->refresh = true;
		else if (!strcmp(argv[i], "--offline"))
			a->offline = true;
		else if (!v && argv[i][0] == '-')
			return -1;
		else if (argv[i][0] != '-')
			a->image = argv[i];
		else if (!strcmp(argv[i], "--tag"))
			a->tag = argv[++i];
		else if (!strcmp(argv[i], "--state"))
			a->state = argv[++i];
		else if (!strcmp(argv[i], "--locked"))
			a->locked = argv[++i];
		else if (!strcmp(argv[i], "--runtime"))
			a->runtime = argv[++i];
		else if (!strcmp(argv[i], "--pool"))
			a->pool = argv[++i];
		else if (!strcmp(argv[i], "--image"))
			a->image = argv[++i];
		else if (!strcmp(argv[i], "--model"))
			a->model = argv[++i];
		else if (!strcmp(argv[i], "--repeat"))
			a->repeat = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--port"))
			a->port = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--engine") && ep_engine_parse(&a->engine, v) == 0)
			i++;
		else if (!strcmp(argv[i], "--device") && a->n_devices < MAX_ITEMS)
			a->devices[a->n_devices++] = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--cdi-dir") && a->n_cdi < MAX_ITEMS)
			a->cdi[a->n_cdi++] = argv[++i];
		else if (!strcmp(argv[i], "--env") && a->n_env < MAX_ITEMS && strchr(v, '=')) {
			char *eq = strchr(argv[++i], '=');

			*eq = '\0';
			a->env[a->n_env].key = argv[i];
			a->env[a->n_env++].value = eq + 1;
		} else
			return -1;
	}
	return 0;
}

/* pull, --repeat times; the last result is printed, with the time of each call on stderr. */
static int cmd_pull(const struct args *a)
{
	struct ep_container_ref ref = EP_CONTAINER_REF_INIT;
	struct ep_container_pull_opts o = EP_CONTAINER_PULL_OPTS_INIT;
	struct ep_container_image img;
	struct ep_error err = EP_ERROR_INIT;
	long i;
	int rc;

	ep_container_image_init(&img);
	if (ep_container_ref_parse(&ref, a->image, a->tag, &err))
		return fail(&err);
	o.state_dir = a->state;
	o.runtime = a->runtime;
	o.locked_digest = a->locked;
	o.refresh = a->refresh;
	o.offline = a->offline;
	for (i = 0, rc = 0; !rc && i < a->repeat; i++) {
		int64_t t0 = ep_now_ms();

		ep_container_image_release(&img);
		rc = ep_container_pull(&img, &ref, &o, &err);
		if (a->repeat > 1)
			fprintf(stderr, "call %ld: %lld ms\n", i, (long long)(ep_now_ms() - t0));
	}
	if (rc) {
		printf("engine_calls=%u\n", img.engine_calls);
		ep_container_ref_release(&ref);
		return fail(&err);
	}
	printf("image_ref=%s\ndigest=%s\nimage_id=%s\nengine=%s\npulled=%d\nengine_calls=%u\n",
	       img.image_ref, img.digest, img.image_id, img.engine, img.pulled ? 1 : 0,
	       img.engine_calls);
	ep_container_image_release(&img);
	ep_container_ref_release(&ref);
	return 0;
}

static int cmd_pool(const char *cmd, const struct args *a)
{
	struct ep_container_run_spec s;
	struct ep_container_status st;
	struct ep_strvec argv = EP_STRVEC_INIT;
	struct ep_buf text = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	int rc;

	memset(&s, 0, sizeof(s));
	s.kind =
	    a->runtime && !strcmp(a->runtime, "docker") ? EP_CONTAINER_DOCKER : EP_CONTAINER_PODMAN;
	s.engine = a->engine;
	s.pool_id = a->pool;
	s.image_ref = a->image;
	s.host_port = (uint16_t)a->port;
	s.model_path = a->model;
	s.devices = a->devices;
	s.n_devices = a->n_devices;
	s.env = a->env;
	s.n_env = a->n_env;
	s.stop_grace_s = 2;
	if (!strcmp(cmd, "argv")) {
		rc = ep_container_run_argv(&argv, &s, &err);
		if (!rc && !ep_proc_format_argv(&text, (const char *const *)argv.v))
			printf("%s\n", text.ptr);
		ep_strvec_release(&argv);
		ep_buf_release(&text);
		return rc ? fail(&err) : 0;
	}
	if (!strcmp(cmd, "down")) {
		struct ep_container_down_result d;

		if (ep_container_down(&d, &s, NULL, &err))
			return fail(&err);
		printf("existed=%d\nwas_running=%d\nkilled=%d\n", d.existed, d.was_running,
		       d.killed);
		return 0;
	}
	rc = !strcmp(cmd, "up") ? ep_container_up(&st, &s, &err)
				: ep_container_status(&st, &s, &err);
	if (rc)
		return fail(&err);
	printf("exists=%d\nrunning=%d\nstate=%s\npid=%d\nexit_code=%d\n", st.exists, st.running,
	       st.state, (int)st.pid, st.exit_code);
	ep_container_status_release(&st);
	return 0;
}

static int cmd_preflight(struct args *a)
{
	struct ep_pool pool;
	struct ep_buf findings = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	int rc;

	memset(&pool, 0, sizeof(pool));
	pool.id = a->pool;
	pool.devices = a->devices;
	pool.n_devices = a->n_devices;
	pool.provisioning.mode = EP_MODE_CONTAINER;
	pool.provisioning.has_container = a->runtime != NULL;
	pool.provisioning.container.runtime = a->runtime;
	a->cdi[a->n_cdi] = NULL;
	rc = ep_container_preflight(&pool, a->n_cdi ? a->cdi : NULL, true, &findings, &err);
	printf("%s", findings.ptr);
	ep_buf_release(&findings);
	return rc ? fail(&err) : 0;
}

/* Container mode's entry point for ensure, on a pool made from the arguments. */
static int cmd_ensure(const struct args *a)
{
	struct ep_pool pool;
	struct ep_prepared prep;
	struct ep_ensure_opts opts = EP_ENSURE_OPTS_INIT;
	struct ep_ensure_ctx ctx;
	struct ep_error err = EP_ERROR_INIT;
	int rc;

	memset(&pool, 0, sizeof(pool));
	ep_prepared_init(&prep);
	memset(&ctx, 0, sizeof(ctx));
	pool.id = a->pool;
	pool.engine = a->engine;
	pool.provisioning.mode = EP_MODE_CONTAINER;
	pool.provisioning.has_container = true;
	pool.provisioning.container.image = a->image;
	pool.provisioning.container.tag = a->tag;
	pool.provisioning.container.runtime = a->runtime;
	opts.state_dir = a->state;
	opts.offline = a->offline;
	ctx.opts = &opts;
	ctx.state_dir = a->state;
	ctx.pool = &pool;
	ctx.locked_digest = a->locked;
	rc = ep_container__ensure(&prep, &ctx, &err);
	if (!rc)
		printf("mode=%s\nimage_ref=%s\nengine_digest=%s\nengine_version=%s\n",
		       prep.mode == EP_MODE_CONTAINER ? "container" : "?", prep.image_ref,
		       prep.engine_digest, prep.engine_version ? prep.engine_version : "");
	ep_prepared_release(&prep);
	return rc ? fail(&err) : 0;
}

int main(int argc, char **argv)
{
	struct args a;

	if (argc < 2 || parse(&a, argc, argv)) {
		fprintf(stderr,
			"usage: ep_container_tool pull|up|down|status|argv|preflight ...\n");
		return 2;
	}
	if (getenv("EP_TOOL_VERBOSE"))
		ep_log_set_sink(ep_log_sink_text, stderr, EP_LOG_DEBUG);
	if (!strcmp(argv[1], "pull") && a.image)
		return cmd_pull(&a);
	if (!strcmp(argv[1], "ensure") && a.image)
		return cmd_ensure(&a);
	if (!strcmp(argv[1], "preflight"))
		return cmd_preflight(&a);
	if (a.image || !strcmp(argv[1], "down") || !strcmp(argv[1], "status"))
		return cmd_pool(argv[1], &a);
	fprintf(stderr, "ep_container_tool: missing image\n");
	return 2;
}
