/*
 * Container mode for ensure: resolve the pool's image reference, pull and
 * pin it (or find it already pinned), describe the result, and record it
 * in the catalog under the image digest (so `catalog lock` can pin it).
 */
#include <stdlib.h>
#include <string.h>

#include "ensure_modes.h"
#include "ep/catalog.h"
#include "ep/container.h"
#include "banned.h"

/*
 * The catalog's row for the pinned image: keyed by its digest (ensure
 * records the run under the same key, so `catalog lock` can pin it),
 * located at image@digest.
 */
static int record(struct ep_prepared *out, struct ep_ensure_ctx *ctx,
		  const struct ep_container_ref *ref, const struct ep_container_image *img,
		  struct ep_error *err)
{
	struct ep_catalog_engine ce;
	struct ep_catalog_engine_row row;
	struct ep_buf inputs = EP_BUF_INIT, text = EP_BUF_INIT;
	const char *engine = img->engine;
	int rc;

	if (!ctx->catalog)
		return 0;
	/* a no-op writes nothing when the row is there already (a read costs no sync) */
	if (!img->pulled && !ep_catalog_get_engine(&row, ctx->catalog, out->engine_digest, NULL)) {
		ep_catalog_engine_row_release(&row);
		return 0;
	}
	if (ep_container_ref_format(&text, ref))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_buf_adds(&inputs, "{\"image\":");
	ep_buf_add_json_str(&inputs, text.ptr);
	ep_buf_adds(&inputs, ",\"container_engine\":");
	ep_buf_add_json_str(&inputs, engine ? engine : "");
	ep_buf_adds(&inputs, "}");
	memset(&ce, 0, sizeof(ce));
	ce.key = out->engine_digest;
	ce.engine = ep_engine_name(out->engine);
	ce.mode = "container";
	ce.engine_version = out->engine_version;
	ce.engine_digest = out->engine_digest;
	ce.location = out->image_ref;
	ce.inputs_json = inputs.ptr;
	rc = ep_catalog_put_engine(ctx->catalog, &ce, err);
	ep_buf_release(&inputs);
	ep_buf_release(&text);
	return rc;
}

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
		ctx->outcome = img.pulled ? "pulled" : "present";
		rc = record(out, ctx, &ref, &img, err);
	}
	ep_container_image_release(&img);
	ep_container_ref_release(&ref);
	return rc;
}
