#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep/buf.h"
#include "ep/strvec.h"
#include "banned.h"

char *ep_strvec__empty[1];

void ep_strvec_init(struct ep_strvec *sv)
{
	sv->v = ep_strvec__empty;
	sv->n = 0;
	sv->alloc = 0;
}

void ep_strvec_release(struct ep_strvec *sv)
{
	size_t i;

	if (sv->alloc) {
		for (i = 0; i < sv->n; i++)
			free(sv->v[i]);
		free(sv->v);
	}
	ep_strvec_init(sv);
}

static int push_owned(struct ep_strvec *sv, char *s)
{
	if (!s)
		return EP_ENOMEM;
	if (sv->n + 2 > sv->alloc) {
		size_t n = sv->alloc ? sv->alloc * 2 : 8;
		char **v = realloc(sv->alloc ? sv->v : NULL, n * sizeof(*v));

		if (!v) {
			free(s);
			return EP_ENOMEM;
		}
		sv->v = v;
		sv->alloc = n;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int ep_strvec_push(struct ep_strvec *sv, const char *s)
{
	return push_owned(sv, strdup(s));
}

int ep_strvec_pushf(struct ep_strvec *sv, const char *fmt, ...)
{
	struct ep_buf b = EP_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ep_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc) {
		ep_buf_release(&b);
		return rc;
	}
	return push_owned(sv, ep_buf_detach(&b, NULL));
}

int ep_strvec_pushv(struct ep_strvec *sv, const char *const *v)
{
	int rc = 0;

	for (; !rc && *v; v++)
		rc = ep_strvec_push(sv, *v);
	return rc;
}

void ep_strvec_pop(struct ep_strvec *sv)
{
	if (!sv->n)
		return;
	free(sv->v[--sv->n]);
	sv->v[sv->n] = NULL;
}

void ep_strvec_remove(struct ep_strvec *sv, size_t i)
{
	if (i >= sv->n)
		return;
	free(sv->v[i]);
	memmove(sv->v + i, sv->v + i + 1, (sv->n - i) * sizeof(*sv->v));
	sv->n--;
}

long ep_strvec_find(const struct ep_strvec *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return (long)i;
	return -1;
}

int ep_strvec_copy(struct ep_strvec *dst, const struct ep_strvec *src)
{
	return ep_strvec_pushv(dst, (const char *const *)src->v);
}
