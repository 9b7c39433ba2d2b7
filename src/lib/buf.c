#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep/buf.h"
#include "banned.h"

char ep_buf__empty[1];

void ep_buf_init(struct ep_buf *b, size_t cap)
{
	b->ptr = ep_buf__empty;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void ep_buf_release(struct ep_buf *b)
{
	if (b->alloc)
		free(b->ptr);
	ep_buf_init(b, b->cap);
}

void ep_buf_reset(struct ep_buf *b)
{
	ep_buf_setlen(b, 0);
}

char *ep_buf_detach(struct ep_buf *b, size_t *len_out)
{
	char *s;

	if (len_out)
		*len_out = b->len;
	if (!b->alloc) {
		s = calloc(1, 1);
	} else {
		s = b->ptr;
	}
	ep_buf_init(b, b->cap);
	return s;
}

int ep_buf_grow(struct ep_buf *b, size_t extra)
{
	size_t want, n;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return EP_ENOMEM;
	if (b->cap && b->len + extra > b->cap)
		return EP_EIO;
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < want)
		n = n > SIZE_MAX / 2 ? want : n * 2;
	p = realloc(b->alloc ? b->ptr : NULL, n);
	if (!p)
		return EP_ENOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->ptr = p;
	b->alloc = n;
	return 0;
}

/* Whether `extra` more bytes (and the NUL) fit in what is allocated, within the cap. */
static bool has_room(const struct ep_buf *b, size_t extra)
{
	return b->alloc && extra < b->alloc - b->len &&
	       (!b->cap || (b->len <= b->cap && extra <= b->cap - b->len));
}

int ep_buf_add(struct ep_buf *b, const void *data, size_t len)
{
	int rc = has_room(b, len) ? 0 : ep_buf_grow(b, len);

	if (rc)
		return rc;
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

/*
 * Append data[0..len) as appending it byte by byte would: when it does not
 * all fit, the bytes that do, and the error of the first that does not.
 */
static int add_bytewise(struct ep_buf *b, const char *data, size_t len)
{
	size_t i;
	int rc;

	if (!ep_buf_add(b, data, len))
		return 0;
	for (i = 0; i < len; i++)
		if ((rc = ep_buf_addch(b, data[i])))
			return rc;
	return 0;
}

int ep_buf_adds(struct ep_buf *b, const char *s)
{
	return ep_buf_add(b, s, strlen(s));
}

int ep_buf_addch(struct ep_buf *b, char c)
{
	if (!has_room(b, 1))
		return ep_buf_add(b, &c, 1);
	b->ptr[b->len++] = c;
	b->ptr[b->len] = '\0';
	return 0;
}

int ep_buf_vaddf(struct ep_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	size_t room = b->alloc ? b->alloc - b->len : 0;
	int n, rc;

	/* one pass when it fits in what is allocated already */
	va_copy(cp, ap);
	n = vsnprintf(room ? b->ptr + b->len : NULL, room, fmt, cp);
	va_end(cp);
	if (n >= 0 && (size_t)n < room && has_room(b, (size_t)n)) {
		b->len += (size_t)n;
		return 0;
	}
	if (room)
		b->ptr[b->len] = '\0'; /* not kept: the buffer as it was */
	if (n < 0)
		return EP_EINTERNAL;
	rc = ep_buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int ep_buf_addf(struct ep_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ep_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int ep_buf_add_json_str(struct ep_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run;
	int rc = ep_buf_addch(b, '"');

	for (; !rc && *p; p++) {
		/* the bytes that stand for themselves, in one piece */
		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		if (p > run && (rc = add_bytewise(b, (const char *)run, (size_t)(p - run))))
			break;
		if (!*p)
			break;
		switch (*p) {
		case '"':
			rc = ep_buf_add(b, "\\\"", 2);
			break;
		case '\\':
			rc = ep_buf_add(b, "\\\\", 2);
			break;
		case '\n':
			rc = ep_buf_add(b, "\\n", 2);
			break;
		case '\r':
			rc = ep_buf_add(b, "\\r", 2);
			break;
		case '\t':
			rc = ep_buf_add(b, "\\t", 2);
			break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};

			rc = ep_buf_add(b, esc, sizeof(esc));
		}
		}
	}
	return rc ? rc : ep_buf_addch(b, '"');
}

void ep_buf_setlen(struct ep_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

void ep_buf_rtrim(struct ep_buf *b)
{
	size_t n = b->len;

	while (n && (b->ptr[n - 1] == ' ' || b->ptr[n - 1] == '\n' || b->ptr[n - 1] == '\t' ||
		     b->ptr[n - 1] == '\r'))
		n--;
	ep_buf_setlen(b, n);
}

void ep_buf_keep_last_lines(struct ep_buf *b, size_t n)
{
	size_t i, seen = 0;

	ep_buf_rtrim(b);
	for (i = b->len; i > 0; i--) {
		if (b->ptr[i - 1] == '\n' && ++seen == n) {
			memmove(b->ptr, b->ptr + i, b->len - i + 1);
			b->len -= i;
			return;
		}
	}
}

int ep_buf_read_fd(struct ep_buf *b, int fd, struct ep_error *err)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ep_error_sys(err, EP_EIO, "cannot read");
		if (n == 0)
			return 0;
		rc = ep_buf_add(b, chunk, (size_t)n);
		if (rc == EP_EIO)
			return ep_error_set(err, EP_EIO, "input larger than %zu bytes", b->cap);
		if (rc)
			return ep_error_set(err, rc, "out of memory");
	}
}

int ep_buf_read_file(struct ep_buf *b, const char *path, struct ep_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return ep_error_sys(err, errno == ENOENT ? EP_ENOTFOUND : EP_EIO,
				    "cannot open '%s'", path);
	rc = ep_buf_read_fd(b, fd, err);
	close(fd);
	if (rc)
		ep_error_prefix(err, "'%s'", path);
	return rc;
}
