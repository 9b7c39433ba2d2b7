/*
 * Ensure: execute a pool's plan idempotently and describe the result as a
 * PreparedEngine. Source mode builds into the store; binary mode downloads
 * and verifies; package mode installs through the system package manager;
 * container mode pulls and pins; external mode verifies what exists.
 */
#ifndef EP_ENSURE_H
#define EP_ENSURE_H

#include <stdbool.h>

#include "ep/config.h"
#include "ep/error.h"
#include "ep/prepared.h"

struct ep_ensure_opts {
	const char *state_dir;	 /* resolved state directory (absolute) */
	const char *replica_id;	 /* NULL: "r0" */
	const char *locked_path; /* ensure --locked FILE: refuse resolutions that differ */
	bool offline;		 /* no network: no fetch, no download, no pull */
	bool no_wait;		 /* a held lock is an error naming the holder */
	bool progress;		 /* draw progress bars (stderr is a terminal) */
};

#define EP_ENSURE_OPTS_INIT                           \
	{                                             \
		NULL, NULL, NULL, false, false, false \
	}

int ep_ensure_pool(struct ep_prepared *out, const struct ep_config *cfg, const struct ep_pool *pool,
		   const struct ep_ensure_opts *opts, struct ep_error *err);

#endif
