/*
 * The engine store: immutable, content-addressed entries under
 * <state>/store/<key>/. An entry is built in a staging directory beside the
 * store (<state>/store/.tmp-<pid>-XXXXXX), verified, fsynced, and renamed
 * into place with RENAME_NOREPLACE; the parent is fsynced; only then is it
 * recorded in the catalog. A reader never sees half an entry; a crash
 * leaves only a staging directory that the next run removes.
 *
 * Each entry holds `manifest.json` (the inputs, the digest, the time) and
 * the engine's files (e.g. bin/llama-server and its shared libraries).
 */
#ifndef EP_STORE_H
#define EP_STORE_H

#include <stdbool.h>

#include "ep/buf.h"
#include "ep/error.h"
#include "ep/hash.h"
#include "ep/strvec.h"

struct ep_store_entry {
	char *key;		    /* 32 hex digits (the first half of a sha256 over the inputs) */
	char *path;		    /* <store>/<key> */
	char *binary_path;	    /* <store>/<key>/<binary_rel> */
	char digest[EP_DIGEST_LEN]; /* sha256 of the binary */
};

void ep_store_entry_release(struct ep_store_entry *e);

/*
 * The key for a set of inputs: "name=value" lines, sorted, hashed. Every
 * input that affects the result must be in `inputs`.
 */
int ep_store_key(struct ep_buf *out, const struct ep_strvec *inputs);

/*
 * Look up `key` in `store_dir`: 0 and *out filled when the entry exists and
 * its manifest's binary still has the recorded digest; EP_ENOTFOUND when
 * absent; EP_EVERIFY when present but damaged.
 */
int ep_store_lookup(struct ep_store_entry *out, const char *store_dir, const char *key,
		    struct ep_error *err);

/* Create a fresh staging directory in `store_dir` (path in out). */
int ep_store_stage(struct ep_buf *out, const char *store_dir, struct ep_error *err);

/*
 * Publish `staging` as entry `key`: compute the digest of
 * <staging>/<binary_rel>, write manifest.json (manifest_json is an object
 * the store completes with "key", "binary", "digest", "created_at"), fsync
 * the tree, rename into place, fsync the store directory. When another
 * process published the same key first, its entry is verified and used and
 * the staging directory is removed. *out describes the published entry.
 */
int ep_store_commit(struct ep_store_entry *out, const char *store_dir, const char *key,
		    const char *staging, const char *binary_rel, const char *manifest_json,
		    struct ep_error *err);

/* Remove staging directories left by processes that no longer run. */
int ep_store_clean_stale(const char *store_dir, struct ep_error *err);

#endif
