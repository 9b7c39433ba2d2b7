/*
 * engine-provisioner down [--pool ID | --all] [--grace SECONDS]
 *     [--runtime-dir DIR] [--json]
 *
 * Stop engines this host started: SIGTERM to the process group, SIGKILL
 * after the grace period; say which it took. Nothing running is not an
 * error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep/engine.h"
#include "cli.h"
#include "banned.h"

struct down_args {
	const char *pool, *runtime_dir;
	bool all, json;
	unsigned grace_s;
};

static int parse_args(struct down_args *a, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "--all")) {
			a->all = true;
		} else if (!strcmp(o, "--json")) {
			a->json = true;
		} else if ((!strcmp(o, "--pool") || !strcmp(o, "--runtime-dir") ||
			    !strcmp(o, "--grace")) &&
			   i + 1 >= argc) {
			return ep_cli_usage("down", "option '%s' needs a value", o);
		} else if (!strcmp(o, "--pool")) {
			a->pool = argv[++i];
		} else if (!strcmp(o, "--runtime-dir")) {
			a->runtime_dir = argv[++i];
		} else if (!strcmp(o, "--grace")) {
			char *end;
			unsigned long g = strtoul(argv[++i], &end, 10);

			if (*end || argv[i][0] == '-' || !argv[i][0] || g > 3600)
				return ep_cli_usage(
				    "down", "--grace takes seconds (0-3600), not '%s'", argv[i]);
			a->grace_s = (unsigned)g;
		} else {
			return ep_cli_usage("down", "unknown option '%s'", o);
		}
	}
	if (a->all == !!a->pool)
		return ep_cli_usage("down", "name one pool with --pool ID, or --all");
	return 0;
}

static const char *how_name(enum ep_stop_how how)
{
	return how == EP_STOP_KILL ? "SIGKILL" : how == EP_STOP_TERM ? "SIGTERM" : "none";
}

/* Stop one pool and print what happened. */
static int down_one(const struct down_args *a, const char *runtime, const char *id,
		    struct ep_error *err)
{
	struct ep_down_result r;
	int rc = ep_engine_down(&r, runtime, id, a->grace_s, err);

	if (rc)
		return rc;
	if (a->json)
		printf("{\"pool_id\":\"%s\",\"was_running\":%s,\"stale\":%s,\"pid\":%d,"
		       "\"signal\":\"%s\",\"ms\":%lld,\"container\":%s%s%s}\n",
		       id, r.was_running ? "true" : "false", r.stale ? "true" : "false", (int)r.pid,
		       how_name(r.how), (long long)r.ms, r.container ? "\"ep-" : "null",
		       r.container ? id : "", r.container ? "\"" : "");
	else if (r.container && r.was_running)
		printf("pool '%s': stopped and removed container 'ep-%s' with %s in %lld ms\n", id,
		       id,
		       r.how == EP_STOP_KILL ? "SIGKILL (it outlived the grace period)" : "SIGTERM",
		       (long long)r.ms);
	else if (r.container && !r.stale)
		printf("pool '%s': container 'ep-%s' was not running; removed it\n", id, id);
	else if (r.container)
		printf("pool '%s': not running (its container 'ep-%s' is gone; PID file removed)\n",
		       id, id);
	else if (r.was_running)
		printf("pool '%s': stopped pid %d with %s in %lld ms\n", id, (int)r.pid,
		       r.how == EP_STOP_KILL ? "SIGKILL (it outlived the grace period)" : "SIGTERM",
		       (long long)r.ms);
	else if (r.stale)
		printf("pool '%s': not running (stale PID file for pid %d removed, nothing "
		       "signalled)\n",
		       id, (int)r.pid);
	else
		printf("pool '%s': not running\n", id);
	return 0;
}

int ep_cmd_down(struct ep_cli *cli, int argc, char **argv)
{
	struct down_args a = {NULL, NULL, false, false, EP_DOWN_DEFAULT_GRACE_S};
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf runtime = EP_BUF_INIT;
	struct ep_strvec ids = EP_STRVEC_INIT;
	int rc, status = EP_EXIT_OK;
	size_t i;

	(void)cli;
	rc = parse_args(&a, argc, argv);
	if (rc)
		return rc;
	if (ep_runtime_dir(&runtime, a.runtime_dir, &err) ||
	    (a.all ? ep_engine_list(&ids, runtime.ptr, &err) : ep_strvec_push(&ids, a.pool))) {
		status = ep_cli_fail(&err);
		goto done;
	}
	if (a.all && !ids.n && !a.json)
		printf("nothing runs (no PID files under '%s/pids')\n", runtime.ptr);
	for (i = 0; i < ids.n; i++) {
		ep_error_clear(&err);
		if (down_one(&a, runtime.ptr, ids.v[i], &err)) {
			int s = ep_cli_fail(&err);

			status = status ? status : s;
		}
	}
done:
	ep_strvec_release(&ids);
	ep_buf_release(&runtime);
	return status;
}
