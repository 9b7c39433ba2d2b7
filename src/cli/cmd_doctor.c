/*
 * doctor: a report of what this host offers (OS and package manager, tools
 * with versions, CUDA toolkit, driver, GPUs) and, with --config, whether
 * each pool can be provisioned here. Nothing is installed or built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "ep/cuda.h"
#include "ep/gpu.h"
#include "ep/container.h"
#include "ep/preflight.h"
#include "ep/tools.h"
#include "cli.h"
#include "banned.h"

struct doctor {
	struct ep_distro distro;
	struct ep_tools tools;
	struct ep_cuda_toolkit tk;
	struct ep_error tk_err;
	struct ep_gpu_info gpus;
	struct ep_config *cfg;
	char **verdicts; /* per pool: NULL when it can be provisioned, else why not */
	struct ep_preflight *pf;
	size_t n_bad;
};

/* The tools to report: what the config's pools need, or every known one. */
static int collect_tools(struct doctor *d)
{
	size_t i;
	int rc = 0;

	if (!d->cfg) {
		for (i = 0; ep_tools_known[i] && !rc; i++)
			rc = ep_tools_add(&d->tools, ep_tools_known[i], "the known tools");
	}
	for (i = 0; d->cfg && i < d->cfg->n_pools && !rc; i++) {
		const struct ep_pool *p = &d->cfg->pools[i];

		rc = ep_tools_needed(&d->tools, p, ep_preflight_wants_cuda(p, NULL));
	}
	return rc ? rc : ep_tools_find(&d->tools, NULL, true, NULL);
}

/*
 * A container pool: its container engine usable (asked once per engine) and,
 * for GPUs, the NVIDIA container toolkit.
 */
static int check_container(const struct ep_pool *pool, bool probed[2], struct ep_error *err)
{
	const char *rt =
	    pool->provisioning.has_container ? pool->provisioning.container.runtime : NULL;
	int docker = rt && !strcmp(rt, "docker");
	int rc;

	if (pool->provisioning.mode != EP_MODE_CONTAINER)
		return 0;
	rc = ep_container_preflight(pool, NULL, !probed[docker], NULL, err);
	if (!rc)
		probed[docker] = true;
	return rc;
}

/* Preflight each pool without installing anything; remember why each fails. */
static int check_pools(struct doctor *d)
{
	size_t i, n = d->cfg ? d->cfg->n_pools : 0;
	bool probed[2] = {false, false};

	d->verdicts = calloc(n + 1, sizeof(*d->verdicts));
	d->pf = calloc(n + 1, sizeof(*d->pf));
	if (!d->verdicts || !d->pf)
		return EP_ENOMEM;
	for (i = 0; i < n; i++) {
		struct ep_pool copy = d->cfg->pools[i];
		struct ep_error err = EP_ERROR_INIT;

		copy.provisioning.allow_package_installs = false; /* doctor never installs */
		ep_preflight_init(&d->pf[i]);
		if (ep_preflight_pool(&d->pf[i], &copy, NULL, &err) ||
		    check_container(&copy, probed, &err)) {
			d->verdicts[i] = strdup(err.msg[0] ? err.msg : ep_code_name(err.code));
			d->n_bad++;
		}
	}
	return 0;
}

static void print_text(const struct doctor *d)
{
	char v[16];
	size_t i;

	printf("os: %s (id %s%s%s, package manager %s)\n", d->distro.name,
	       *d->distro.id ? d->distro.id : "unknown", *d->distro.id_like ? ", like " : "",
	       d->distro.id_like, ep_pkgmgr_name(d->distro.pkgmgr));
	printf("tools:\n");
	for (i = 0; i < d->tools.n; i++) {
		const struct ep_tool *t = &d->tools.v[i];

		printf("  %-20s %s%s%s\n", t->spec,
		       t->path ? t->path : (t->optional ? "missing (optional)" : "MISSING"),
		       t->version ? "  " : "", t->version ? t->version : "");
	}
	if (d->tk.root)
		printf("cuda toolkit: %s at %s (found by %s)\n", d->tk.version, d->tk.root,
		       d->tk.found_by);
	else
		printf("cuda toolkit: none (%s)\n", d->tk_err.msg);
	ep_gpu_cuda_version_str(v, sizeof(v), d->gpus.cuda_version);
	if (!d->gpus.driver_loaded)
		printf("driver: none (%s)\n", d->gpus.load_error ? d->gpus.load_error : "");
	else
		printf("driver: %s, supports CUDA %s\n",
		       d->gpus.driver_release ? d->gpus.driver_release : "unknown release", v);
	for (i = 0; i < d->gpus.n_devices; i++) {
		const struct ep_gpu_device *g = &d->gpus.devices[i];

		printf("gpu %d: %s, %llu MiB, compute capability %d.%d\n", g->index, g->name,
		       (unsigned long long)(g->mem_bytes >> 20), g->cc_major, g->cc_minor);
	}
	for (i = 0; d->cfg && i < d->cfg->n_pools; i++) {
		if (d->verdicts[i])
			printf("pool %s: cannot be provisioned here: %s\n", d->cfg->pools[i].id,
			       d->verdicts[i]);
		else
			printf("pool %s: ok%s%s\n", d->cfg->pools[i].id,
			       d->pf[i].cuda_archs ? ", CUDA architectures " : "",
			       d->pf[i].cuda_archs ? d->pf[i].cuda_archs : "");
	}
}

/* A JSON string or null. */
static void json_str(struct ep_buf *b, const char *s)
{
	if (s)
		ep_buf_add_json_str(b, s);
	else
		ep_buf_adds(b, "null");
}

static void print_json(const struct doctor *d)
{
	struct ep_buf b = EP_BUF_INIT;
	size_t i, j;

	ep_buf_adds(&b, "{\"os\":{\"id\":");
	json_str(&b, d->distro.id);
	ep_buf_adds(&b, ",\"id_like\":");
	json_str(&b, d->distro.id_like);
	ep_buf_adds(&b, ",\"name\":");
	json_str(&b, d->distro.name);
	ep_buf_addf(&b, ",\"package_manager\":\"%s\"},\"tools\":[",
		    ep_pkgmgr_name(d->distro.pkgmgr));
	for (i = 0; i < d->tools.n; i++) {
		const struct ep_tool *t = &d->tools.v[i];

		ep_buf_adds(&b, i ? ",{\"spec\":" : "{\"spec\":");
		json_str(&b, t->spec);
		ep_buf_adds(&b, ",\"name\":");
		json_str(&b, t->name);
		ep_buf_adds(&b, ",\"path\":");
		json_str(&b, t->path);
		ep_buf_adds(&b, ",\"version\":");
		json_str(&b, t->version);
		ep_buf_addf(&b, ",\"optional\":%s}", t->optional ? "true" : "false");
	}
	ep_buf_adds(&b, "],\"cuda_toolkit\":");
	if (d->tk.root) {
		ep_buf_adds(&b, "{\"root\":");
		json_str(&b, d->tk.root);
		ep_buf_adds(&b, ",\"nvcc\":");
		json_str(&b, d->tk.nvcc);
		ep_buf_adds(&b, ",\"version\":");
		json_str(&b, d->tk.version);
		ep_buf_adds(&b, ",\"found_by\":");
		json_str(&b, d->tk.found_by);
		ep_buf_adds(&b, "}");
	} else {
		ep_buf_adds(&b, "null");
	}
	ep_buf_adds(&b, ",\"gpu\":");
	ep_gpu_to_json(&b, &d->gpus);
	ep_buf_adds(&b, ",\"pools\":[");
	for (i = 0; d->cfg && i < d->cfg->n_pools; i++) {
		const struct ep_preflight *pf = &d->pf[i];

		ep_buf_adds(&b, i ? ",{\"id\":" : "{\"id\":");
		json_str(&b, d->cfg->pools[i].id);
		ep_buf_addf(&b, ",\"ok\":%s,\"error\":", d->verdicts[i] ? "false" : "true");
		json_str(&b, d->verdicts[i]);
		ep_buf_addf(&b, ",\"cuda\":%s,\"cuda_archs\":", pf->cuda ? "true" : "false");
		json_str(&b, pf->cuda_archs);
		ep_buf_adds(&b, ",\"cmake_extra\":[");
		for (j = 0; j < pf->cmake_extra.n; j++) {
			ep_buf_adds(&b, j ? "," : "");
			json_str(&b, pf->cmake_extra.v[j]);
		}
		ep_buf_adds(&b, "]}");
	}
	ep_buf_addf(&b, "],\"ok\":%s}\n", d->n_bad ? "false" : "true");
	fputs(b.ptr, stdout);
	ep_buf_release(&b);
}

static void doctor_release(struct doctor *d)
{
	size_t i, n = d->cfg ? d->cfg->n_pools : 0;

	for (i = 0; d->verdicts && i < n; i++)
		free(d->verdicts[i]);
	for (i = 0; d->pf && i < n; i++)
		ep_preflight_release(&d->pf[i]);
	free(d->verdicts);
	free(d->pf);
	if (d->cfg)
		ep_config_free(d->cfg);
	ep_distro_release(&d->distro);
	ep_tools_release(&d->tools);
	ep_cuda_toolkit_release(&d->tk);
	ep_gpu_info_release(&d->gpus);
}

int ep_cmd_doctor(struct ep_cli *cli, int argc, char **argv)
{
	struct doctor d;
	struct ep_error err = EP_ERROR_INIT;
	const char *config = NULL;
	bool json = false;
	int i, rc = 0;

	(void)cli;
	for (i = 1; i < argc; i++) {
		const char *v;

		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (ep_cli_value_opt("--config", argc, argv, &i, &v)) {
			if (!v)
				return ep_cli_usage("doctor",
						    "--config needs a file ('-' for stdin)");
			config = v;
		} else {
			return ep_cli_usage("doctor", "unknown argument '%s'", argv[i]);
		}
	}
	memset(&d, 0, sizeof(d));
	ep_tools_init(&d.tools);
	if (config) {
		int status = ep_cli_load_config(&d.cfg, config);

		if (status)
			return status;
	}
	rc = rc ? rc : ep_distro_detect(&d.distro, &err);
	rc = rc ? rc : collect_tools(&d);
	if (!rc && ep_cuda_find_toolkit(&d.tk, NULL, &d.tk_err) == EP_ENOMEM)
		rc = ep_error_set(&err, EP_ENOMEM, "out of memory");
	/* always a fresh probe; stored, so the pool checks below agree with it */
	rc = rc ? rc : ep_gpu_detect(&d.gpus, &err);
	if (!rc)
		(void)ep_gpu_cache_store(&d.gpus);
	rc = rc ? rc : check_pools(&d);
	if (rc) {
		doctor_release(&d);
		return ep_cli_fail(&err);
	}
	if (json)
		print_json(&d);
	else
		print_text(&d);
	rc = d.n_bad ? EP_EXIT_HOST : EP_EXIT_OK;
	doctor_release(&d);
	return rc;
}
