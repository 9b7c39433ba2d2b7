/*
 * The schema of one pool: its identity (id, engine, model), the devices it
 * runs on (`devices: []` asks for a CPU engine), the context and split,
 * and the queue, admission and timeout settings the pool manager uses.
 * The provisioning section is walked by config_prov.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "banned.h"

#define MAX_DEVICE     1023u
#define MAX_CTX	       (16u * 1024 * 1024)
#define MAX_CAPACITY   10000000u
#define MAX_TIMEOUT_MS (7ull * 24 * 3600 * 1000)

static const char *const pool_keys[] = {"id",
					"engine",
					"model",
					"devices",
					"quant",
					"ctx",
					"tensor_split",
					"preload",
					"require_same_engine_version",
					"sampler_profile_version",
					"provisioning",
					"queue",
					"admission",
					"timeouts",
					NULL};
static const char *const engine_names[] = {"llamacpp", "vllm", "tgi", "triton", NULL};

/* `id`: required; it names files and directories, so its characters are limited. */
static void walk_id(struct ep_config_ctx *c, const struct ep_cnode *n, struct ep_pool *p)
{
	size_t mark;

	if (!ep_config__field(n, "id")) {
		ep_config__missing(c, n, "id",
				   "the pool's name: a letter or digit, then up to 63 letters, "
				   "digits, '.', '_' or '-'");
		return;
	}
	if (!ep_config__str(c, n, "id", 0, &p->id))
		return;
	if (ep_pool_id_is_valid(p->id))
		return;
	mark = ep_config__push_key(c, "id");
	ep_config__diag(c, ep_config__field(n, "id")->pos,
			"pool id '%s' is not allowed; allowed: a letter or digit, then up to 63 "
			"letters, digits, '.', '_' or '-'",
			p->id);
	ep_config__pop(c, mark);
	p->id = NULL;
}

/* `devices`: required GPU indices, each once; `[]` asks for a CPU engine. */
static void walk_devices(struct ep_config_ctx *c, const struct ep_cnode *n, struct ep_pool *p)
{
	const struct ep_cnode *v;
	size_t mark, i, j;

	if (!ep_config__field(n, "devices")) {
		ep_config__missing(
		    c, n, "devices",
		    "the GPU indices, such as [0] or [0, 1]; [] asks for a CPU engine");
		return;
	}
	v = ep_config__list(c, n, "devices");
	if (!v || !v->n)
		return;
	p->devices = ep_config_arena__alloc(c->arena, v->n * sizeof(*p->devices));
	if (!p->devices) {
		c->nomem = true;
		return;
	}
	mark = ep_config__push_key(c, "devices");
	for (i = 0; i < v->n; i++) {
		size_t m = ep_config__push_index(c, i);
		uint64_t d;

		if (ep_config__as_uint(c, v->u.items[i], 0, MAX_DEVICE, &d)) {
			for (j = 0; j < p->n_devices && p->devices[j] != d; j++)
				;
			if (j < p->n_devices)
				ep_config__diag(
				    c, v->u.items[i]->pos,
				    "device %u is listed twice; each GPU may appear once",
				    (unsigned)d);
			else
				p->devices[p->n_devices++] = (uint32_t)d;
		}
		ep_config__pop(c, m);
	}
	ep_config__pop(c, mark);
}

/* `tensor_split`: the share of the model each device holds. */
static void walk_split(struct ep_config_ctx *c, const struct ep_cnode *n, struct ep_pool *p)
{
	const struct ep_cnode *v = ep_config__list(c, n, "tensor_split");
	size_t mark, i;

	if (!v || !v->n)
		return;
	p->tensor_split = ep_config_arena__alloc(c->arena, v->n * sizeof(*p->tensor_split));
	if (!p->tensor_split) {
		c->nomem = true;
		return;
	}
	mark = ep_config__push_key(c, "tensor_split");
	for (i = 0; i < v->n; i++) {
		const struct ep_cnode *e = v->u.items[i];
		size_t m = ep_config__push_index(c, i);
		double d = NAN;
		char *end = NULL;

		if (e->kind == EP_CNODE_SCALAR && e->plain &&
		    !strcmp(ep_config__kind_name(e), "a number")) {
			errno = 0;
			d = strtod(e->u.str, &end);
		}
		if (!end || *end || errno || !isfinite(d) || d < 0)
			ep_config__diag(
			    c, e->pos,
			    "expected a proportion (a number of 0 or more, such as 0.5), "
			    "got %s%s%s%s",
			    ep_config__kind_name(e), e->kind == EP_CNODE_SCALAR ? " '" : "",
			    e->kind == EP_CNODE_SCALAR ? e->u.str : "",
			    e->kind == EP_CNODE_SCALAR ? "'" : "");
		else
			p->tensor_split[p->n_tensor_split++] = d;
		ep_config__pop(c, m);
	}
	ep_config__pop(c, mark);
}

/* One admission priority class. */
static void walk_priority(struct ep_config_ctx *c, const struct ep_cnode *n,
			  struct ep_priority_cfg *q)
{
	static const char *const keys[] = {"name", "queue_capacity", "rate_limit_rps", "weight",
					   NULL};
	uint64_t u;

	if (!ep_config__check_map(c, n, keys))
		return;
	if (!ep_config__field(n, "name"))
		ep_config__missing(c, n, "name", "the priority class's name");
	ep_config__str(c, n, "name", EP_CFG_NO_DASH, &q->name);
	if ((q->has_queue_capacity = ep_config__uint(c, n, "queue_capacity", 0, MAX_CAPACITY, &u)))
		q->queue_capacity = (uint32_t)u;
	if ((q->has_rate_limit_rps = ep_config__uint(c, n, "rate_limit_rps", 0, 1000000, &u)))
		q->rate_limit_rps = (uint32_t)u;
	if ((q->has_weight = ep_config__uint(c, n, "weight", 0, 1000000, &u)))
		q->weight = (uint32_t)u;
}

/* queue, admission and timeouts: what the pool manager needs, checked here. */
static void walk_serving(struct ep_config_ctx *c, const struct ep_cnode *n, struct ep_pool *p)
{
	static const char *const qkeys[] = {"capacity", "full_policy", NULL};
	static const char *const policies[] = {"reject", "drop-lru", "shed-low-priority", NULL};
	static const char *const akeys[] = {"priorities", NULL};
	static const char *const tkeys[] = {"wall_ms", "idle_ms", NULL};
	const struct ep_cnode *v, *list;
	size_t mark, i;
	uint64_t u;

	if ((v = ep_config__field(n, "queue"))) {
		mark = ep_config__push_key(c, "queue");
		if (ep_config__check_map(c, v, qkeys)) {
			if ((p->queue.has_capacity =
				 ep_config__uint(c, v, "capacity", 0, MAX_CAPACITY, &u)))
				p->queue.capacity = (uint32_t)u;
			ep_config__enum(c, v, "full_policy", policies, &p->queue.full_policy);
		}
		ep_config__pop(c, mark);
	}
	if ((v = ep_config__field(n, "admission"))) {
		mark = ep_config__push_key(c, "admission");
		if (ep_config__check_map(c, v, akeys) &&
		    (list = ep_config__list(c, v, "priorities")) && list->n) {
			p->admission.priorities = ep_config_arena__alloc(
			    c->arena, list->n * sizeof(*p->admission.priorities));
			if (!p->admission.priorities)
				c->nomem = true;
			for (i = 0; p->admission.priorities && i < list->n; i++) {
				size_t m = ep_config__push_key(c, "priorities");

				ep_config__push_index(c, i);
				walk_priority(c, list->u.items[i], &p->admission.priorities[i]);
				ep_config__pop(c, m);
			}
			p->admission.n_priorities = p->admission.priorities ? list->n : 0;
		}
		ep_config__pop(c, mark);
	}
	if ((v = ep_config__field(n, "timeouts"))) {
		mark = ep_config__push_key(c, "timeouts");
		if (ep_config__check_map(c, v, tkeys)) {
			p->timeouts.has_wall_ms = ep_config__uint(
			    c, v, "wall_ms", 1, MAX_TIMEOUT_MS, &p->timeouts.wall_ms);
			p->timeouts.has_idle_ms = ep_config__uint(
			    c, v, "idle_ms", 1, MAX_TIMEOUT_MS, &p->timeouts.idle_ms);
		}
		ep_config__pop(c, mark);
	}
}

void ep_config_pool__walk(struct ep_config_ctx *c, const struct ep_cnode *n, struct ep_pool *p)
{
	const struct ep_cnode *prov;
	const char *engine = NULL;
	uint64_t u;
	size_t mark;

	p->pos = n->pos;
	if (!ep_config__check_map(c, n, pool_keys))
		return;
	walk_id(c, n, p);
	if (!ep_config__field(n, "engine"))
		ep_config__missing(c, n, "engine", "one of 'llamacpp', 'vllm', 'tgi' or 'triton'");
	else if (ep_config__enum(c, n, "engine", engine_names, &engine))
		ep_engine_parse(&p->engine, engine);
	ep_config__str(c, n, "model", EP_CFG_NO_DASH, &p->model);
	walk_devices(c, n, p);
	ep_config__str(c, n, "quant", EP_CFG_NO_DASH, &p->quant);
	if ((p->has_ctx = ep_config__uint(c, n, "ctx", 1, MAX_CTX, &u)))
		p->ctx = (uint32_t)u;
	walk_split(c, n, p);
	p->has_preload = ep_config__bool(c, n, "preload", &p->preload);
	p->has_require_same_engine_version =
	    ep_config__bool(c, n, "require_same_engine_version", &p->require_same_engine_version);
	ep_config__str(c, n, "sampler_profile_version", 0, &p->sampler_profile_version);
	prov = ep_config__field(n, "provisioning");
	if (!prov) {
		ep_config__missing(c, n, "provisioning",
				   "a section with 'mode' and what the mode needs");
	} else {
		mark = ep_config__push_key(c, "provisioning");
		ep_config_prov__walk(c, prov, &p->provisioning);
		ep_config__pop(c, mark);
	}
	walk_serving(c, n, p);
}
