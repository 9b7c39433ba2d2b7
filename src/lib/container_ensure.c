/*
 * Container mode for ensure: resolve the pool's image reference, pull and
 * pin it (or find it already pinned), describe the result, and record it
 * in the catalog under the image digest (so `catalog lock` can pin it).
 */
#include <stdlib.h>
#include <string.h>

#include "ensure_modes.h"
#include "ep/container.h"
#include "banned.h"

/* The catalog's engine row: keyed by the image digest, located at image@digest. */
static int record(struct ep_ensure_ctx *ctx, const struct ep_prepared *pe, const char *ref_text,
		  const struct ep_container_image *img, struct ep_error *err)
{
	struct ep_catalog_engine ce = {
	    pe->store_key, ep_engine_name(pe->engine), "container",   pe->engine_version,
	    NULL,	   pe->engine_digest,	       pe->image_ref, NULL};
	struct ep_buf inputs = EP_BUF_INIT;
	int rc;

	if (!ctx->catalog)
		return 0;
	if (ep_buf_adds(&inputs, "{\"image\":") || ep_buf_add_json_str(&inputs, ref_text) ||
	    ep_buf_adds(&inputs, ",\"runtime\":") || ep_buf_add_json_str(&inputs, img->engine) ||
	    ep_buf_adds(&inputs, "}")) {
		ep_buf_release(&inputs);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	ce.inputs_json = inputs.ptr;
	rc = ep_catalog_put_engine(ctx->catalog, &ce, err);
	ep_buf_release(&inputs);
	return rc;
}

int ep_container__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	struct ep_container_pull_opts o = EP_CONTAINER_PULL_OPTS_INIT;
	struct ep_container_ref ref = EP_CONTAINER_REF_INIT;
	struct ep_container_image img;
	struct ep_buf ref_text = EP_BUF_INIT;
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
		ctx->outcome = img.pulled ? "pulled" : "reused";
		free(out->store_key);
		out->store_key = strdup(out->engine_digest);
		if (!out->store_key || ep_container_ref_format(&ref_text, &ref))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	rc = rc ? rc : record(ctx, out, ref_text.ptr, &img, err);
	ep_buf_release(&ref_text);
	ep_container_image_release(&img);
	ep_container_ref_release(&ref);
	return rc;
}
