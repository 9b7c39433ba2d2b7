/*
 * Internal: one entry point per provisioning mode, called by ensure.c with
 * the context it set up (state directory, catalog, proof bundle, normalized
 * flags). Each fills the mode-specific fields of the PreparedEngine; ensure.c
 * fills the rest (pool, model, host, port, flags).
 */
#ifndef EP_ENSURE_MODES_H
#define EP_ENSURE_MODES_H

#include "ep/catalog.h"
#include "ep/config.h"
#include "ep/lockfile.h"
#include "ep/ensure.h"
#include "ep/plan.h"
#include "ep/preflight.h"
#include "ep/prepared.h"
#include "ep/proof.h"

struct ep_ensure_ctx {
	const struct ep_ensure_opts *opts;
	const char *state_dir;
	const struct ep_pool *pool;
	const struct ep_plan *plan;	/* normalized runtime and CMake flags */
	struct ep_catalog *catalog;	/* may be NULL */
	struct ep_proof *proof;		/* may be NULL */
	const struct ep_lockfile *lock; /* ensure --locked: what the lock file pins, or NULL */
	const char *locked_digest;	/* containers: the lock file's image digest, or NULL */
	const struct ep_preflight
	    *preflight;	     /* what preflight found (compilers, CUDA, generator) */
	const char *outcome; /* set by the mode for the catalog: "built", "reused", ... */
};

int ep_source__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err);
int ep_binary__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err);
int ep_external__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err);
int ep_package__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err);
int ep_container__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err);

#endif
