/*
 * Ensure: plan, open the proof bundle, preflight (before any git or cmake
 * runs), hand the pool to its mode, resolve the model, and describe the
 * result as a PreparedEngine, recorded in the catalog and the proof bundle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep/catalog.h"
#include "ep/ensure.h"
#include "ep/fs.h"
#include "ep/lockfile.h"
#include "ep/log.h"
#include "ep/model.h"
#include "ep/preflight.h"
#include "ep/proof.h"
#include "ep/provider.h"
#include "ensure_modes.h"
#include "source.h"
#include "banned.h"

void ep_ensure__checkpoint(const char *name)
{
	const char *want = getenv("EP_TEST_CHECKPOINT");
	const char *file = getenv("EP_TEST_CHECKPOINT_FILE");
	char pid[32];
	int i;

	if (!want || strcmp(want, name))
		return;
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (file)
		ep_fs_write_atomic(file, pid, strlen(pid), 0644, NULL);
	for (i = 0; i < 600; i++)
		sleep(1);
}

typedef int (*mode_fn)(struct ep_prepared *, struct ep_ensure_ctx *, struct ep_error *);

static mode_fn mode_entry(enum ep_mode m)
{
	switch (m) {
	case EP_MODE_SOURCE:
		return ep_source__ensure;
	case EP_MODE_CONTAINER:
		return ep_container__ensure;
	case EP_MODE_PACKAGE:
		return ep_package__ensure;
	case EP_MODE_BINARY:
		return ep_binary__ensure;
	case EP_MODE_EXTERNAL:
		return ep_external__ensure;
	}
	return NULL;
}

/* The fields every mode shares: pool, replica, host, port, devices, flags. */
static int fill_common(struct ep_prepared *out, const struct ep_pool *pool,
		       const struct ep_plan *plan, const struct ep_ensure_opts *opts)
{
	const struct ep_provider *prov = ep_provider_for(pool->engine);
	const struct ep_provisioning *pv = &pool->provisioning;
	struct ep_buf mask = EP_BUF_INIT;
	size_t i;

	out->engine = pool->engine;
	out->mode = pv->mode;
	out->pool_id = strdup(pool->id);
	out->replica_id = strdup(opts->replica_id ? opts->replica_id : "r0");
	out->host = strdup(pv->host ? pv->host : "127.0.0.1");
	out->port = pv->n_ports ? pv->ports[0] : prov ? (uint16_t)prov->default_port : 8080;
	for (i = 0; i < pool->n_devices; i++)
		ep_buf_addf(&mask, "%s%u", i ? "," : "", (unsigned)pool->devices[i]);
	out->device_mask = ep_buf_detach(&mask, NULL);
	ep_strvec_release(&out->flags);
	if (ep_strvec_copy(&out->flags, &plan->runtime_flags))
		return EP_ENOMEM;
	if (!out->pool_id || !out->replica_id || !out->host || !out->device_mask)
		return EP_ENOMEM;
	return 0;
}

/* Write `name` into the proof bundle, when there is one; a failure is only narrated. */
static void proof_put(struct ep_proof *pf, const char *name, const char *text, const char *pool_id)
{
	struct ep_error e = EP_ERROR_INIT;

	if (pf && ep_proof_write(pf, name, text, &e))
		ep_narrate(EP_LOG_WARN, "proof", "write", name, pool_id, -1, "%s", e.msg);
}

/* Run the pool's mode and the model step; `ctx` is filled by the caller. */
static int prepare(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	const struct ep_pool *pool = ctx->pool;
	mode_fn fn = mode_entry(pool->provisioning.mode);
	struct ep_buf model = EP_BUF_INIT, json = EP_BUF_INIT;
	int rc;

	if (!fn)
		return ep_error_set(err, EP_EINTERNAL, "pool '%s': unknown provisioning mode",
				    pool->id);
	rc = fn(out, ctx, err);
	rc = rc ? rc : ep_model_resolve(&model, pool, ctx->state_dir, ctx->opts->offline, err);
	if (rc == EP_ENOTFOUND && ep_model_engine_name(pool)) {
		/* no file of that name here: the engine fetches the model by name */
		ep_error_clear(err);
		rc = 0;
		ep_narrate(EP_LOG_INFO, "model", "by-name", pool->id, pool->id, -1,
			   "model '%s' is not a local file; %s fetches it by name",
			   ep_model_ref(pool), ep_engine_name(pool->engine));
	}
	if (!rc && model.len)
		out->model_path = ep_buf_detach(&model, NULL);
	if (!rc && fill_common(out, pool, ctx->plan, ctx->opts))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc && !ep_prepared_to_json(&json, out))
		proof_put(ctx->proof, "prepared.json", json.ptr, pool->id);
	ep_buf_release(&model);
	ep_buf_release(&json);
	return rc;
}

/*
 * ensure --locked: the pool must be in the lock file, and what the config
 * itself pins (a binary's checksum, a container's mode) must agree with it
 * before anything is fetched. What the pool resolves to (a commit, an image
 * digest) is checked by its mode as soon as it is known.
 */
static int locked_entry(const struct ep_lockfile_entry **out, const struct ep_lockfile *lock,
			const struct ep_pool *pool, struct ep_error *err)
{
	const struct ep_provisioning *pv = &pool->provisioning;
	int rc;

	*out = NULL;
	if (!lock)
		return 0;
	rc = ep_lockfile_check(lock, pool->id, "mode", ep_mode_name(pv->mode), err);
	if (!rc && pv->mode == EP_MODE_BINARY)
		rc = ep_lockfile_check(lock, pool->id, "binary_checksum", pv->binary.checksum, err);
	if (!rc && pv->mode == EP_MODE_SOURCE)
		rc = ep_lockfile_check(lock, pool->id, "repo", pv->source.repo, err);
	if (!rc)
		*out = ep_lockfile_find(lock, pool->id);
	return rc;
}

int ep_ensure_pool(struct ep_prepared *out, const struct ep_config *cfg, const struct ep_pool *pool,
		   const struct ep_ensure_opts *opts, struct ep_error *err)
{
	struct ep_ensure_ctx ctx;
	struct ep_plan plan;
	struct ep_preflight pf;
	struct ep_proof *proof = NULL;
	struct ep_catalog *cat = NULL;
	struct ep_buf text = EP_BUF_INIT;
	struct ep_catalog_run run;
	struct ep_lockfile *lock = NULL;
	const struct ep_lockfile_entry *locked = NULL;
	int64_t start = ep_now_ms();
	int rc;

	(void)cfg;
	ep_prepared_init(out);
	ep_preflight_init(&pf);
	memset(&plan, 0, sizeof(plan));
	memset(&ctx, 0, sizeof(ctx));
	rc = opts->locked_path ? ep_lockfile_load(&lock, opts->locked_path, err) : 0;
	rc = rc ? rc : locked_entry(&locked, lock, pool, err);
	rc = rc ? rc : ep_plan_build(&plan, pool, err);
	rc = rc ? rc : ep_proof_open(&proof, opts->state_dir, pool->id, err);
	if (!rc && !ep_plan_to_json(&text, &plan))
		proof_put(proof, "plan.json", text.ptr, pool->id);
	rc = rc ? rc
		: ep_preflight_pool(
		      &pf, pool,
		      pool->provisioning.mode == EP_MODE_SOURCE ? &plan.cmake_flags : NULL, err);
	if (pf.findings)
		proof_put(proof, "preflight.txt", pf.findings, pool->id);
	rc = rc ? rc : ep_catalog_open(&cat, opts->state_dir, err);
	if (!rc) {
		ctx.opts = opts;
		ctx.state_dir = opts->state_dir;
		ctx.pool = pool;
		ctx.plan = &plan;
		ctx.catalog = cat;
		ctx.proof = proof;
		ctx.preflight = &pf;
		ctx.lock = lock;
		ctx.locked_digest = locked ? locked->image_digest : NULL;
		rc = prepare(out, &ctx, err);
	}
	if (rc)
		proof_put(proof, "error.txt", err->msg, pool->id);
	if (cat) {
		struct ep_error ignored = EP_ERROR_INIT;
		char failed[64];

		snprintf(failed, sizeof(failed), "failed: %s", ep_code_name(rc));
		memset(&run, 0, sizeof(run));
		run.pool_id = pool->id;
		/* a container has no store entry: its catalog row is keyed by the image digest */
		run.key = out->store_key		   ? out->store_key
			  : out->mode == EP_MODE_CONTAINER ? out->engine_digest
							   : NULL;
		run.digest = out->engine_digest;
		run.outcome = rc ? failed : ctx.outcome ? ctx.outcome : "prepared";
		run.duration_ms = ep_now_ms() - start;
		if (ep_catalog_record_run(cat, &run, rc ? &ignored : err) && !rc)
			rc = err->code;
		ep_catalog_close(cat);
	}
	if (rc)
		ep_prepared_release(out);
	ep_narrate(rc ? EP_LOG_DEBUG : EP_LOG_INFO, "ensure", rc ? "failed" : "done", pool->id,
		   pool->id, ep_now_ms() - start, "ensure of pool '%s' %s", pool->id,
		   rc		 ? "failed"
		   : ctx.outcome ? ctx.outcome
				 : "done");
	ep_proof_close(proof);
	ep_lockfile_free(lock);
	ep_preflight_release(&pf);
	if (plan.pool_id || plan.steps)
		ep_plan_release(&plan);
	ep_buf_release(&text);
	return rc;
}
