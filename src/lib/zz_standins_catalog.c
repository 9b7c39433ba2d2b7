/*
 * STAND-INS, to be deleted when the config module is merged: weak versions
 * of the config functions the catalog, lock and gc commands call, so this
 * branch builds and its tests run on their own. The loader reads JSON only
 * and only the keys those commands use; the real ep_config_load replaces
 * all of this (a strong definition wins over a weak one).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ep/config.h"
#include "banned.h"

#define WEAK __attribute__((weak))

struct ep_config_arena {
	json_t *root;
};

static const char *const engine_names[] = {"llamacpp", "vllm", "tgi", "triton"};
static const char *const mode_names[] = {"source", "container", "package", "binary", "external"};

WEAK const char *ep_engine_name(enum ep_engine e)
{
	return (unsigned)e < EP_ENGINE_COUNT ? engine_names[e] : "unknown";
}

WEAK const char *ep_mode_name(enum ep_mode m)
{
	return (unsigned)m < EP_MODE_COUNT ? mode_names[m] : "unknown";
}

/* The string at o[k1][k2]... (NULL-terminated keys), or NULL. */
static const char *str_at(json_t *o, const char *k1, const char *k2, const char *k3)
{
	json_t *v = json_object_get(o, k1);

	if (k2)
		v = json_object_get(v, k2);
	if (k3)
		v = json_object_get(v, k3);
	return json_string_value(v);
}

static int pick(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* Fill one pool from its JSON object; -1 when a required key is missing or bad. */
static int load_pool(struct ep_pool *p, json_t *o)
{
	json_t *pv = json_object_get(o, "provisioning");
	int engine = pick(engine_names, EP_ENGINE_COUNT, str_at(o, "engine", NULL, NULL));
	int mode = pick(mode_names, EP_MODE_COUNT, str_at(pv, "mode", NULL, NULL));
	struct ep_provisioning *v = &p->provisioning;

	p->id = str_at(o, "id", NULL, NULL);
	p->model = str_at(o, "model", NULL, NULL);
	if (!p->id || engine < 0 || mode < 0)
		return -1;
	p->engine = (enum ep_engine)engine;
	v->mode = (enum ep_mode)mode;
	v->source.repo = str_at(pv, "source", "repo", NULL);
	v->source.ref = str_at(pv, "source", "ref", NULL);
	v->source.cache_dir = str_at(pv, "source", "build", "cache_dir");
	v->has_source = json_object_get(pv, "source") != NULL;
	v->container.image = str_at(pv, "container", "image", NULL);
	v->container.tag = str_at(pv, "container", "tag", NULL);
	v->has_container = json_object_get(pv, "container") != NULL;
	v->binary.url = str_at(pv, "binary", "url", NULL);
	v->binary.checksum = str_at(pv, "binary", "checksum", NULL);
	v->has_binary = json_object_get(pv, "binary") != NULL;
	v->model.ref = str_at(pv, "model", "ref", NULL);
	v->model.cache_dir = str_at(pv, "model", "cache_dir", NULL);
	v->model.checksum = str_at(pv, "model", "checksum", NULL);
	v->has_model = json_object_get(pv, "model") != NULL;
	return 0;
}

WEAK void ep_config_free(struct ep_config *cfg)
{
	if (!cfg)
		return;
	if (cfg->arena)
		json_decref(cfg->arena->root);
	free(cfg->arena);
	free(cfg->pools);
	free(cfg);
}

WEAK int ep_config_load(struct ep_config **out, const char *path, struct ep_config_diags *diags,
			struct ep_error *err)
{
	struct ep_config *cfg = calloc(1, sizeof(*cfg));
	json_error_t jerr;
	json_t *pools;
	size_t i;

	(void)diags;
	*out = NULL;
	if (!cfg || !(cfg->arena = calloc(1, sizeof(*cfg->arena)))) {
		free(cfg);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	cfg->path = path;
	cfg->arena->root = json_load_file(path, 0, &jerr);
	pools = json_object_get(cfg->arena->root, "pools");
	if (!json_is_array(pools)) {
		ep_config_free(cfg);
		return ep_error_set(err, EP_ECONFIG, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				    jerr.text[0] ? jerr.text : "pools: expected a list");
	}
	cfg->n_pools = json_array_size(pools);
	cfg->pools = calloc(cfg->n_pools ? cfg->n_pools : 1, sizeof(*cfg->pools));
	for (i = 0; cfg->pools && i < cfg->n_pools; i++) {
		cfg->pools[i].index = i;
		if (load_pool(&cfg->pools[i], json_array_get(pools, i))) {
			ep_config_free(cfg);
			return ep_error_set(err, EP_ECONFIG,
					    "%s: pools[%zu]: id, engine or mode invalid", path, i);
		}
	}
	if (!cfg->pools) {
		ep_config_free(cfg);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	*out = cfg;
	return 0;
}
