/*
 * ensure: prepare the engine of one pool (or every pool) and print what
 * was prepared, as readable text or PreparedEngine JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep/config.h"
#include "ep/ensure.h"
#include "ep/log.h"
#include "ep/state.h"
#include "cli.h"
#include "banned.h"

struct ensure_args {
	const char *config;
	const char *pool;
	bool all, json;
	struct ep_ensure_opts opts;
};

/* The sink while a progress line may be on screen: redraw it in place. */
struct progress_sink {
	ep_log_sink_fn inner;
	bool drawn;
};

static void progress_fn(const struct ep_event *ev, void *ctx)
{
	struct progress_sink *ps = ctx;

	if (ev->action && !strcmp(ev->action, "progress")) {
		const char *h = ev->human ? ev->human : "";
		char bar[31];
		long done = 0, total = 0, fill = 0;

		if (sscanf(h, "[%ld/%ld]", &done, &total) == 2 && total > 0)
			fill = done * 30 / total;
		fill = fill < 0 ? 0 : fill > 30 ? 30 : fill;
		memset(bar, '#', sizeof(bar) - 1);
		memset(bar + fill, '.', (size_t)(30 - fill));
		bar[30] = '\0';
		fprintf(stderr, "\r\033[K[%s] %3ld%% %s", bar, total ? done * 100 / total : 0, h);
		ps->drawn = true;
		return;
	}
	if (ps->drawn) {
		fputs("\r\033[K", stderr);
		ps->drawn = false;
	}
	ps->inner(ev, stderr);
}

static int parse_args(struct ensure_args *a, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "--config") && i + 1 < argc)
			a->config = argv[++i];
		else if (!strcmp(s, "--pool") && i + 1 < argc)
			a->pool = argv[++i];
		else if (!strcmp(s, "--locked") && i + 1 < argc)
			a->opts.locked_path = argv[++i];
		else if (!strcmp(s, "--all"))
			a->all = true;
		else if (!strcmp(s, "--json"))
			a->json = true;
		else if (!strcmp(s, "--offline"))
			a->opts.offline = true;
		else if (!strcmp(s, "--no-wait"))
			a->opts.no_wait = true;
		else
			return ep_cli_usage("ensure", "unknown or incomplete option '%s'", s);
	}
	if (!a->config)
		return ep_cli_usage("ensure", "--config FILE is required");
	if (a->all && a->pool)
		return ep_cli_usage("ensure", "give --pool ID or --all, not both");
	return 0;
}

/* Print one PreparedEngine. */
static void print_one(const struct ep_prepared *p, bool json, bool first, bool in_array)
{
	struct ep_buf b = EP_BUF_INIT;

	if (json)
		ep_prepared_to_json(&b, p);
	else
		ep_prepared_to_text(&b, p);
	if (in_array)
		fputs(first ? "[" : ",\n", stdout);
	else if (!json && !first)
		fputc('\n', stdout);
	fputs(b.ptr, stdout);
	if (!in_array && json)
		fputc('\n', stdout);
	ep_buf_release(&b);
}

int ep_cmd_ensure(struct ep_cli *cli, int argc, char **argv)
{
	struct ensure_args a;
	struct ep_config *cfg = NULL;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf state = EP_BUF_INIT;
	struct progress_sink ps;
	size_t i, from = 0, to = 0, done = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	a.opts = (struct ep_ensure_opts)EP_ENSURE_OPTS_INIT;
	if ((rc = parse_args(&a, argc, argv)) || (rc = ep_cli_load_config(&cfg, a.config)))
		return rc;
	rc = ep_state_dir(&state, cli->state_dir, &err);
	if (rc)
		goto out;
	a.opts.state_dir = state.ptr;
	a.opts.progress = !cli->json_log && !cli->quiet && isatty(2);
	if (a.opts.progress) {
		ps.inner = ep_log_sink_text;
		ps.drawn = false;
		ep_log_set_sink(progress_fn, &ps, cli->verbose ? EP_LOG_DEBUG : EP_LOG_INFO);
	}
	if (a.pool) {
		const struct ep_pool *p = ep_config_find_pool(cfg, a.pool);

		if (!p) {
			rc =
			    ep_error_set(&err, EP_EUSAGE, "no pool '%s' in '%s'", a.pool, a.config);
			goto out;
		}
		from = p->index;
		to = from + 1;
	} else if (a.all || cfg->n_pools == 1) {
		to = cfg->n_pools;
	} else {
		rc = ep_error_set(&err, EP_EUSAGE,
				  "'%s' has %zu pools; name one with --pool ID or use --all",
				  a.config, cfg->n_pools);
		goto out;
	}
	for (i = from; i < to && !rc; i++) {
		struct ep_prepared prep;

		rc = ep_ensure_pool(&prep, cfg, &cfg->pools[i], &a.opts, &err);
		if (!rc)
			print_one(&prep, a.json, done == 0, a.json && a.all);
		done += rc ? 0 : 1;
		ep_prepared_release(&prep);
	}
	if (a.json && a.all && done)
		fputs("]\n", stdout);
out:
	if (a.opts.progress && ps.drawn)
		fputs("\r\033[K", stderr);
	if (a.opts.progress)
		ep_log_set_sink(cli->json_log ? ep_log_sink_json : ep_log_sink_text, stderr,
				cli->verbose ? EP_LOG_DEBUG : EP_LOG_INFO);
	ep_config_free(cfg);
	ep_buf_release(&state);
	fflush(stdout);
	return rc ? ep_cli_fail(&err) : EP_EXIT_OK;
}
