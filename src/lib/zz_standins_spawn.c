/*
 * STAND-INS, to be deleted when the real modules are merged: weak, minimal
 * versions of the config loader (JSON only), ensure (external mode only:
 * the binary from provisioning.external.path, the model from
 * provisioning.model.ref), the PreparedEngine helpers, proof bundles and the
 * provider table, so that up/down/status link and their tests run. Every
 * definition here is __attribute__((weak)); the real ones replace them.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ep/config.h"
#include "ep/ensure.h"
#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/log.h"
#include "ep/prepared.h"
#include "ep/proc.h"
#include "ep/proof.h"
#include "ep/provider.h"
#include "banned.h"

#define WEAK __attribute__((weak))

struct ep_config_arena {
	json_t *root;
	void **allocs;
	size_t n;
};

static void *arena_alloc(struct ep_config_arena *a, size_t size)
{
	void *p = calloc(1, size ? size : 1);
	void **grown;

	if (!p)
		return NULL;
	grown = realloc(a->allocs, (a->n + 1) * sizeof(*a->allocs));
	if (!grown) {
		free(p);
		return NULL;
	}
	a->allocs = grown;
	a->allocs[a->n++] = p;
	return p;
}

WEAK const char *ep_engine_name(enum ep_engine e)
{
	static const char *const n[] = {"llamacpp", "vllm", "tgi", "triton"};

	return (unsigned)e < EP_ENGINE_COUNT ? n[e] : "?";
}

WEAK const char *ep_mode_name(enum ep_mode m)
{
	static const char *const n[] = {"source", "container", "package", "binary", "external"};

	return (unsigned)m < EP_MODE_COUNT ? n[m] : "?";
}

WEAK bool ep_pool_id_is_valid(const char *id)
{
	size_t i;

	if (!id || !id[0] || strlen(id) > 64 ||
	    !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", id[0]))
		return false;
	for (i = 1; id[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    id[i]))
			return false;
	return true;
}

WEAK bool ep_pool_is_cpu(const struct ep_pool *pool)
{
	return pool->n_devices == 0;
}

WEAK const struct ep_provider *ep_provider_for(enum ep_engine engine)
{
	(void)engine;
	return NULL;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* One pool of the JSON document. */
static int load_pool(struct ep_pool *p, json_t *jp, struct ep_config_arena *a)
{
	json_t *pv = json_object_get(jp, "provisioning"), *v;
	struct ep_provisioning *pr = &p->provisioning;
	const char *s, *key;
	size_t i;

	p->id = jstr(jp, "id");
	p->model = jstr(jp, "model");
	s = jstr(jp, "engine");
	if (!p->id || !ep_pool_id_is_valid(p->id))
		return -1;
	p->engine = s && !strcmp(s, "vllm")	? EP_ENGINE_VLLM
		    : s && !strcmp(s, "tgi")	? EP_ENGINE_TGI
		    : s && !strcmp(s, "triton") ? EP_ENGINE_TRITON
						: EP_ENGINE_LLAMACPP;
	v = json_object_get(jp, "devices");
	p->n_devices = json_array_size(v);
	p->devices = arena_alloc(a, p->n_devices * sizeof(*p->devices));
	for (i = 0; p->devices && i < p->n_devices; i++)
		p->devices[i] = (uint32_t)json_integer_value(json_array_get(v, i));
	if (json_is_integer(json_object_get(jp, "ctx"))) {
		p->has_ctx = true;
		p->ctx = (uint32_t)json_integer_value(json_object_get(jp, "ctx"));
	}
	s = jstr(pv, "mode");
	pr->mode = s && !strcmp(s, "source")	  ? EP_MODE_SOURCE
		   : s && !strcmp(s, "binary")	  ? EP_MODE_BINARY
		   : s && !strcmp(s, "package")	  ? EP_MODE_PACKAGE
		   : s && !strcmp(s, "container") ? EP_MODE_CONTAINER
						  : EP_MODE_EXTERNAL;
	pr->external.path = jstr(json_object_get(pv, "external"), "path");
	pr->has_external = pr->external.path != NULL;
	pr->model.ref = jstr(json_object_get(pv, "model"), "ref");
	pr->has_model = pr->model.ref != NULL;
	pr->host = jstr(pv, "host");
	pr->startup_timeout_s =
	    (uint32_t)json_integer_value(json_object_get(pv, "startup_timeout_s"));
	v = json_object_get(pv, "ports");
	pr->n_ports = json_array_size(v);
	pr->ports = arena_alloc(a, pr->n_ports * sizeof(*pr->ports));
	for (i = 0; pr->ports && i < pr->n_ports; i++)
		pr->ports[i] = (uint16_t)json_integer_value(json_array_get(v, i));
	v = json_object_get(pv, "flags");
	pr->flags.n = json_array_size(v);
	pr->flags.v = arena_alloc(a, pr->flags.n * sizeof(*pr->flags.v));
	for (i = 0; pr->flags.v && i < pr->flags.n; i++)
		pr->flags.v[i] = json_string_value(json_array_get(v, i));
	v = json_object_get(pv, "env");
	pr->env = arena_alloc(a, json_object_size(v) * sizeof(*pr->env));
	json_object_foreach(v, key, jp)
	{
		if (!pr->env)
			break;
		pr->env[pr->n_env].key = key;
		pr->env[pr->n_env++].value = json_string_value(jp);
	}
	return p->devices && pr->ports && pr->flags.v && pr->env ? 0 : -1;
}

WEAK void ep_config_free(struct ep_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	if (cfg->arena) {
		for (i = 0; i < cfg->arena->n; i++)
			free(cfg->arena->allocs[i]);
		free(cfg->arena->allocs);
		json_decref(cfg->arena->root);
		free(cfg->arena);
	}
	free(cfg->pools);
	free(cfg);
}

WEAK int ep_config_load(struct ep_config **out, const char *path, struct ep_config_diags *diags,
			struct ep_error *err)
{
	struct ep_config *cfg = calloc(1, sizeof(*cfg));
	json_error_t je;
	json_t *pools;
	size_t i;

	(void)diags;
	*out = NULL;
	if (!cfg || !(cfg->arena = calloc(1, sizeof(*cfg->arena)))) {
		free(cfg);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	cfg->path = path;
	cfg->arena->root = json_load_file(path, 0, &je);
	if (!cfg->arena->root) {
		ep_config_free(cfg);
		return ep_error_set(err, EP_ECONFIG, "%s:%d:%d: %s", path, je.line, je.column,
				    je.text);
	}
	pools = json_object_get(cfg->arena->root, "pools");
	cfg->n_pools = json_array_size(pools);
	cfg->pools = calloc(cfg->n_pools ? cfg->n_pools : 1, sizeof(*cfg->pools));
	for (i = 0; cfg->pools && i < cfg->n_pools; i++) {
		cfg->pools[i].index = i;
		if (load_pool(&cfg->pools[i], json_array_get(pools, i), cfg->arena)) {
			ep_config_free(cfg);
			return ep_error_set(err, EP_ECONFIG, "%s: pools[%zu]: invalid pool", path,
					    i);
		}
	}
	*out = cfg;
	return 0;
}

WEAK const struct ep_pool *ep_config_find_pool(const struct ep_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_pools; i++)
		if (!strcmp(cfg->pools[i].id, id))
			return &cfg->pools[i];
	return NULL;
}

WEAK void ep_prepared_init(struct ep_prepared *p)
{
	memset(p, 0, sizeof(*p));
	ep_strvec_init(&p->flags);
}

WEAK void ep_prepared_release(struct ep_prepared *p)
{
	free(p->pool_id);
	free(p->replica_id);
	free(p->engine_version);
	free(p->build_ref);
	free(p->engine_digest);
	free(p->binary_path);
	free(p->image_ref);
	free(p->store_key);
	free(p->model_path);
	free(p->host);
	free(p->device_mask);
	ep_strvec_release(&p->flags);
	memset(p, 0, sizeof(*p));
	ep_strvec_init(&p->flags);
}

static int jfield(struct ep_buf *b, const char *k, const char *v)
{
	int rc = ep_buf_addf(b, "\"%s\":", k);

	rc = rc ? rc : v ? ep_buf_add_json_str(b, v) : ep_buf_adds(b, "null");
	return rc ? rc : ep_buf_addch(b, ',');
}

WEAK int ep_prepared_to_json(struct ep_buf *out, const struct ep_prepared *p)
{
	size_t i;
	int rc = ep_buf_addch(out, '{');

	rc = rc ? rc : jfield(out, "engine", ep_engine_name(p->engine));
	rc = rc ? rc : jfield(out, "engine_version", p->engine_version);
	rc = rc ? rc : jfield(out, "engine_digest", p->engine_digest);
	rc = rc ? rc : jfield(out, "provisioning_mode", ep_mode_name(p->mode));
	rc = rc ? rc : jfield(out, "binary_path", p->binary_path);
	rc = rc ? rc : jfield(out, "model_path", p->model_path);
	rc = rc ? rc : jfield(out, "host", p->host);
	rc = rc ? rc : ep_buf_addf(out, "\"port\":%u,", (unsigned)p->port);
	rc = rc ? rc : jfield(out, "pool_id", p->pool_id);
	rc = rc ? rc : jfield(out, "replica_id", p->replica_id);
	rc = rc ? rc : jfield(out, "device_mask", p->device_mask);
	rc = rc ? rc : ep_buf_adds(out, "\"flags\":[");
	for (i = 0; !rc && i < p->flags.n; i++) {
		rc = i ? ep_buf_addch(out, ',') : 0;
		rc = rc ? rc : ep_buf_add_json_str(out, p->flags.v[i]);
	}
	return rc ? rc : ep_buf_adds(out, "]}");
}

WEAK int ep_ensure_pool(struct ep_prepared *out, const struct ep_config *cfg,
			const struct ep_pool *pool, const struct ep_ensure_opts *opts,
			struct ep_error *err)
{
	const struct ep_provisioning *pr = &pool->provisioning;
	const char *model = pr->model.ref ? pr->model.ref : pool->model;
	struct ep_buf b = EP_BUF_INIT, path = EP_BUF_INIT;
	char digest[EP_DIGEST_LEN];
	size_t i;
	int rc;

	(void)cfg;
	ep_prepared_init(out);
	if (pr->mode != EP_MODE_EXTERNAL || !pr->external.path)
		return ep_error_set(err, EP_ECONFIG,
				    "pool '%s': only external mode with external.path is available "
				    "in this build",
				    pool->id);
	if (ep_proc_which(&b, pr->external.path, NULL) || ep_fs_absolute(&path, b.ptr)) {
		ep_buf_release(&b);
		return ep_error_set(err, EP_ENOTFOUND, "engine binary '%s' not found",
				    pr->external.path);
	}
	out->binary_path = ep_buf_detach(&path, NULL);
	if (model && !ep_fs_absolute(&b, model))
		out->model_path = strdup(b.ptr);
	ep_buf_reset(&b);
	rc = ep_sha256_file(digest, out->binary_path, err);
	if (rc)
		return rc;
	out->engine_digest = strdup(digest);
	out->pool_id = strdup(pool->id);
	out->replica_id = strdup(opts && opts->replica_id ? opts->replica_id : "r0");
	out->engine = pool->engine;
	out->mode = pr->mode;
	out->host = strdup(pr->host ? pr->host : "127.0.0.1");
	out->port = pr->n_ports ? pr->ports[0] : 0;
	for (i = 0; i < pool->n_devices; i++)
		ep_buf_addf(&b, "%s%u", i ? "," : "", (unsigned)pool->devices[i]);
	out->device_mask = ep_buf_detach(&b, NULL);
	for (i = 0; i < pr->flags.n; i++)
		ep_strvec_push(&out->flags, pr->flags.v[i]);
	if (pool->engine == EP_ENGINE_LLAMACPP && ep_pool_is_cpu(pool) &&
	    ep_strvec_find(&out->flags, "--n-gpu-layers") < 0) {
		ep_strvec_push(&out->flags, "--n-gpu-layers");
		ep_strvec_push(&out->flags, "0");
	}
	return 0;
}

struct ep_proof {
	char *dir;
};

WEAK int ep_proof_open(struct ep_proof **out, const char *state_dir, const char *pool_id,
		       struct ep_error *err)
{
	struct ep_buf d = EP_BUF_INIT;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	*out = NULL;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	ep_buf_addf(&d, "%s/proofs/%s/%s-%d", state_dir, pool_id, ts, (int)getpid());
	rc = ep_fs_mkdirs(d.ptr, 0755, err);
	if (!rc && !(*out = calloc(1, sizeof(**out))))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (rc) {
		ep_buf_release(&d);
		return rc;
	}
	(*out)->dir = ep_buf_detach(&d, NULL);
	return 0;
}

WEAK int ep_proof_write(struct ep_proof *pf, const char *name, const char *text,
			struct ep_error *err)
{
	struct ep_buf red = EP_BUF_INIT, path = EP_BUF_INIT;
	int rc;

	ep_redact(&red, text);
	ep_buf_addf(&path, "%s/%s", pf->dir, name);
	rc = ep_fs_write_atomic(path.ptr, red.ptr, red.len, 0644, err);
	ep_buf_release(&red);
	ep_buf_release(&path);
	return rc;
}

WEAK const char *ep_proof_dir(const struct ep_proof *pf)
{
	return pf->dir;
}

WEAK void ep_proof_close(struct ep_proof *pf)
{
	if (!pf)
		return;
	free(pf->dir);
	free(pf);
}
