/*
 * Lock files (engines.lock): what every pool of a config resolved to, the
 * way Cargo.lock pins a build. `catalog lock` writes one from the config
 * and the catalog; `ensure --locked FILE` refuses any resolution that
 * differs from it; `gc --lock FILE` keeps what it references.
 *
 *	{
 *	  "version": 1,
 *	  "pools": [
 *	    {"pool_id": "a", "engine": "llamacpp", "mode": "source",
 *	     "repo": "...", "ref": "v1", "commit": "<40 hex>",
 *	     "store_key": "<32 hex>", "engine_digest": "sha256:...",
 *	     "image_digest": null, "binary_checksum": null}
 *	  ]
 *	}
 *
 * A field that is null or absent is not pinned.
 */
#ifndef EP_LOCKFILE_H
#define EP_LOCKFILE_H

#include <stddef.h>

#include "ep/buf.h"
#include "ep/catalog.h"
#include "ep/config.h"
#include "ep/error.h"

#define EP_LOCKFILE_VERSION 1

struct ep_lockfile;

/* One pool's pins; every string may be NULL (not pinned) except pool_id. */
struct ep_lockfile_entry {
	const char *pool_id;
	const char *engine;
	const char *mode;
	const char *repo;
	const char *ref;
	const char *commit;	     /* the full SHA the ref resolved to */
	const char *store_key;	     /* the store entry (or the image digest for containers) */
	const char *engine_digest;   /* sha256 of the binary, or the image digest */
	const char *image_digest;    /* containers: "sha256:..." */
	const char *binary_checksum; /* binary mode: the download's "sha256:..." */
};

/* Read and validate `path`; EP_ENOTFOUND when it does not exist, EP_ECONFIG when malformed. */
int ep_lockfile_load(struct ep_lockfile **out, const char *path, struct ep_error *err);
/* The same from memory; `name` is used in messages. */
int ep_lockfile_parse(struct ep_lockfile **out, const char *name, const char *data, size_t len,
		      struct ep_error *err);
void ep_lockfile_free(struct ep_lockfile *lock);

/* The lock file's base name ("engines.lock"), for messages. */
const char *ep_lockfile_name(const struct ep_lockfile *lock);
size_t ep_lockfile_count(const struct ep_lockfile *lock);
const struct ep_lockfile_entry *ep_lockfile_entry_at(const struct ep_lockfile *lock, size_t i);
/* The entry of `pool_id`, or NULL. */
const struct ep_lockfile_entry *ep_lockfile_find(const struct ep_lockfile *lock,
						 const char *pool_id);

/*
 * Compare what a pool resolved to with the lock: `field` is one of the
 * entry's names ("commit", "store_key", "engine_digest", "image_digest",
 * "binary_checksum", "repo", "ref", "engine", "mode"). 0 when equal or not
 * pinned; EP_EVERIFY when the pool is missing from the lock or the values
 * differ, with a message that says both values and what to run, e.g.
 * "pool 'x': ref 'v1' now resolves to <sha2> but engines.lock pins <sha1>;
 * run 'engine-provisioner catalog lock' to update the lock, or pin the ref".
 */
int ep_lockfile_check(const struct ep_lockfile *lock, const char *pool_id, const char *field,
		      const char *actual, struct ep_error *err);

/*
 * Write the lock of every pool of `cfg` (a JSON document ending in a
 * newline) from each pool's newest successful run in `cat`. A pool that was
 * never prepared is EP_ENOTFOUND naming every such pool; nothing is written.
 */
int ep_lockfile_generate(struct ep_buf *out, const struct ep_config *cfg, struct ep_catalog *cat,
			 struct ep_error *err);

#endif
