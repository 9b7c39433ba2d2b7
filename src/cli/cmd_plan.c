/*
 * plan: show the steps ensure and up would take, with no side effects.
 */
#include <stdio.h>
#include <string.h>

#include "ep/config.h"
#include "ep/plan.h"
#include "cli.h"
#include "banned.h"

int ep_cmd_plan(struct ep_cli *cli, int argc, char **argv)
{
	const char *config = NULL, *pool_id = NULL;
	struct ep_config *cfg = NULL;
	struct ep_buf out = EP_BUF_INIT;
	bool json = false, all = false, first = true;
	size_t i;
	int a, status;

	(void)cli;
	for (a = 1; a < argc; a++) {
		const char *v;

		if (ep_cli_value_opt("--config", argc, argv, &a, &v)) {
			if (!v)
				return ep_cli_usage("plan",
						    "--config needs a file ('-' for stdin)");
			config = v;
		} else if (ep_cli_value_opt("--pool", argc, argv, &a, &v)) {
			if (!v)
				return ep_cli_usage("plan", "--pool needs a pool id");
			pool_id = v;
		} else if (!strcmp(argv[a], "--all")) {
			all = true;
		} else if (!strcmp(argv[a], "--json")) {
			json = true;
		} else {
			return ep_cli_usage("plan", "unknown option '%s'", argv[a]);
		}
	}
	if (!config)
		return ep_cli_usage("plan", "--config FILE is required");
	if (all && pool_id)
		return ep_cli_usage("plan", "--pool and --all exclude each other");
	status = ep_cli_load_config(&cfg, config);
	if (status)
		return status;
	status = ep_cli_check_pool(cfg, pool_id);
	if (json && !pool_id)
		ep_buf_addch(&out, '[');
	for (i = 0; !status && i < cfg->n_pools; i++) {
		struct ep_error err = EP_ERROR_INIT;
		struct ep_plan plan;

		if (!ep_cli_pool_selected(&cfg->pools[i], pool_id))
			continue;
		if (ep_plan_build(&plan, &cfg->pools[i], &err)) {
			status = ep_cli_fail(&err);
		} else if (json) {
			if (!first)
				ep_buf_addch(&out, ',');
			ep_plan_to_json(&out, &plan);
		} else {
			if (!first)
				ep_buf_addch(&out, '\n');
			ep_plan_to_text(&out, &plan);
		}
		first = false;
		ep_plan_release(&plan);
	}
	if (json && !pool_id)
		ep_buf_addch(&out, ']');
	if (json)
		ep_buf_addch(&out, '\n');
	if (!status)
		fwrite(out.ptr, 1, out.len, stdout);
	ep_buf_release(&out);
	ep_config_free(cfg);
	return status;
}
