/*
 * Binary mode: install a released engine archive into the store.
 *
 * ep_binary_install() downloads `url` into <state>/downloads/<sha256> (see
 * ep/download.h: verified before use, resumed, retried), unpacks it safely
 * into a store staging directory (see ep/archive.h), finds the engine
 * binary by name (the shallowest match, then the first by name), checks
 * that it runs and reports a version, and publishes the entry atomically
 * under a key made of the archive's checksum, the engine and the binary
 * name. A second call with the same inputs finds the entry and neither
 * downloads nor unpacks anything. Concurrent callers serialize on the lock
 * `binary-<key>`; the download itself on `download-<sha prefix>`.
 */
#ifndef EP_BINARY_H
#define EP_BINARY_H

#include <stdbool.h>

#include "ep/archive.h"
#include "ep/download.h"
#include "ep/error.h"
#include "ep/store.h"

struct ep_binary_opts {
	const char *state_dir;	 /* required, absolute */
	const char *store_dir;	 /* NULL: <state>/store */
	const char *url;	 /* https, http to loopback, file: or a path */
	const char *checksum;	 /* "sha256:<64 hex>" of the archive */
	const char *binary_name; /* e.g. "llama-server" */
	const char *engine_name; /* e.g. "llamacpp" (part of the key and manifest) */
	const struct ep_download_opts *download; /* NULL: defaults */
	const struct ep_archive_limits *limits;	 /* NULL: defaults */
	bool no_wait;				 /* a held lock is EP_EBUSY */
};

#define EP_BINARY_OPTS_INIT                                                           \
	{                                                                             \
		NULL, NULL, NULL, NULL, "llama-server", "llamacpp", NULL, NULL, false \
	}

struct ep_binary_result {
	struct ep_store_entry entry; /* key, path, binary_path, digest (the binary's sha256) */
	char *engine_version;	     /* what the binary reports */
	bool reused;		     /* the store had it: nothing was downloaded or unpacked */
	struct ep_download_stats download;
};

int ep_binary_install(struct ep_binary_result *out, const struct ep_binary_opts *o,
		      struct ep_error *err);
void ep_binary_result_release(struct ep_binary_result *r);

#endif
