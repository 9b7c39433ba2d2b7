/*
 * engine-provisioner validate --config FILE [--json]
 *
 * Loads the config and reports every problem in it, one per line as
 * "FILE:LINE:COL: KEY: MESSAGE", or that it is valid. Writes nothing:
 * no state directory is created and no file is touched.
 */
#include <stdio.h>
#include <string.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "cli.h"
#include "banned.h"

/* {"valid":false,"errors":[{"line":..,"col":..,"key":..,"message":..}]} */
static void print_json(const struct ep_config *cfg, const struct ep_config_diags *d,
		       const struct ep_error *err)
{
	struct ep_buf b = EP_BUF_INIT;
	size_t i;

	ep_buf_addf(&b, "{\"valid\":%s", cfg ? "true" : "false");
	if (cfg)
		ep_buf_addf(&b, ",\"pools\":%zu", cfg->n_pools);
	ep_buf_adds(&b, ",\"errors\":[");
	for (i = 0; i < d->n; i++) {
		const struct ep_config_diag *g = &d->v[i];

		ep_buf_addf(&b, "%s{\"line\":%u,\"col\":%u,\"key\":", i ? "," : "", g->pos.line,
			    g->pos.col);
		ep_buf_add_json_str(&b, g->key_path);
		ep_buf_adds(&b, ",\"message\":");
		ep_buf_add_json_str(&b, g->message);
		ep_buf_addch(&b, '}');
	}
	if (!cfg && !d->n) {
		/* not a config problem: the file could not be read */
		ep_buf_adds(&b, "{\"line\":0,\"col\":0,\"key\":\"\",\"message\":");
		ep_buf_add_json_str(&b, err->msg);
		ep_buf_addch(&b, '}');
	}
	ep_buf_adds(&b, "]}\n");
	fputs(b.ptr, stdout);
	ep_buf_release(&b);
}

int ep_cmd_validate(struct ep_cli *cli, int argc, char **argv)
{
	struct ep_config_diags diags = EP_CONFIG_DIAGS_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_config *cfg = NULL;
	const char *path = NULL;
	bool json = false;
	int i, rc;

	(void)cli;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			path = argv[i] + 9;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return ep_cli_usage("validate", "unknown option '%s'", argv[i]);
	}
	if (!path)
		return ep_cli_usage("validate", "--config FILE is required");
	if (!json) {
		rc = ep_cli_load_config(&cfg, path);
		if (!rc)
			printf("%s: %zu %s valid\n", path, cfg->n_pools,
			       cfg->n_pools == 1 ? "pool" : "pools");
		ep_config_free(cfg);
		return rc;
	}
	rc = ep_config_load(&cfg, path, &diags, &err);
	print_json(cfg, &diags, &err);
	ep_config_free(cfg);
	ep_config_diags_release(&diags);
	return ep_cli_exit_code(rc);
}
