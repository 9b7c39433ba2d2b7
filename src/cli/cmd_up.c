/*
 * engine-provisioner up --config FILE [--pool ID | --all] [--json]
 *     [--runtime-dir DIR] [--timeout SECONDS] [--replica ID]
 *
 * Ensure each selected pool, start its engine and wait until it is healthy;
 * print where it runs. An engine that already runs is reported, not
 * started twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep/config.h"
#include "ep/engine.h"
#include "ep/ensure.h"
#include "ep/prepared.h"
#include "ep/state.h"
#include "cli.h"
#include "banned.h"

struct up_args {
	const char *config, *pool, *runtime_dir, *replica;
	bool all, json;
	uint32_t timeout_s;
};

static int parse_args(struct up_args *a, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--all")) {
			a->all = true;
		} else if (!strcmp(o, "--json")) {
			a->json = true;
		} else if (!v && (!strcmp(o, "--config") || !strcmp(o, "--pool") ||
				  !strcmp(o, "--runtime-dir") || !strcmp(o, "--timeout") ||
				  !strcmp(o, "--replica"))) {
			return ep_cli_usage("up", "option '%s' needs a value", o);
		} else if (!strcmp(o, "--config")) {
			a->config = argv[++i];
		} else if (!strcmp(o, "--pool")) {
			a->pool = argv[++i];
		} else if (!strcmp(o, "--runtime-dir")) {
			a->runtime_dir = argv[++i];
		} else if (!strcmp(o, "--replica")) {
			a->replica = argv[++i];
		} else if (!strcmp(o, "--timeout")) {
			char *end;
			unsigned long t = strtoul(argv[++i], &end, 10);

			if (*end || !t || t > 86400)
				return ep_cli_usage(
				    "up", "--timeout takes seconds (1-86400), not '%s'", argv[i]);
			a->timeout_s = (uint32_t)t;
		} else {
			return ep_cli_usage("up", "unknown option '%s'", o);
		}
	}
	if (!a->config)
		return ep_cli_usage("up", "--config FILE is required");
	if (a->all && a->pool)
		return ep_cli_usage("up", "--pool and --all exclude each other");
	return 0;
}

/* Print one started (or found) engine. */
static void report(const struct up_args *a, const struct ep_prepared *pe,
		   const struct ep_running *r)
{
	struct ep_buf pj = EP_BUF_INIT;

	if (!a->json) {
		printf("pool '%s' %s %s (%s%s%spid %d, engine %s %s)\n", pe->pool_id,
		       r->already ? "already runs at" : "is up at", r->url ? r->url : "?",
		       r->container ? "container " : "", r->container ? r->container : "",
		       r->container ? ", " : "", (int)r->pid, ep_engine_name(pe->engine),
		       pe->engine_version ? pe->engine_version : "version unknown");
		if (r->container && pe->image_ref)
			printf("  image: %s\n", pe->image_ref);
		if (!r->already)
			printf(
			    "  ready in %lld ms (spawn %lld ms, health %lld ms, version %lld ms)\n",
			    (long long)(r->spawn_ms + r->health_ms + r->version_ms),
			    (long long)r->spawn_ms, (long long)r->health_ms,
			    (long long)r->version_ms);
		printf("  log: %s\n  handoff: %s\n", r->log_path, r->handoff_path);
		return;
	}
	ep_buf_adds(&pj, "{\"pool_id\":");
	ep_buf_add_json_str(&pj, pe->pool_id);
	ep_buf_addf(&pj, ",\"already\":%s,\"pid\":%d,\"url\":", r->already ? "true" : "false",
		    (int)r->pid);
	ep_buf_add_json_str(&pj, r->url ? r->url : "");
	ep_buf_addf(&pj, ",\"spawn_ms\":%lld,\"health_ms\":%lld,\"version_ms\":%lld,\"log\":",
		    (long long)r->spawn_ms, (long long)r->health_ms, (long long)r->version_ms);
	ep_buf_add_json_str(&pj, r->log_path);
	ep_buf_adds(&pj, ",\"container\":");
	if (r->container)
		ep_buf_add_json_str(&pj, r->container);
	else
		ep_buf_adds(&pj, "null");
	ep_buf_adds(&pj, ",\"pid_file\":");
	ep_buf_add_json_str(&pj, r->pid_path);
	ep_buf_adds(&pj, ",\"handoff\":");
	ep_buf_add_json_str(&pj, r->handoff_path);
	ep_buf_adds(&pj, ",\"prepared\":");
	ep_prepared_to_json(&pj, pe);
	printf("%s}\n", pj.ptr);
	ep_buf_release(&pj);
}

/* Ensure and start one pool. */
static int up_one(const struct up_args *a, const struct ep_config *cfg, const struct ep_pool *pool,
		  const char *state, const char *runtime, struct ep_error *err)
{
	struct ep_ensure_opts eo = EP_ENSURE_OPTS_INIT;
	struct ep_up_opts uo = EP_UP_OPTS_INIT;
	struct ep_prepared pe;
	struct ep_running r;
	int rc;

	eo.state_dir = state;
	eo.replica_id = a->replica;
	rc = ep_ensure_pool(&pe, cfg, pool, &eo, err);
	if (!rc) {
		uo.runtime_dir = runtime;
		uo.state_dir = state;
		uo.startup_timeout_s = a->timeout_s;
		rc = ep_engine_up(&r, &pe, pool, &uo, err);
		if (!rc)
			report(a, &pe, &r);
		ep_running_release(&r);
	}
	ep_prepared_release(&pe);
	return rc;
}

int ep_cmd_up(struct ep_cli *cli, int argc, char **argv)
{
	struct up_args a = {NULL, NULL, NULL, NULL, false, false, 0};
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf state = EP_BUF_INIT, runtime = EP_BUF_INIT;
	struct ep_config *cfg = NULL;
	const struct ep_pool *pool;
	int rc, status = EP_EXIT_OK;
	size_t i;

	rc = parse_args(&a, argc, argv);
	if (rc || (rc = ep_cli_load_config(&cfg, a.config)))
		return rc;
	if (ep_state_dir(&state, cli->state_dir, &err) ||
	    ep_runtime_dir(&runtime, a.runtime_dir, &err)) {
		status = ep_cli_fail(&err);
		goto done;
	}
	if (!a.all && !a.pool && cfg->n_pools != 1) {
		status = ep_cli_usage("up", "'%s' has %zu pools: name one with --pool ID, or --all",
				      a.config, cfg->n_pools);
		goto done;
	}
	if (a.pool && !ep_config_find_pool(cfg, a.pool)) {
		ep_error_set(&err, EP_ENOTFOUND, "no pool '%s' in '%s'", a.pool, a.config);
		status = ep_cli_fail(&err);
		goto done;
	}
	for (i = 0; i < cfg->n_pools; i++) {
		pool = &cfg->pools[i];
		if (a.pool && strcmp(pool->id, a.pool))
			continue;
		ep_error_clear(&err);
		if (up_one(&a, cfg, pool, state.ptr, runtime.ptr, &err)) {
			int s = ep_cli_fail(&err);

			status = status ? status : s;
		}
	}
done:
	ep_config_free(cfg);
	ep_buf_release(&state);
	ep_buf_release(&runtime);
	return status;
}
