/*
 * Plans: a deterministic, side-effect-free list of steps for a pool (nothing
 * is written and no tool is run to make one). The same config gives
 * byte-identical plans every time.
 *
 * Step kinds by mode:
 *  source:    preflight-tools, gpu-check (GPU pools), git-clone, cmake-configure,
 *             cmake-build, install, model-fetch, run
 *  container: preflight-tools, gpu-check, pull-image, model-fetch, run
 *  package:   preflight-tools, gpu-check, package-install (or policy-violation), model-fetch, run
 *  binary:    gpu-check, download (or policy-violation), verify, unpack, install, model-fetch, run
 *  external:  verify-external, model-fetch, run
 */
#ifndef EP_PLAN_H
#define EP_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "ep/strvec.h"

struct ep_plan_step {
	char *kind;   /* "git-clone", ... */
	char *detail; /* one line, human-readable, redacted */
};

struct ep_plan {
	char *pool_id;
	enum ep_engine engine;
	enum ep_mode mode;
	struct ep_plan_step *steps;
	size_t n_steps;
	struct ep_strvec runtime_flags; /* normalized */
	struct ep_strvec cmake_flags;	/* normalized (source mode), else empty */
	struct ep_strvec warnings;	/* from normalization */
};

/* Build the plan for one pool. Returns 0, or EP_ECONFIG when its flags are invalid. */
int ep_plan_build(struct ep_plan *out, const struct ep_pool *pool, struct ep_error *err);
void ep_plan_release(struct ep_plan *plan);

/* {"pool_id": ..., "steps": [{"kind": ..., "detail": ...}]} */
int ep_plan_to_json(struct ep_buf *out, const struct ep_plan *plan);
/* Readable text: the pool, then one numbered line per step. */
int ep_plan_to_text(struct ep_buf *out, const struct ep_plan *plan);

#endif
