/*
 * Internal to the library: one HTTP attempt of a download and how it ended,
 * so the retry loop in download.c can decide what to do next; and the small
 * GET that health.c shares with ep_download_get().
 */
#ifndef EP_DOWNLOAD_INT_H
#define EP_DOWNLOAD_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ep/download.h"
#include "ep/hash.h"

enum ep_attempt_outcome {
	EP_ATTEMPT_DONE,      /* the body is complete in the partial file */
	EP_ATTEMPT_TRANSIENT, /* retry after a delay (err says why) */
	EP_ATTEMPT_RESTART,   /* discard the partial and retry at once */
	EP_ATTEMPT_FATAL,     /* give up (err set) */
};

struct ep_attempt {
	/* in */
	const char *url;
	const char *shown_url; /* redacted, for messages */
	const char *partial;
	enum ep_download_kind kind;
	const struct ep_download_opts *opts;
	uint64_t max_bytes;
	unsigned stall_s;
	/* out */
	uint64_t offset;	    /* bytes in the partial file when the request went out */
	uint64_t received;	    /* body bytes written by this attempt */
	bool restarted;		    /* the server ignored Range: the file started over */
	long status;		    /* final HTTP status, or 0 */
	long retry_after_s;	    /* Retry-After of a 429/503, or -1 */
	char digest[EP_DIGEST_LEN]; /* set when the whole body streamed through the hash */
	bool have_digest;
};

/* Run one request; fills `a` and, unless EP_ATTEMPT_DONE, `err`. */
enum ep_attempt_outcome ep_download__attempt(struct ep_attempt *a, struct ep_error *err);

/* Human-readable byte counts: "12.3 MiB". */
void ep_download__human_bytes(char *out, size_t len, uint64_t n);

/* ep_download__get() flags */
#define EP_GET_DIRECT 1u /* never through a proxy: the server is on this host */

/*
 * ep_download_get() with flags. `body` may be NULL: the answer is read (up
 * to `cap`, 0 meaning no cap) and dropped. Redirects are not followed (a
 * 3xx is the status). *status is 0 unless a whole answer came; an answer
 * over the cap is EP_EFETCH with *status 0.
 */
int ep_download__get(struct ep_buf *body, long *status, const char *url, size_t cap,
		     long timeout_ms, unsigned flags, struct ep_error *err);

#endif
