/*
 * TEMPORARY STAND-INS (weak symbols) for modules written elsewhere: the
 * config loader, plan, flags, preflight, provider table, model resolution,
 * catalog, proof bundles and the non-source ensure modes. They exist only
 * so that this branch links and its tests run; the real implementations
 * (strong symbols) replace every one of them, and this file is deleted
 * when they are merged. Each is the least that is honest: the config
 * loader reads just the keys the source tests use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "ep/catalog.h"
#include "ep/config.h"
#include "ep/flags.h"
#include "ep/fs.h"
#include "ep/log.h"
#include "ep/model.h"
#include "ep/plan.h"
#include "ep/preflight.h"
#include "ep/proc.h"
#include "ep/proof.h"
#include "ep/provider.h"
#include "ensure_modes.h"
#include "banned.h"

#define WEAK __attribute__((weak))

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

WEAK bool ep_pool_is_cpu(const struct ep_pool *pool)
{
	return pool->n_devices == 0;
}

WEAK const struct ep_pool *ep_config_find_pool(const struct ep_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_pools; i++)
		if (!strcmp(cfg->pools[i].id, id))
			return &cfg->pools[i];
	return NULL;
}

/* ---- config: a minimal YAML reader for the keys the source tests use ---- */

struct ep_config_arena {
	void **p;
	size_t n, alloc;
};

static void *arena_keep(struct ep_config_arena *a, void *p)
{
	if (!p)
		return NULL;
	if (a->n == a->alloc) {
		size_t n = a->alloc ? a->alloc * 2 : 64;
		void **v = realloc(a->p, n * sizeof(*v));

		if (!v) {
			free(p);
			return NULL;
		}
		a->p = v;
		a->alloc = n;
	}
	a->p[a->n++] = p;
	return p;
}

struct ydoc {
	yaml_document_t doc;
	struct ep_config_arena *a;
};

static yaml_node_t *ynode(struct ydoc *y, int i)
{
	return i ? yaml_document_get_node(&y->doc, i) : NULL;
}

static yaml_node_t *yget(struct ydoc *y, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ynode(y, p->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return ynode(y, p->value);
	}
	return NULL;
}

static const char *ystr(struct ydoc *y, yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return arena_keep(y->a, strdup((char *)n->data.scalar.value));
}

static size_t yseq_len(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		   ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
		   : 0;
}

static yaml_node_t *yseq_at(struct ydoc *y, yaml_node_t *n, size_t i)
{
	return ynode(y, n->data.sequence.items.start[i]);
}

static struct ep_strlist ylist(struct ydoc *y, yaml_node_t *n)
{
	struct ep_strlist l = {NULL, yseq_len(n)};
	size_t i;

	if (l.n)
		l.v = arena_keep(y->a, calloc(l.n, sizeof(*l.v)));
	for (i = 0; l.v && i < l.n; i++)
		l.v[i] = ystr(y, yseq_at(y, n, i));
	return l;
}

static int read_pool(struct ep_pool *p, struct ydoc *y, yaml_node_t *n)
{
	yaml_node_t *pv = yget(y, n, "provisioning"), *src = yget(y, pv, "source"),
		    *b = yget(y, src, "build"), *m = yget(y, pv, "model"),
		    *d = yget(y, n, "devices"), *ports = yget(y, pv, "ports");
	const char *s;
	size_t i;

	p->id = ystr(y, yget(y, n, "id"));
	p->model = ystr(y, yget(y, n, "model"));
	s = ystr(y, yget(y, n, "engine"));
	if (!p->id || (s && ep_engine_parse(&p->engine, s)))
		return -1;
	if ((s = ystr(y, yget(y, n, "ctx")))) {
		p->has_ctx = true;
		p->ctx = (uint32_t)strtoul(s, NULL, 10);
	}
	p->n_devices = yseq_len(d);
	if (p->n_devices)
		p->devices = arena_keep(y->a, calloc(p->n_devices, sizeof(*p->devices)));
	for (i = 0; p->devices && i < p->n_devices; i++)
		p->devices[i] = (uint32_t)strtoul(ystr(y, yseq_at(y, d, i)), NULL, 10);
	s = ystr(y, yget(y, pv, "mode"));
	if (s && ep_mode_parse(&p->provisioning.mode, s))
		return -1;
	p->provisioning.has_source = src != NULL;
	p->provisioning.source.repo = ystr(y, yget(y, src, "repo"));
	p->provisioning.source.ref = ystr(y, yget(y, src, "ref"));
	s = ystr(y, yget(y, src, "submodules"));
	p->provisioning.source.submodules = s && !strcmp(s, "true");
	p->provisioning.source.cmake_flags = ylist(y, yget(y, b, "cmake_flags"));
	p->provisioning.source.generator = ystr(y, yget(y, b, "generator"));
	p->provisioning.source.cache_dir = ystr(y, yget(y, b, "cache_dir"));
	p->provisioning.has_model = m != NULL;
	p->provisioning.model.ref = ystr(y, yget(y, m, "ref"));
	p->provisioning.model.cache_dir = ystr(y, yget(y, m, "cache_dir"));
	p->provisioning.flags = ylist(y, yget(y, pv, "flags"));
	p->provisioning.host = ystr(y, yget(y, pv, "host"));
	p->provisioning.n_ports = yseq_len(ports);
	if (p->provisioning.n_ports)
		p->provisioning.ports =
		    arena_keep(y->a, calloc(p->provisioning.n_ports, sizeof(uint16_t)));
	for (i = 0; p->provisioning.ports && i < p->provisioning.n_ports; i++)
		p->provisioning.ports[i] =
		    (uint16_t)strtoul(ystr(y, yseq_at(y, ports, i)), NULL, 10);
	return 0;
}

WEAK int ep_engine_parse(enum ep_engine *out, const char *s)
{
	int i;

	for (i = 0; i < EP_ENGINE_COUNT; i++)
		if (!strcmp(s, engine_names[i])) {
			*out = (enum ep_engine)i;
			return 0;
		}
	return EP_ENOTFOUND;
}

WEAK int ep_mode_parse(enum ep_mode *out, const char *s)
{
	int i;

	for (i = 0; i < EP_MODE_COUNT; i++)
		if (!strcmp(s, mode_names[i])) {
			*out = (enum ep_mode)i;
			return 0;
		}
	return EP_ENOTFOUND;
}

WEAK void ep_config_free(struct ep_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; cfg->arena && i < cfg->arena->n; i++)
		free(cfg->arena->p[i]);
	if (cfg->arena)
		free(cfg->arena->p);
	free(cfg->arena);
	free(cfg);
}

WEAK int ep_config_load(struct ep_config **out, const char *path, struct ep_config_diags *diags,
			struct ep_error *err)
{
	yaml_parser_t parser;
	struct ydoc y;
	struct ep_config *cfg;
	yaml_node_t *pools;
	FILE *f;
	size_t i;
	int rc = 0;

	(void)diags;
	*out = NULL;
	f = fopen(path, "rbe");
	if (!f)
		return ep_error_sys(err, errno == ENOENT ? EP_ENOTFOUND : EP_EIO,
				    "cannot read '%s'", path);
	cfg = calloc(1, sizeof(*cfg));
	y.a = calloc(1, sizeof(*y.a));
	if (!cfg || !y.a) {
		fclose(f);
		free(cfg);
		free(y.a);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	cfg->arena = y.a;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &y.doc)) {
		rc = ep_error_set(err, EP_ECONFIG, "%s: not valid YAML", path);
		yaml_parser_delete(&parser);
		fclose(f);
		ep_config_free(cfg);
		return rc;
	}
	pools = yget(&y, yaml_document_get_root_node(&y.doc), "pools");
	cfg->path = arena_keep(y.a, strdup(path));
	cfg->n_pools = yseq_len(pools);
	cfg->pools = arena_keep(y.a, calloc(cfg->n_pools + 1, sizeof(*cfg->pools)));
	for (i = 0; !rc && i < cfg->n_pools; i++) {
		cfg->pools[i].index = i;
		if (read_pool(&cfg->pools[i], &y, yseq_at(&y, pools, i)))
			rc = ep_error_set(err, EP_ECONFIG, "%s: pools[%zu] is not valid", path, i);
	}
	if (!rc && !cfg->n_pools)
		rc = ep_error_set(err, EP_ECONFIG, "%s: no pools", path);
	yaml_document_delete(&y.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc)
		ep_config_free(cfg);
	else
		*out = cfg;
	return rc;
}

/* ---- flags and plan: flags as given, plus what every llama.cpp build gets ---- */

WEAK int ep_flags_normalize_cmake(struct ep_strvec *out, const struct ep_strlist *flags, bool gpu,
				  bool *mapped_deprecated, struct ep_strvec *warnings,
				  struct ep_error *err)
{
	size_t i;

	(void)gpu;
	(void)warnings;
	(void)err;
	*mapped_deprecated = false;
	for (i = 0; i < flags->n; i++) {
		if (!strncmp(flags->v[i], "-DLLAMA_CUBLAS", 14) ||
		    !strncmp(flags->v[i], "-DLLAMA_CUDA=", 13)) {
			*mapped_deprecated = true;
			ep_strvec_push(out, "-DGGML_CUDA=ON");
		} else {
			ep_strvec_push(out, flags->v[i]);
		}
	}
	ep_strvec_push(out, "-DCMAKE_BUILD_TYPE=Release");
	ep_strvec_push(out, "-DLLAMA_BUILD_SERVER=ON");
	return 0;
}

WEAK bool ep_flags_cmake_cuda(const struct ep_strvec *cmake)
{
	return ep_strvec_find(cmake, "-DGGML_CUDA=ON") >= 0;
}

WEAK int ep_plan_build(struct ep_plan *out, const struct ep_pool *pool, struct ep_error *err)
{
	static const char *const kinds[] = {
	    "preflight-tools", "git-clone", "cmake-configure", "cmake-build", "install",
	    "model-fetch",     "run"};
	bool mapped;
	size_t i;

	memset(out, 0, sizeof(*out));
	ep_strvec_init(&out->runtime_flags);
	ep_strvec_init(&out->cmake_flags);
	ep_strvec_init(&out->warnings);
	out->pool_id = strdup(pool->id);
	out->engine = pool->engine;
	out->mode = pool->provisioning.mode;
	for (i = 0; i < pool->provisioning.flags.n; i++)
		ep_strvec_push(&out->runtime_flags, pool->provisioning.flags.v[i]);
	if (out->mode == EP_MODE_SOURCE)
		ep_flags_normalize_cmake(&out->cmake_flags, &pool->provisioning.source.cmake_flags,
					 pool->n_devices > 0, &mapped, NULL, err);
	out->steps = calloc(7, sizeof(*out->steps));
	if (!out->steps || !out->pool_id)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	for (i = 0; i < 7; i++) {
		out->steps[i].kind = strdup(kinds[i]);
		out->steps[i].detail = strdup("");
	}
	out->n_steps = 7;
	return 0;
}

WEAK void ep_plan_release(struct ep_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->n_steps; i++) {
		free(plan->steps[i].kind);
		free(plan->steps[i].detail);
	}
	free(plan->steps);
	free(plan->pool_id);
	ep_strvec_release(&plan->runtime_flags);
	ep_strvec_release(&plan->cmake_flags);
	ep_strvec_release(&plan->warnings);
	memset(plan, 0, sizeof(*plan));
}

WEAK int ep_plan_to_json(struct ep_buf *out, const struct ep_plan *plan)
{
	size_t i;

	ep_buf_adds(out, "{\"pool_id\":");
	ep_buf_add_json_str(out, plan->pool_id);
	ep_buf_adds(out, ",\"steps\":[");
	for (i = 0; i < plan->n_steps; i++) {
		ep_buf_adds(out, i ? ",{\"kind\":" : "{\"kind\":");
		ep_buf_add_json_str(out, plan->steps[i].kind);
		ep_buf_adds(out, "}");
	}
	return ep_buf_adds(out, "]}\n");
}

/* ---- preflight: the tools a CPU source build needs, found on PATH (no GPU checks) ---- */

WEAK void ep_preflight_init(struct ep_preflight *pf)
{
	memset(pf, 0, sizeof(*pf));
	ep_strvec_init(&pf->cmake_extra);
}

WEAK void ep_preflight_release(struct ep_preflight *pf)
{
	free(pf->cuda_archs);
	free(pf->cuda_root);
	free(pf->nvcc);
	free(pf->cuda_version);
	free(pf->driver_version);
	free(pf->cc_id);
	free(pf->cxx_id);
	free(pf->generator);
	free(pf->findings);
	ep_strvec_release(&pf->cmake_extra);
	ep_preflight_init(pf);
}

/* The resolved compiler path stands for its identity here (no process is run). */
static char *tool_id(const char *name)
{
	struct ep_buf b = EP_BUF_INIT;
	char *real;

	if (ep_proc_which(&b, name, NULL)) {
		ep_buf_release(&b);
		return NULL;
	}
	real = realpath(b.ptr, NULL);
	ep_buf_release(&b);
	return real;
}

WEAK int ep_preflight_pool(struct ep_preflight *out, const struct ep_pool *pool,
			   const struct ep_strvec *cmake_flags, struct ep_error *err)
{
	struct ep_buf b = EP_BUF_INIT;
	char *cmake, *git;

	if (!cmake_flags)
		return 0;
	if (pool->n_devices)
		return ep_error_set(err, EP_EGPU, "pool '%s': GPU checks are not in this build",
				    pool->id);
	out->cc_id = tool_id("cc");
	out->cxx_id = tool_id("c++");
	cmake = tool_id("cmake");
	git = tool_id("git");
	out->generator = strdup(ep_proc_which(&b, "ninja", NULL) ? "Unix Makefiles" : "Ninja");
	ep_buf_release(&b);
	if (!out->cc_id || !out->cxx_id || !cmake || !git) {
		free(cmake);
		free(git);
		return ep_error_set(err, EP_EPREFLIGHT,
				    "missing tools: need git, cmake, cc and c++");
	}
	free(cmake);
	free(git);
	ep_buf_addf(&b, "cc: %s\nc++: %s\ngenerator: %s\n", out->cc_id, out->cxx_id,
		    out->generator);
	out->findings = ep_buf_detach(&b, NULL);
	return 0;
}

/* ---- provider: the llama.cpp facts ensure needs ---- */

WEAK const struct ep_provider *ep_provider_for(enum ep_engine engine)
{
	static const struct ep_flag_spec none[] = {{NULL, NULL, false, false, false, NULL}};
	static struct ep_provider llama;

	if (engine != EP_ENGINE_LLAMACPP)
		return NULL;
	llama.engine = EP_ENGINE_LLAMACPP;
	llama.name = "llamacpp";
	llama.binary_name = "llama-server";
	llama.flags = none;
	llama.default_port = 8080;
	return &llama;
}

/* ---- model: local paths only ---- */

WEAK const char *ep_model_ref(const struct ep_pool *pool)
{
	return pool->provisioning.model.ref ? pool->provisioning.model.ref : pool->model;
}

WEAK int ep_model_resolve(struct ep_buf *path_out, const struct ep_pool *pool,
			  const char *state_dir, bool offline, struct ep_error *err)
{
	const char *ref = ep_model_ref(pool);
	const char *base = pool->provisioning.model.cache_dir;

	(void)offline;
	ep_buf_reset(path_out);
	if (!ref)
		return 0;
	if (ref[0] == '/')
		ep_buf_adds(path_out, ref);
	else
		ep_buf_addf(path_out, "%s/%s", base ? base : state_dir, ref);
	if (!ep_fs_exists(path_out->ptr))
		return ep_error_set(err, EP_ENOTFOUND, "model '%s' not found", path_out->ptr);
	return 0;
}

/* ---- catalog: none in this build ---- */

WEAK int ep_catalog_open(struct ep_catalog **out, const char *state_dir, struct ep_error *err)
{
	(void)state_dir;
	(void)err;
	*out = NULL;
	return 0;
}

WEAK void ep_catalog_close(struct ep_catalog *cat)
{
	(void)cat;
}

WEAK int ep_catalog_put_engine(struct ep_catalog *cat, const struct ep_catalog_engine *e,
			       struct ep_error *err)
{
	(void)cat;
	(void)e;
	(void)err;
	return 0;
}

WEAK int ep_catalog_record_run(struct ep_catalog *cat, const struct ep_catalog_run *r,
			       struct ep_error *err)
{
	(void)cat;
	(void)r;
	(void)err;
	return 0;
}

/* ---- proof bundles: plain files under <state>/proofs/<pool>/<time>-<pid>/ ---- */

struct ep_proof {
	char *dir;
};

WEAK int ep_proof_open(struct ep_proof **out, const char *state_dir, const char *pool_id,
		       struct ep_error *err)
{
	struct ep_buf dir = EP_BUF_INIT;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	*out = NULL;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	ep_buf_addf(&dir, "%s/proofs/%s/%s-%ld", state_dir, pool_id, when, (long)getpid());
	rc = ep_fs_mkdirs(dir.ptr, 0755, err);
	if (!rc) {
		*out = calloc(1, sizeof(**out));
		if (!*out)
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		else
			(*out)->dir = ep_buf_detach(&dir, NULL);
	}
	ep_buf_release(&dir);
	return rc;
}

WEAK int ep_proof_write(struct ep_proof *pf, const char *name, const char *text,
			struct ep_error *err)
{
	struct ep_buf path = EP_BUF_INIT, red = EP_BUF_INIT;
	int rc, fd;

	ep_buf_addf(&path, "%s/%s", pf->dir, name);
	ep_redact(&red, text);
	/* a record, not a store entry: no fsync (a no-op ensure must stay cheap) */
	fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	rc = fd < 0 || write(fd, red.ptr, red.len) != (ssize_t)red.len
		 ? ep_error_sys(err, EP_EIO, "cannot write '%s'", path.ptr)
		 : 0;
	if (fd >= 0)
		close(fd);
	ep_buf_release(&path);
	ep_buf_release(&red);
	return rc;
}

WEAK int ep_proof_copy(struct ep_proof *pf, const char *name, const char *src, struct ep_error *err)
{
	struct ep_buf text = EP_BUF_INIT;
	int rc = ep_buf_read_file(&text, src, err);

	rc = rc ? rc : ep_proof_write(pf, name, text.ptr, err);
	ep_buf_release(&text);
	return rc;
}

WEAK const char *ep_proof_dir(const struct ep_proof *pf)
{
	return pf->dir;
}

WEAK void ep_proof_close(struct ep_proof *pf)
{
	if (pf)
		free(pf->dir);
	free(pf);
}

/* ---- the other modes: not in this build ---- */

static int not_here(struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	return ep_error_set(err, EP_EPOLICY,
			    "pool '%s': provisioning mode '%s' is not implemented "
			    "in this build",
			    ctx->pool->id, ep_mode_name(ctx->pool->provisioning.mode));
}

WEAK int ep_binary__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	(void)out;
	return not_here(ctx, err);
}

WEAK int ep_external__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx,
			     struct ep_error *err)
{
	(void)out;
	return not_here(ctx, err);
}

WEAK int ep_package__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx,
			    struct ep_error *err)
{
	(void)out;
	return not_here(ctx, err);
}

WEAK int ep_container__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx,
			      struct ep_error *err)
{
	(void)out;
	return not_here(ctx, err);
}
