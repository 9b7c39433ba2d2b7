/*
 * engine-provisioner catalog list|show|lock: what the catalog knows about
 * prepared engines and their runs, and the lock file of a config.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep/catalog.h"
#include "ep/config.h"
#include "ep/lockfile.h"
#include "ep/state.h"
#include "cli.h"
#include "banned.h"

#define SHOW_RUNS 20

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *engine_json(const struct ep_catalog_engine_row *r)
{
	json_t *o = json_object(), *inputs = NULL;

	json_object_set_new(o, "key", json_string(r->key));
	json_object_set_new(o, "engine", json_string(r->engine));
	json_object_set_new(o, "mode", json_string(r->mode));
	json_object_set_new(o, "engine_version", json_string(r->engine_version));
	json_object_set_new(o, "build_ref", str_or_null(r->build_ref));
	json_object_set_new(o, "engine_digest", json_string(r->engine_digest));
	json_object_set_new(o, "location", json_string(r->location));
	json_object_set_new(o, "created_at", json_string(r->created_at));
	if (r->inputs_json)
		inputs = json_loads(r->inputs_json, 0, NULL);
	json_object_set_new(o, "inputs", inputs ? inputs : json_null());
	return o;
}

static json_t *run_json(const struct ep_catalog_run_row *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "pool_id", json_string(r->pool_id));
	json_object_set_new(o, "key", str_or_null(r->key));
	json_object_set_new(o, "digest", str_or_null(r->digest));
	json_object_set_new(o, "outcome", json_string(r->outcome));
	json_object_set_new(o, "duration_ms", json_integer(r->duration_ms));
	json_object_set_new(o, "started_at", json_string(r->started_at));
	return o;
}

/* Print a JSON value on its own line and drop it. */
static int print_json(json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(v);
	if (!text)
		return EP_EXIT_FAILURE;
	puts(text);
	free(text);
	return EP_EXIT_OK;
}

static int do_list(struct ep_catalog *cat, bool json)
{
	struct ep_catalog_engine_rows rows;
	struct ep_error err = EP_ERROR_INIT;
	json_t *arr;
	size_t i;

	if (ep_catalog_list_engines(&rows, cat, &err))
		return ep_cli_fail(&err);
	if (json) {
		arr = json_array();
		for (i = 0; i < rows.n; i++)
			json_array_append_new(arr, engine_json(&rows.v[i]));
		ep_catalog_engine_rows_release(&rows);
		return print_json(arr);
	}
	if (rows.n)
		printf("%-32s  %-9s  %-9s  %-12s  %s\n", "KEY", "ENGINE", "MODE", "BUILD_REF",
		       "CREATED");
	for (i = 0; i < rows.n; i++)
		printf("%-32s  %-9s  %-9s  %-12.12s  %s\n", rows.v[i].key, rows.v[i].engine,
		       rows.v[i].mode, rows.v[i].build_ref ? rows.v[i].build_ref : "-",
		       rows.v[i].created_at);
	ep_catalog_engine_rows_release(&rows);
	return EP_EXIT_OK;
}

static int do_show(struct ep_catalog *cat, const char *key, bool json)
{
	struct ep_catalog_engine_row row;
	struct ep_catalog_run_rows runs = {NULL, 0};
	struct ep_error err = EP_ERROR_INIT;
	json_t *o, *arr;
	size_t i;

	if (ep_catalog_get_engine(&row, cat, key, &err) ||
	    ep_catalog_list_runs(&runs, cat, row.key, NULL, SHOW_RUNS, &err)) {
		ep_catalog_engine_row_release(&row);
		return ep_cli_fail(&err);
	}
	if (json) {
		o = engine_json(&row);
		arr = json_array();
		for (i = 0; i < runs.n; i++)
			json_array_append_new(arr, run_json(&runs.v[i]));
		json_object_set_new(o, "runs", arr);
		ep_catalog_engine_row_release(&row);
		ep_catalog_run_rows_release(&runs);
		return print_json(o);
	}
	printf("key:            %s\nengine:         %s\nmode:           %s\n"
	       "engine_version: %s\nbuild_ref:      %s\nengine_digest:  %s\n"
	       "location:       %s\ncreated_at:     %s\ninputs:         %s\nruns:\n",
	       row.key, row.engine, row.mode, row.engine_version,
	       row.build_ref ? row.build_ref : "-", row.engine_digest, row.location, row.created_at,
	       row.inputs_json ? row.inputs_json : "-");
	for (i = 0; i < runs.n; i++)
		printf("  %s  %-20s %-16s %lld ms\n", runs.v[i].started_at, runs.v[i].pool_id,
		       runs.v[i].outcome, (long long)runs.v[i].duration_ms);
	ep_catalog_engine_row_release(&row);
	ep_catalog_run_rows_release(&runs);
	return EP_EXIT_OK;
}

static int do_lock(struct ep_catalog *cat, const struct ep_config *cfg)
{
	struct ep_buf out = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	int rc;

	rc = ep_lockfile_generate(&out, cfg, cat, &err);
	if (rc) {
		ep_buf_release(&out);
		return ep_cli_fail(&err);
	}
	fwrite(out.ptr, 1, out.len, stdout);
	ep_buf_release(&out);
	return EP_EXIT_OK;
}

int ep_cmd_catalog(struct ep_cli *cli, int argc, char **argv)
{
	struct ep_buf state = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_catalog *cat = NULL;
	struct ep_config *cfg = NULL;
	const char *sub, *key = NULL, *config = NULL;
	bool json = false;
	int i, rc;

	if (argc < 2)
		return ep_cli_usage("catalog", "catalog needs a subcommand: list, show or lock");
	sub = argv[1];
	if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "lock"))
		return ep_cli_usage("catalog", "unknown catalog subcommand '%s'", sub);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && strcmp(sub, "lock"))
			json = true;
		else if (!strcmp(argv[i], "--config") && i + 1 < argc && !strcmp(sub, "lock"))
			config = argv[++i];
		else if (!strcmp(sub, "show") && !key && argv[i][0] != '-')
			key = argv[i];
		else
			return ep_cli_usage("catalog", "unknown option '%s' for 'catalog %s'",
					    argv[i], sub);
	}
	if (!strcmp(sub, "show") && !key)
		return ep_cli_usage("catalog", "catalog show needs a KEY");
	if (!strcmp(sub, "lock") && !config)
		return ep_cli_usage("catalog", "catalog lock needs --config FILE");
	if (config && (rc = ep_cli_load_config(&cfg, config)))
		return rc;
	if (ep_state_dir(&state, cli->state_dir, &err) || ep_catalog_open(&cat, state.ptr, &err)) {
		ep_config_free(cfg);
		ep_buf_release(&state);
		return ep_cli_fail(&err);
	}
	if (!strcmp(sub, "list"))
		rc = do_list(cat, json);
	else if (!strcmp(sub, "show"))
		rc = do_show(cat, key, json);
	else
		rc = do_lock(cat, cfg);
	ep_catalog_close(cat);
	ep_config_free(cfg);
	ep_buf_release(&state);
	return rc;
}
