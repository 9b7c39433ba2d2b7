/*
 * A growable byte buffer with git strbuf's invariants: `ptr` is never NULL
 * and always NUL-terminated, so `buf.ptr` can be used as a C string at any
 * time. A buffer may carry a size cap (curl dynbuf): appends that would take
 * it past `cap` fail with EP_EIO and leave it unchanged. Use a cap for
 * anything read from a subprocess or the network.
 *
 *	struct ep_buf b = EP_BUF_INIT;
 *	ep_buf_addf(&b, "%s-%d", name, n);
 *	use(b.ptr);
 *	ep_buf_release(&b);
 */
#ifndef EP_BUF_H
#define EP_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "ep/error.h"

struct ep_buf {
	char *ptr;    /* the bytes; never NULL, always NUL-terminated */
	size_t len;   /* bytes in use, not counting the NUL */
	size_t alloc; /* bytes allocated; 0 while ptr points at a static "" */
	size_t cap;   /* the most `len` may become; 0 means no cap */
};

extern char ep_buf__empty[];
#define EP_BUF_INIT                    \
	{                              \
		ep_buf__empty, 0, 0, 0 \
	}

void ep_buf_init(struct ep_buf *b, size_t cap);
void ep_buf_release(struct ep_buf *b);
/* Empty the buffer, keeping its memory. */
void ep_buf_reset(struct ep_buf *b);
/* Hand the string to the caller (free() it); the buffer is left empty. */
char *ep_buf_detach(struct ep_buf *b, size_t *len_out);

/* Appends return 0, EP_ENOMEM, or EP_EIO when the cap would be passed. */
int ep_buf_grow(struct ep_buf *b, size_t extra);
int ep_buf_add(struct ep_buf *b, const void *data, size_t len);
int ep_buf_adds(struct ep_buf *b, const char *s);
int ep_buf_addch(struct ep_buf *b, char c);
int ep_buf_addf(struct ep_buf *b, const char *fmt, ...) EP_PRINTF(2, 3);
int ep_buf_vaddf(struct ep_buf *b, const char *fmt, va_list ap) EP_PRINTF(2, 0);
/* Append `s` as a JSON string literal, quotes included. */
int ep_buf_add_json_str(struct ep_buf *b, const char *s);

/* Shorten to `len` bytes (no-op if already shorter). */
void ep_buf_setlen(struct ep_buf *b, size_t len);
/* Remove trailing white space. */
void ep_buf_rtrim(struct ep_buf *b);
/* Keep only the last `n` lines (for error messages that quote a log). */
void ep_buf_keep_last_lines(struct ep_buf *b, size_t n);

/* Read a whole file (up to `cap` bytes; 0 = no cap). */
int ep_buf_read_file(struct ep_buf *b, const char *path, struct ep_error *err);
/* Read from an fd until EOF (up to the buffer's cap). */
int ep_buf_read_fd(struct ep_buf *b, int fd, struct ep_error *err);

#endif
