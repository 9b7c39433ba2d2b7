/*
 * Proof bundles: per ensure (and up), a directory under
 * <state>/proofs/<pool_id>/<UTC time>-<pid>/ holding the plan, the
 * preflight findings, the configure and build logs, the resolved inputs,
 * the spawn command line and the PreparedEngine. Everything written
 * through this interface is redacted.
 */
#ifndef EP_PROOF_H
#define EP_PROOF_H

#include "ep/error.h"

struct ep_proof;

int ep_proof_open(struct ep_proof **out, const char *state_dir, const char *pool_id,
		  struct ep_error *err);
/* Write `text` (redacted) as file `name` in the bundle. */
int ep_proof_write(struct ep_proof *pf, const char *name, const char *text, struct ep_error *err);
/* Copy the file at `src` (redacted) into the bundle as `name`. */
int ep_proof_copy(struct ep_proof *pf, const char *name, const char *src, struct ep_error *err);
const char *ep_proof_dir(const struct ep_proof *pf);
void ep_proof_close(struct ep_proof *pf);

#endif
