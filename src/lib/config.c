/*
 * Loading a pool config: read the text (a file or stdin, at most
 * EP_CONFIG_MAX_BYTES), build the node tree, walk the schema into the
 * structs of ep/config.h, and report every problem found in one go.
 * Everything the config points at lives in one arena.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"
#include "banned.h"

static const char *const engines[EP_ENGINE_COUNT] = {"llamacpp", "vllm", "tgi", "triton"};
static const char *const modes[EP_MODE_COUNT] = {"source", "container", "package", "binary",
						 "external"};

const char *ep_engine_name(enum ep_engine e)
{
	return (unsigned)e < EP_ENGINE_COUNT ? engines[e] : "unknown";
}

const char *ep_mode_name(enum ep_mode m)
{
	return (unsigned)m < EP_MODE_COUNT ? modes[m] : "unknown";
}

int ep_engine_parse(enum ep_engine *out, const char *s)
{
	int i;

	for (i = 0; i < EP_ENGINE_COUNT; i++)
		if (s && !strcmp(s, engines[i])) {
			*out = (enum ep_engine)i;
			return 0;
		}
	return EP_ENOTFOUND;
}

int ep_mode_parse(enum ep_mode *out, const char *s)
{
	int i;

	for (i = 0; i < EP_MODE_COUNT; i++)
		if (s && !strcmp(s, modes[i])) {
			*out = (enum ep_mode)i;
			return 0;
		}
	return EP_ENOTFOUND;
}

bool ep_pool_id_is_valid(const char *id)
{
	static const char tail[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	size_t len;

	if (!id || !id[0] || !strchr(tail, id[0]) || strchr("._-", id[0]))
		return false;
	len = strlen(id);
	return len <= 64 && strspn(id, tail) == len;
}

bool ep_pool_is_cpu(const struct ep_pool *pool)
{
	return pool->n_devices == 0;
}

const struct ep_pool *ep_config_find_pool(const struct ep_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; cfg && id && i < cfg->n_pools; i++)
		if (cfg->pools[i].id && !strcmp(cfg->pools[i].id, id))
			return &cfg->pools[i];
	return NULL;
}

void ep_config_free(struct ep_config *cfg)
{
	if (cfg)
		ep_config_arena__free(cfg->arena);
}

/* Pools by id, then by position in the file. */
static int pool_id_cmp(const void *pa, const void *pb)
{
	const struct ep_pool *a = *(const struct ep_pool *const *)pa;
	const struct ep_pool *b = *(const struct ep_pool *const *)pb;
	int r = strcmp(a->id, b->id);

	if (r)
		return r;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Pool ids name files and directories: each must be unique. */
static void check_unique_ids(struct ep_config_ctx *c, struct ep_config *cfg,
			     const struct ep_cnode *list)
{
	const struct ep_pool **v = malloc((cfg->n_pools + 1) * sizeof(*v));
	size_t i, n = 0, first = 0;

	if (!v) {
		c->nomem = true;
		return;
	}
	for (i = 0; i < cfg->n_pools; i++)
		if (cfg->pools[i].id)
			v[n++] = &cfg->pools[i];
	qsort(v, n, sizeof(*v), pool_id_cmp);
	for (i = 1; i < n; i++) {
		const struct ep_cnode *idn;
		size_t mark;

		if (strcmp(v[i]->id, v[i - 1]->id)) {
			first = i;
			continue;
		}
		idn = ep_config__field(list->u.items[v[i]->index], "id");
		mark = ep_config__push_index(c, v[i]->index);
		ep_config__push_key(c, "id");
		ep_config__diag(c, idn->pos,
				"duplicate pool id '%s' (first used by pools[%zu] at line %u); "
				"pool ids must be unique",
				v[i]->id, v[first]->index,
				ep_config__field(list->u.items[v[first]->index], "id")->pos.line);
		ep_config__pop(c, mark);
	}
	free(v);
}

/* `pools`: a non-empty list of pools, each walked, then the ids checked for repeats. */
static void walk_pools(struct ep_config_ctx *c, const struct ep_cnode *root, struct ep_config *cfg)
{
	const struct ep_cnode *list;
	size_t mark, i;

	if (!ep_config__field(root, "pools")) {
		ep_config__missing(c, root, "pools",
				   "a list of pools, each with 'id', 'engine', "
				   "'devices' and 'provisioning'");
		return;
	}
	list = ep_config__list(c, root, "pools");
	if (!list)
		return;
	mark = ep_config__push_key(c, "pools");
	if (!list->n)
		ep_config__diag(c, list->pos, "no pools; at least one pool is required");
	else if (list->n > EP_CONFIG_MAX_POOLS)
		ep_config__diag(c, list->pos, "%u pools; at most %u are allowed", (unsigned)list->n,
				(unsigned)EP_CONFIG_MAX_POOLS);
	if (list->n && list->n <= EP_CONFIG_MAX_POOLS) {
		cfg->pools = ep_config_arena__alloc(c->arena, list->n * sizeof(*cfg->pools));
		if (!cfg->pools) {
			c->nomem = true;
			ep_config__pop(c, mark);
			return;
		}
		cfg->n_pools = list->n;
		for (i = 0; i < list->n; i++) {
			size_t m = ep_config__push_index(c, i);

			cfg->pools[i].index = i;
			ep_config_pool__walk(c, list->u.items[i], &cfg->pools[i]);
			ep_config__pop(c, m);
		}
		check_unique_ids(c, cfg, list);
	}
	ep_config__pop(c, mark);
}

/* `catalog.trust_policy`: what the catalog accepts (registries, signatures, SBOMs). */
static void walk_catalog(struct ep_config_ctx *c, const struct ep_cnode *root,
			 struct ep_config *cfg)
{
	static const char *const ckeys[] = {"trust_policy", NULL};
	static const char *const tkeys[] = {
	    "mode", "allowed_registries", "require_signature", "require_sbom", "ca_roots", NULL};
	static const char *const tmodes[] = {"strict", "permissive", NULL};
	const struct ep_cnode *cat = ep_config__field(root, "catalog"), *tp;
	struct ep_trust_policy_cfg *t = &cfg->trust_policy;
	size_t mark, tmark;

	if (!cat)
		return;
	mark = ep_config__push_key(c, "catalog");
	if (ep_config__check_map(c, cat, ckeys) && (tp = ep_config__field(cat, "trust_policy"))) {
		tmark = ep_config__push_key(c, "trust_policy");
		if (ep_config__check_map(c, tp, tkeys)) {
			cfg->has_trust_policy = true;
			ep_config__enum(c, tp, "mode", tmodes, &t->mode);
			ep_config__strlist(c, tp, "allowed_registries", EP_CFG_NO_DASH,
					   &t->allowed_registries);
			t->has_require_signature =
			    ep_config__bool(c, tp, "require_signature", &t->require_signature);
			t->has_require_sbom =
			    ep_config__bool(c, tp, "require_sbom", &t->require_sbom);
			ep_config__strlist(c, tp, "ca_roots", EP_CFG_NO_DASH, &t->ca_roots);
		}
		ep_config__pop(c, tmark);
	}
	ep_config__pop(c, mark);
}

/* The document: a mapping with `pools` and an optional `catalog`. */
static void walk_top(struct ep_config_ctx *c, const struct ep_cnode *root, struct ep_config *cfg)
{
	static const char *const keys[] = {"pools", "catalog", NULL};
	struct ep_pos start = {1, 1};

	if (!root || ep_config__is_null(root)) {
		ep_config__diag(c, root ? root->pos : start,
				"the config is empty; expected a mapping with a 'pools' list");
		return;
	}
	if (!ep_config__check_map(c, root, keys))
		return;
	walk_pools(c, root, cfg);
	walk_catalog(c, root, cfg);
}

/* Sort the diagnostics, and put all of them into err's message. */
static int finish_diags(struct ep_config_ctx *c, struct ep_error *err)
{
	struct ep_buf msg = EP_BUF_INIT;

	if (c->nomem) {
		return ep_error_set(err, EP_ENOMEM, "out of memory reading config '%s'", c->name);
	}
	if (c->truncated) {
		struct ep_pos none = {0, 0};

		c->diags->n--; /* make room: the last one found gives way to the note */
		free(c->diags->v[c->diags->n].key_path);
		free(c->diags->v[c->diags->n].message);
		ep_config__diag_key(c, none, "", "too many errors; only the first %u are shown",
				    (unsigned)EP_CONFIG_MAX_DIAGS - 1);
	}
	ep_config__diags_sort(c->diags);
	ep_config_diags_format(&msg, c->name, c->diags);
	ep_buf_rtrim(&msg);
	ep_error_set(err, EP_ECONFIG, "%s", msg.ptr);
	ep_buf_release(&msg);
	return EP_ECONFIG;
}

int ep_config_load_mem(struct ep_config **out, const char *name, const char *data, size_t len,
		       struct ep_config_diags *diags, struct ep_error *err)
{
	struct ep_config_diags local = EP_CONFIG_DIAGS_INIT;
	struct ep_config_ctx c;
	struct ep_config *cfg = NULL;
	struct ep_cnode *root;
	int rc = 0;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.name = name ? name : "-";
	c.diags = diags ? diags : &local;
	c.path = (struct ep_buf)EP_BUF_INIT;
	if (len > EP_CONFIG_MAX_BYTES) {
		struct ep_pos none = {0, 0};

		ep_config__diag_key(&c, none, "", "the config is larger than %u MiB; refused",
				    (unsigned)(EP_CONFIG_MAX_BYTES >> 20));
		rc = finish_diags(&c, err);
		ep_config_diags_release(&local);
		return rc;
	}
	c.arena = ep_config_arena__new();
	if (c.arena)
		cfg = ep_config_arena__alloc(c.arena, sizeof(*cfg));
	if (!cfg) {
		ep_config_arena__free(c.arena);
		return ep_error_set(err, EP_ENOMEM, "out of memory reading config '%s'", c.name);
	}
	cfg->arena = c.arena;
	cfg->path = ep_config_arena__strndup(c.arena, c.name, strlen(c.name));
	root = ep_config_tree__parse(&c, data, len);
	if (!c.nomem && (root || !c.diags->n))
		walk_top(&c, root, cfg);
	ep_buf_release(&c.path);
	if (c.diags->n || c.nomem || !cfg->path) {
		c.nomem = c.nomem || !cfg->path;
		rc = finish_diags(&c, err);
		ep_config_arena__free(c.arena);
	} else {
		*out = cfg;
	}
	ep_config_diags_release(&local);
	return rc;
}

/* Read the whole text of `path` ("-": stdin), refusing more than the limit. */
static int read_config(struct ep_buf *b, const char *path, bool *too_big, struct ep_error *err)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int rc;

	if (fd < 0)
		return ep_error_sys(err, errno == ENOENT ? EP_ENOTFOUND : EP_EIO,
				    "cannot open config '%s'", path);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = ep_error_set(err, EP_EIO, "cannot read config '%s': it is a directory", path);
	} else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > EP_CONFIG_MAX_BYTES) {
		*too_big = true;
		rc = 0;
	} else {
		struct ep_error e = EP_ERROR_INIT;

		ep_buf_init(b, EP_CONFIG_MAX_BYTES);
		rc = ep_buf_read_fd(b, fd, &e);
		if (rc == EP_EIO && !e.sys_errno) {
			*too_big = true;
			rc = 0;
		} else if (rc) {
			if (err)
				*err = e;
			ep_error_prefix(err, "config '%s'", path);
		}
	}
	if (!is_stdin)
		close(fd);
	return rc;
}

int ep_config_load(struct ep_config **out, const char *path, struct ep_config_diags *diags,
		   struct ep_error *err)
{
	struct ep_buf b = EP_BUF_INIT;
	bool too_big = false;
	int rc;

	*out = NULL;
	rc = read_config(&b, path, &too_big, err);
	if (!rc)
		rc = ep_config_load_mem(out, path, too_big ? NULL : b.ptr,
					too_big ? (size_t)EP_CONFIG_MAX_BYTES + 1 : b.len, diags,
					err);
	ep_buf_release(&b);
	return rc;
}
