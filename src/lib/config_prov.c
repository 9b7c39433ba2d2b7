/*
 * The schema of a pool's `provisioning` section: the mode, the policy
 * switches, one section per mode (source, container, package, binary,
 * external), the model, and how the engine is started (host, ports, env,
 * flags). A mode whose own section is missing or incomplete is an error;
 * sections of other modes may be present and are checked all the same.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "banned.h"

static const char *const prov_keys[] = {"mode",
					"allow_package_installs",
					"allow_binary_downloads",
					"source",
					"container",
					"package",
					"binary",
					"external",
					"model",
					"host",
					"ports",
					"env",
					"flags",
					"startup_timeout_s",
					NULL};
static const char *const mode_names[] = {"source", "container", "package",
					 "binary", "external",	NULL};

/* Enter map[key] when it is present: pushes the key and checks it is a mapping with `keys`. */
static const struct ep_cnode *section(struct ep_config_ctx *c, const struct ep_cnode *map,
				      const char *key, const char *const *keys, size_t *mark)
{
	const struct ep_cnode *v = ep_config__field(map, key);

	if (!v)
		return NULL;
	*mark = ep_config__push_key(c, key);
	if (!ep_config__check_map(c, v, keys)) {
		ep_config__pop(c, *mark);
		return NULL;
	}
	return v;
}

/* A checksum, when given, is "sha256:" and 64 hex digits. */
static void checksum(struct ep_config_ctx *c, const struct ep_cnode *map, const char **out)
{
	const struct ep_cnode *v = ep_config__field(map, "checksum");
	size_t mark;

	if (!ep_config__str(c, map, "checksum", 0, out))
		return;
	if (ep_config__is_sha256(*out))
		return;
	mark = ep_config__push_key(c, "checksum");
	ep_config__diag(c, v->pos, "'%s' is not a checksum; allowed: 'sha256:' and 64 hex digits",
			*out);
	ep_config__pop(c, mark);
	*out = NULL;
}

/* `source`: the git repo and ref to build, and how to configure the build. */
static void walk_source(struct ep_config_ctx *c, const struct ep_cnode *map,
			struct ep_provisioning *p)
{
	static const char *const keys[] = {"repo", "ref", "submodules", "build", NULL};
	static const char *const build_keys[] = {"cmake_flags", "generator", "cache_dir", NULL};
	size_t mark, bmark;
	const struct ep_cnode *n = section(c, map, "source", keys, &mark), *b;

	if (!n)
		return;
	p->has_source = true;
	p->source.pos = n->pos;
	ep_config__str(c, n, "repo", EP_CFG_NO_DASH, &p->source.repo);
	ep_config__str(c, n, "ref", EP_CFG_NO_DASH, &p->source.ref);
	ep_config__bool(c, n, "submodules", &p->source.submodules);
	b = section(c, n, "build", build_keys, &bmark);
	if (b) {
		ep_config__strlist(c, b, "cmake_flags", 0, &p->source.cmake_flags);
		ep_config__str(c, b, "generator", EP_CFG_NO_DASH, &p->source.generator);
		ep_config__str(c, b, "cache_dir", EP_CFG_NO_DASH, &p->source.cache_dir);
		ep_config__pop(c, bmark);
	}
	ep_config__pop(c, mark);
}

/* The sections of the other modes, and the model. */
static void walk_others(struct ep_config_ctx *c, const struct ep_cnode *map,
			struct ep_provisioning *p)
{
	static const char *const ckeys[] = {"image", "tag", "runtime", NULL};
	static const char *const runtimes[] = {"podman", "docker", NULL};
	static const char *const pkeys[] = {"name", "version", "repo", NULL};
	static const char *const bkeys[] = {"url", "checksum", "install_dir", NULL};
	static const char *const ekeys[] = {"path", "url", NULL};
	static const char *const mkeys[] = {"ref", "cache_dir", "checksum", NULL};
	const struct ep_cnode *n;
	size_t mark;

	if ((n = section(c, map, "container", ckeys, &mark))) {
		p->has_container = true;
		p->container.pos = n->pos;
		ep_config__str(c, n, "image", EP_CFG_NO_DASH, &p->container.image);
		ep_config__str(c, n, "tag", EP_CFG_NO_DASH, &p->container.tag);
		ep_config__enum(c, n, "runtime", runtimes, &p->container.runtime);
		ep_config__pop(c, mark);
	}
	if ((n = section(c, map, "package", pkeys, &mark))) {
		p->has_package = true;
		p->package.pos = n->pos;
		ep_config__str(c, n, "name", EP_CFG_NO_DASH, &p->package.name);
		ep_config__str(c, n, "version", EP_CFG_NO_DASH, &p->package.version);
		ep_config__str(c, n, "repo", EP_CFG_NO_DASH, &p->package.repo);
		ep_config__pop(c, mark);
	}
	if ((n = section(c, map, "binary", bkeys, &mark))) {
		p->has_binary = true;
		p->binary.pos = n->pos;
		ep_config__str(c, n, "url", EP_CFG_NO_DASH, &p->binary.url);
		checksum(c, n, &p->binary.checksum);
		ep_config__str(c, n, "install_dir", EP_CFG_NO_DASH, &p->binary.install_dir);
		ep_config__pop(c, mark);
	}
	if ((n = section(c, map, "external", ekeys, &mark))) {
		p->has_external = true;
		p->external.pos = n->pos;
		ep_config__str(c, n, "path", EP_CFG_NO_DASH, &p->external.path);
		ep_config__str(c, n, "url", EP_CFG_NO_DASH, &p->external.url);
		ep_config__pop(c, mark);
	}
	if ((n = section(c, map, "model", mkeys, &mark))) {
		p->has_model = true;
		p->model.pos = n->pos;
		ep_config__str(c, n, "ref", EP_CFG_NO_DASH, &p->model.ref);
		ep_config__str(c, n, "cache_dir", EP_CFG_NO_DASH, &p->model.cache_dir);
		checksum(c, n, &p->model.checksum);
		ep_config__pop(c, mark);
	}
}

/* Is `s` a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)? */
static bool env_name_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
	       strlen(s);
}

static int env_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ep_kv *)a)->key, ((const struct ep_kv *)b)->key);
}

/*
 * `env`: variables for the engine; names must be valid, values are kept as
 * text. Kept in key order, so the order written never changes a plan, a run
 * command or a store key.
 */
static void walk_env(struct ep_config_ctx *c, const struct ep_cnode *map, struct ep_provisioning *p)
{
	size_t mark, i;
	const struct ep_cnode *n = section(c, map, "env", NULL, &mark);

	if (!n)
		return;
	p->env = ep_config_arena__alloc(c->arena, (n->n ? n->n : 1) * sizeof(*p->env));
	if (!p->env) {
		c->nomem = true;
		ep_config__pop(c, mark);
		return;
	}
	for (i = 0; i < n->n; i++) {
		const struct ep_cnode *k = n->u.items[2 * i], *v = n->u.items[2 * i + 1];
		size_t m;

		if (k->kind != EP_CNODE_SCALAR)
			continue;
		m = ep_config__push_key(c, k->u.str);
		if (!env_name_ok(k->u.str) || strlen(k->u.str) != k->n) {
			ep_config__diag(
			    c, k->pos,
			    "'%s' is not an environment variable name; allowed: letters, "
			    "digits and '_', not beginning with a digit",
			    k->u.str);
		} else if (v->kind != EP_CNODE_SCALAR || ep_config__is_null(v)) {
			ep_config__diag(c, v->pos,
					"expected a string value, got %s (write \"\" for "
					"an empty one)",
					ep_config__kind_name(v));
		} else if (strlen(v->u.str) != v->n) {
			ep_config__diag(c, v->pos, "contains a NUL character; not allowed");
		} else {
			p->env[p->n_env].key = k->u.str;
			p->env[p->n_env].value = v->u.str;
			p->n_env++;
		}
		ep_config__pop(c, m);
	}
	qsort(p->env, p->n_env, sizeof(*p->env), env_cmp);
	ep_config__pop(c, mark);
}

/* `ports`: 1-65535, the first preferred. */
static void walk_ports(struct ep_config_ctx *c, const struct ep_cnode *map,
		       struct ep_provisioning *p)
{
	const struct ep_cnode *v = ep_config__list(c, map, "ports");
	size_t mark, i;

	if (!v || !v->n)
		return;
	p->ports = ep_config_arena__alloc(c->arena, v->n * sizeof(*p->ports));
	if (!p->ports) {
		c->nomem = true;
		return;
	}
	mark = ep_config__push_key(c, "ports");
	for (i = 0; i < v->n; i++) {
		size_t m = ep_config__push_index(c, i);
		uint64_t port;

		if (ep_config__as_uint(c, v->u.items[i], 1, 65535, &port))
			p->ports[p->n_ports++] = (uint16_t)port;
		ep_config__pop(c, m);
	}
	ep_config__pop(c, mark);
}

/* Under the section of `mode`, is `key` missing? Then say so (once). */
static bool need(struct ep_config_ctx *c, const struct ep_cnode *sec, const char *key,
		 const char *what)
{
	if (ep_config__field(sec, key))
		return true;
	ep_config__missing(c, sec, key, what);
	return false;
}

/* The mode's own section must be there and say what the mode needs. */
static void check_mode(struct ep_config_ctx *c, const struct ep_cnode *map,
		       const struct ep_cnode *mode_node, enum ep_mode mode)
{
	static const char *const wants[] = {
	    "'repo' (a git URL, path or bundle) and 'ref' (a tag, branch or commit)",
	    "'image' (such as vllm/vllm-openai)", "'name' (the system package)",
	    "'url' and 'checksum' ('sha256:' and 64 hex digits)",
	    "'path' (an engine binary) or 'url' (a running engine)"};
	const char *name = ep_mode_name(mode);
	const struct ep_cnode *sec = ep_config__field(map, name);
	size_t mark = ep_config__push_key(c, name);

	if (!sec && mode == EP_MODE_CONTAINER) {
		/* no section: the engine's own image at its pinned default tag */
	} else if (!sec) {
		ep_config__diag(c, mode_node->pos, "mode '%s' needs a '%s' section with %s", name,
				name, wants[mode]);
	} else if (sec->kind == EP_CNODE_MAP) {
		switch (mode) {
		case EP_MODE_SOURCE:
			need(c, sec, "repo", "the git URL, path or bundle to build from");
			need(c, sec, "ref", "the tag, branch or commit to build (mode 'source')");
			break;
		case EP_MODE_CONTAINER: /* image and tag default to the engine's own */
			break;
		case EP_MODE_PACKAGE:
			need(c, sec, "name", "the system package to install (mode 'package')");
			break;
		case EP_MODE_BINARY:
			need(c, sec, "url", "where to download the engine (mode 'binary')");
			need(c, sec, "checksum",
			     "'sha256:' and 64 hex digits; a download is never trusted unverified");
			break;
		case EP_MODE_EXTERNAL:
			if (!ep_config__field(sec, "path") && !ep_config__field(sec, "url"))
				ep_config__diag(c, sec->pos, "mode 'external' needs %s",
						wants[mode]);
			break;
		}
	}
	ep_config__pop(c, mark);
}

void ep_config_prov__walk(struct ep_config_ctx *c, const struct ep_cnode *n,
			  struct ep_provisioning *p)
{
	const char *mode = NULL;
	uint64_t u;

	p->pos = n->pos;
	if (!ep_config__check_map(c, n, prov_keys))
		return;
	if (!ep_config__field(n, "mode"))
		ep_config__missing(
		    c, n, "mode",
		    "one of 'source', 'container', 'package', 'binary' or 'external'");
	else if (ep_config__enum(c, n, "mode", mode_names, &mode) && !ep_mode_parse(&p->mode, mode))
		check_mode(c, n, ep_config__field(n, "mode"), p->mode);
	ep_config__bool(c, n, "allow_package_installs", &p->allow_package_installs);
	ep_config__bool(c, n, "allow_binary_downloads", &p->allow_binary_downloads);
	walk_source(c, n, p);
	walk_others(c, n, p);
	ep_config__str(c, n, "host", EP_CFG_NO_DASH, &p->host);
	walk_ports(c, n, p);
	walk_env(c, n, p);
	ep_config__strlist(c, n, "flags", 0, &p->flags);
	if (ep_config__uint(c, n, "startup_timeout_s", 1, 86400, &u))
		p->startup_timeout_s = (uint32_t)u;
}
