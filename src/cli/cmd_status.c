/*
 * engine-provisioner status [--pool ID] [--json] [--runtime-dir DIR]
 *
 * Every engine this host started (one PID file each): running or not,
 * checked now by pid and start time; pid, port, url, uptime, engine
 * version and digest, and what its health endpoint answers now.
 */
#include <stdio.h>
#include <string.h>

#include "ep/engine.h"
#include "cli.h"
#include "banned.h"

static int parse_args(const char **pool, const char **runtime_dir, bool *json, int argc,
		      char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if ((!strcmp(argv[i], "--pool") || !strcmp(argv[i], "--runtime-dir")) &&
			   i + 1 >= argc) {
			return ep_cli_usage("status", "option '%s' needs a value", argv[i]);
		} else if (!strcmp(argv[i], "--pool")) {
			*pool = argv[++i];
		} else if (!strcmp(argv[i], "--runtime-dir")) {
			*runtime_dir = argv[++i];
		} else {
			return ep_cli_usage("status", "unknown option '%s'", argv[i]);
		}
	}
	return 0;
}

/* "1h02m", "3m05s", "12s", or "-". */
static void fmt_uptime(char *out, size_t n, long long s)
{
	if (s < 0)
		snprintf(out, n, "-");
	else if (s >= 3600)
		snprintf(out, n, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(out, n, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(out, n, "%llds", s);
}

/* One row of the readable table. */
static void print_row(const struct ep_engine_status *st)
{
	char up[32], health[16], pid[16], port[8];
	const char *d = st->engine_digest;

	fmt_uptime(up, sizeof(up), (long long)st->uptime_s);
	snprintf(health, sizeof(health),
		 st->health > 0	   ? "%d"
		 : st->health == 0 ? "no answer"
				   : "-",
		 st->health);
	snprintf(pid, sizeof(pid), st->pid ? "%d" : "-", (int)st->pid);
	snprintf(port, sizeof(port), st->port ? "%u" : "-", (unsigned)st->port);
	if (d && !strncmp(d, "sha256:", 7) && strlen(d) > 19)
		d += 7;
	printf("%-20s %-8s %-8s %-6s %-26s %-8s %-16s %-10s %.12s\n", st->pool_id,
	       st->running	     ? "running"
	       : st->container_state ? st->container_state
				     : "stopped",
	       pid, port, st->url ? st->url : "-", up,
	       st->engine_version ? st->engine_version : "-", health, d ? d : "-");
}

int ep_cmd_status(struct ep_cli *cli, int argc, char **argv)
{
	const char *pool = NULL, *runtime_dir = NULL;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf runtime = EP_BUF_INIT, json = EP_BUF_INIT;
	struct ep_strvec ids = EP_STRVEC_INIT;
	bool as_json = false;
	int rc, status = EP_EXIT_OK;
	size_t i;

	(void)cli;
	rc = parse_args(&pool, &runtime_dir, &as_json, argc, argv);
	if (rc)
		return rc;
	if (ep_runtime_dir(&runtime, runtime_dir, &err) ||
	    (pool ? ep_strvec_push(&ids, pool) : ep_engine_list(&ids, runtime.ptr, &err))) {
		status = ep_cli_fail(&err);
		goto done;
	}
	if (as_json) {
		ep_buf_adds(&json, "{\"runtime_dir\":");
		ep_buf_add_json_str(&json, runtime.ptr);
		ep_buf_adds(&json, ",\"pools\":[");
	} else if (!ids.n) {
		printf("no engines started from '%s'\n", runtime.ptr);
	} else {
		printf("%-20s %-8s %-8s %-6s %-26s %-8s %-16s %-10s %s\n", "POOL", "STATE", "PID",
		       "PORT", "URL", "UPTIME", "VERSION", "HEALTH", "DIGEST");
	}
	for (i = 0; i < ids.n; i++) {
		struct ep_engine_status st;

		ep_error_clear(&err);
		if (ep_engine_status(&st, runtime.ptr, ids.v[i], &err)) {
			status = ep_cli_fail(&err);
		} else if (as_json) {
			if (json.ptr[json.len - 1] != '[')
				ep_buf_addch(&json, ',');
			ep_engine_status_to_json(&json, &st);
		} else {
			print_row(&st);
		}
		ep_engine_status_release(&st);
	}
	if (as_json)
		printf("%s]}\n", json.ptr);
done:
	ep_strvec_release(&ids);
	ep_buf_release(&runtime);
	ep_buf_release(&json);
	return status;
}
