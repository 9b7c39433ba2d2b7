/*
 * Container mode for ensure: resolve the pool's image reference, pull and
 * pin it (or find it already pinned), and describe the result.
 */
#include <stdlib.h>
#include <string.h>

#include "ensure_modes.h"
#include "ep/container.h"
#include "banned.h"

int ep_container__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	struct ep_container_pull_opts o = EP_CONTAINER_PULL_OPTS_INIT;
	struct ep_container_ref ref = EP_CONTAINER_REF_INIT;
	struct ep_container_image img;
	const struct ep_pool *pool = ctx->pool;
	int rc;

	ep_container_image_init(&img);
	rc = ep_container_preflight(pool, NULL, false, NULL, err);
	rc = rc ? rc : ep_container_ref_for_pool(&ref, pool, err);
	if (rc)
		return rc;
	o.probe_engine = true;
	o.state_dir = ctx->state_dir;
	o.runtime = pool->provisioning.has_container ? pool->provisioning.container.runtime : NULL;
	o.authfile = getenv("REGISTRY_AUTH_FILE");
	o.locked_digest = ctx->locked_digest;
	o.offline = ctx->opts && ctx->opts->offline;
	o.no_wait = ctx->opts && ctx->opts->no_wait;
	o.pool_id = pool->id;
	rc = ep_container_pull(&img, &ref, &o, err);
	if (!rc) {
		out->mode = EP_MODE_CONTAINER;
		out->engine = pool->engine;
		free(out->image_ref);
		free(out->engine_digest);
		out->image_ref = img.image_ref;
		out->engine_digest = img.digest;
		img.image_ref = img.digest = NULL;
		if (!out->engine_version && ref.tag)
			out->engine_version = strdup(ref.tag);
	}
	ep_container_image_release(&img);
	ep_container_ref_release(&ref);
	return rc;
}
