/*
 * Verified downloads (binary mode). A file is fetched from an https URL, a
 * plain http URL on the loopback interface, a `file:` URL or a local path,
 * into `<dest>.partial`, hashed while it streams, compared with the
 * expected sha256, and only then renamed to `dest`. Nothing reaches `dest`
 * unverified; a mismatch deletes the bytes and names the URL, the expected
 * and the actual digest.
 *
 * Transient failures (connection errors, stalls, 5xx, 429) are retried a
 * bounded number of times with jittered exponential backoff, honouring
 * Retry-After up to a cap; 4xx answers, TLS failures, refused redirects and
 * oversized bodies are not retried. An interrupted transfer is resumed with
 * a Range request from the partial file; a server that answers 200 instead
 * of 206 makes the download start over, and a resumed file is hashed whole.
 * Redirects are followed to https only.
 *
 * The caller holds a lock for `dest` (two processes must not write the same
 * partial file); binary.c takes `download-<digest prefix>` under the state
 * directory.
 *
 *	struct ep_download_opts o = EP_DOWNLOAD_OPTS_INIT;
 *	struct ep_download_stats st;
 *	rc = ep_download_file(url, "/state/downloads/ab12...", "sha256:ab12...", &o, &st, &err);
 */
#ifndef EP_DOWNLOAD_H
#define EP_DOWNLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "ep/buf.h"
#include "ep/error.h"

#define EP_DOWNLOAD_DEFAULT_MAX_BYTES (8ull << 30) /* 8 GiB */
#define EP_DOWNLOAD_DEFAULT_ATTEMPTS  5
#define EP_DOWNLOAD_DEFAULT_STALL_S   30

struct ep_download_opts {
	const char *ca_file;	    /* PEM roots; NULL: $EP_CA_FILE, $CURL_CA_BUNDLE, system */
	uint64_t max_bytes;	    /* size cap; 0: EP_DOWNLOAD_DEFAULT_MAX_BYTES */
	unsigned max_attempts;	    /* 0: EP_DOWNLOAD_DEFAULT_ATTEMPTS */
	unsigned backoff_ms;	    /* first retry delay, doubled each time; 0: 100 */
	unsigned backoff_cap_ms;    /* 0: 10000 */
	unsigned retry_after_cap_s; /* the longest Retry-After honoured; 0: 60 */
	unsigned stall_s;	    /* no byte for this long ends an attempt; 0: 30 */
	unsigned connect_timeout_s; /* 0: 30 */
	bool offline;		    /* refuse the network (file: URLs and paths still work) */
	bool progress;		    /* draw a progress line on stderr */
	const char *pool_id;	    /* for narration only */
};

#define EP_DOWNLOAD_OPTS_INIT                                 \
	{                                                     \
		NULL, 0, 0, 0, 0, 0, 0, 0, false, false, NULL \
	}

struct ep_download_stats {
	unsigned attempts;     /* requests made (0 when the cached file was used) */
	uint64_t bytes;	       /* bytes received over the network or copied */
	uint64_t resumed_from; /* offset of the last resumed request, or 0 */
	unsigned restarts;     /* times a server ignored Range and the file started over */
	int64_t duration_ms;
	bool cached; /* dest already held the verified file */
};

/* How a URL is fetched, after ep_download_check_url(). */
enum ep_download_kind { EP_DOWNLOAD_HTTPS, EP_DOWNLOAD_HTTP_LOOPBACK, EP_DOWNLOAD_LOCAL };

/*
 * Apply the URL policy: https anywhere; http only to 127.0.0.0/8, ::1 or
 * localhost; `file:` URLs (no host, or localhost) and local paths. Anything
 * else is EP_EUNSAFE naming the URL and what is allowed. For a local
 * source, `local_path` (may be NULL) receives the file's path. A URL (not
 * a plain path) is parsed by libcurl, loaded on first use: EP_EPREFLIGHT,
 * naming the package to install, when it cannot be loaded.
 */
int ep_download_check_url(enum ep_download_kind *kind, struct ep_buf *local_path, const char *url,
			  struct ep_error *err);

/*
 * Fetch `url` into `dest` and verify it against `expected` ("sha256:<hex>").
 * When `dest` already exists it is re-verified and used without a request
 * (stats->cached); a damaged cached file is deleted and fetched again.
 * `opts` and `stats` may be NULL. Errors: EP_EUNSAFE (policy, redirect),
 * EP_EVERIFY (checksum mismatch), EP_EFETCH (network, HTTP status, size
 * cap, offline), EP_EIO, EP_EPREFLIGHT (libcurl cannot be loaded).
 */
int ep_download_file(const char *url, const char *dest, const char *expected,
		     const struct ep_download_opts *opts, struct ep_download_stats *stats,
		     struct ep_error *err);

/*
 * GET a small document (a health or version endpoint) into `body`, at most
 * `cap` bytes, within `timeout_ms`. Any http or https URL; no retries, no
 * redirects followed. *status receives the HTTP status (0 when no whole
 * answer came). EP_EFETCH when no answer came or it is over the cap,
 * EP_EPREFLIGHT when libcurl cannot be loaded.
 */
int ep_download_get(struct ep_buf *body, long *status, const char *url, size_t cap, long timeout_ms,
		    struct ep_error *err);

#endif
