/*
 * The state directory: everything engine-provisioner keeps on a host.
 *
 *   <state>/mirrors/<hash>.git   bare git mirrors, one per repository
 *   <state>/builds/<key>/        build trees, keyed by the build inputs
 *   <state>/store/<key>/         installed engines (content-addressed, immutable)
 *   <state>/store/.tmp-*         staging; removed by the next run after a crash
 *   <state>/locks/<name>.lock    flock(2) lock files (never unlinked)
 *   <state>/downloads/           verified downloads (binary mode)
 *   <state>/proofs/<pool>/<ts>/  proof bundles
 *   <state>/catalog.db           the SQLite catalog
 *
 * Chosen, first match wins: --state-dir, $EP_STATE_DIR,
 * $XDG_CACHE_HOME/engine-provisioner, $HOME/.cache/engine-provisioner.
 * A pool's source.build.cache_dir, when set, replaces the state directory
 * for that pool's mirrors, builds and store.
 */
#ifndef EP_STATE_H
#define EP_STATE_H

#include "ep/buf.h"
#include "ep/error.h"

/* Resolve the state directory (explicit may be NULL) into `out`, absolute. */
int ep_state_dir(struct ep_buf *out, const char *explicit_dir, struct ep_error *err);
/* "<state>/<sub>" created with mode 0755 if missing. */
int ep_state_subdir(struct ep_buf *out, const char *state, const char *sub, struct ep_error *err);

#endif
