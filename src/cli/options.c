/*
 * What several commands share: loading the config with its diagnostics, and
 * choosing the pools a command acts on (--pool ID, --all).
 */
#include <stdio.h>
#include <string.h>

#include "ep/config.h"
#include "cli.h"
#include "banned.h"

int ep_cli_load_config(struct ep_config **out, const char *path)
{
	struct ep_config_diags diags = EP_CONFIG_DIAGS_INIT;
	struct ep_error err = EP_ERROR_INIT;
	int rc = ep_config_load(out, path, &diags, &err);

	if (rc) {
		if (diags.n) {
			struct ep_buf b = EP_BUF_INIT;

			ep_config_diags_format(&b, path, &diags);
			fputs(b.ptr, stderr);
			if (b.len && b.ptr[b.len - 1] != '\n')
				fputc('\n', stderr);
			fprintf(stderr,
				"engine-provisioner: error: '%s' is not a valid config (%zu %s)\n",
				path, diags.n, diags.n == 1 ? "problem" : "problems");
			ep_buf_release(&b);
			ep_config_diags_release(&diags);
			return EP_EXIT_CONFIG;
		}
		ep_config_diags_release(&diags);
		return ep_cli_fail(&err);
	}
	ep_config_diags_release(&diags);
	return EP_EXIT_OK;
}

int ep_cli_check_pool(const struct ep_config *cfg, const char *pool_id)
{
	size_t i;

	if (!pool_id || ep_config_find_pool(cfg, pool_id))
		return EP_EXIT_OK;
	fprintf(stderr, "engine-provisioner: error: no pool '%s' in '%s'; its pools:", pool_id,
		cfg->path);
	for (i = 0; i < cfg->n_pools; i++)
		fprintf(stderr, " %s", cfg->pools[i].id);
	fputc('\n', stderr);
	return EP_EXIT_USAGE;
}

bool ep_cli_pool_selected(const struct ep_pool *pool, const char *pool_id)
{
	return !pool_id || !strcmp(pool->id, pool_id);
}

bool ep_cli_value_opt(const char *name, int argc, char **argv, int *i, const char **value)
{
	size_t len = strlen(name);
	const char *a = argv[*i];

	if (!strncmp(a, name, len) && a[len] == '=') {
		*value = a + len + 1;
		return true;
	}
	if (strcmp(a, name))
		return false;
	if (*i + 1 >= argc) {
		*value = NULL;
		return true;
	}
	*value = argv[++*i];
	return true;
}
