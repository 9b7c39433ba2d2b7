/*
 * Garbage collection of the state directory: removes the store entries
 * (<state>/store/<key>) and build trees (<state>/builds/<key>) that no pool
 * of a config and no lock file references, with their catalog engine rows.
 * A pool of the config references the key of its newest successful run in
 * the catalog; a lock references every entry's store_key. The same sweep
 * covers every pool's source.build.cache_dir (which replaces the state
 * directory for that pool's builds and store; its locks live there too).
 *
 * An entry whose lock ('store-<key>') another process holds is never
 * touched: it is reported as kept. A removed entry is first renamed out of
 * the way (so no reader sees half of it), then deleted; its catalog row goes
 * before its files, so a row never names a missing entry.
 */
#ifndef EP_GC_H
#define EP_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ep/config.h"
#include "ep/error.h"
#include "ep/lockfile.h"

struct ep_gc_opts {
	const char *state_dir;		/* resolved, absolute */
	const struct ep_config *cfg;	/* may be NULL */
	const struct ep_lockfile *lock; /* may be NULL; at least one of cfg and lock */
	bool dry_run;			/* report what would go, remove nothing */
};

#define EP_GC_OPTS_INIT                 \
	{                               \
		NULL, NULL, NULL, false \
	}

struct ep_gc_item {
	char *kind; /* "store" or "build" */
	char *key;
	char *path;
	uint64_t bytes;
	bool removed; /* false in a dry run, or when `held` */
	char *held;   /* why it was kept although unreferenced (a lock is held), or NULL */
};

struct ep_gc_report {
	struct ep_gc_item *items; /* unreferenced entries, in directory order */
	size_t n;
	size_t n_referenced;  /* entries kept because something references them */
	uint64_t bytes_freed; /* (or that would be freed, in a dry run) */
};

#define EP_GC_REPORT_INIT     \
	{                     \
		NULL, 0, 0, 0 \
	}

void ep_gc_report_release(struct ep_gc_report *r);
int ep_gc_run(struct ep_gc_report *out, const struct ep_gc_opts *opts, struct ep_error *err);

#endif
