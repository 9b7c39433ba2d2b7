/*
 * Diagnostics of the config loader: each names a position and a key path
 * and says what is wrong and what is allowed. A load collects all of them
 * (up to EP_CONFIG_MAX_DIAGS), sorts them by position and formats them as
 * "FILE:LINE:COL: KEY: MESSAGE" lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "suggest.h"
#include "banned.h"

/* Append one diagnostic; on overflow, remember that some were dropped. */
static void diag_vadd(struct ep_config_ctx *c, struct ep_pos pos, const char *key, const char *fmt,
		      va_list ap)
{
	struct ep_config_diags *d = c->diags;
	struct ep_config_diag *slot;
	struct ep_buf msg = EP_BUF_INIT;

	if (d->n >= EP_CONFIG_MAX_DIAGS) {
		c->truncated = true;
		return;
	}
	if (d->n == d->alloc) {
		size_t alloc = d->alloc ? d->alloc * 2 : 8;
		struct ep_config_diag *v = realloc(d->v, alloc * sizeof(*v));

		if (!v) {
			c->nomem = true;
			return;
		}
		d->v = v;
		d->alloc = alloc;
	}
	slot = &d->v[d->n];
	slot->pos = pos;
	slot->key_path = strdup(key);
	if (ep_buf_vaddf(&msg, fmt, ap) || !slot->key_path) {
		free(slot->key_path);
		ep_buf_release(&msg);
		c->nomem = true;
		return;
	}
	slot->message = ep_buf_detach(&msg, NULL);
	d->n++;
}

void ep_config__diag(struct ep_config_ctx *c, struct ep_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(c, pos, c->path.ptr, fmt, ap);
	va_end(ap);
}

void ep_config__diag_key(struct ep_config_ctx *c, struct ep_pos pos, const char *key,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(c, pos, key, fmt, ap);
	va_end(ap);
}

/* Order by line, then column; problems without a position go last. */
static int diag_cmp(const void *pa, const void *pb)
{
	const struct ep_config_diag *a = pa, *b = pb;
	unsigned la = a->pos.line ? a->pos.line : ~0u, lb = b->pos.line ? b->pos.line : ~0u;

	if (la != lb)
		return la < lb ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	return 0;
}

struct diag_ord {
	struct ep_config_diag d;
	size_t i;
};

/* The same order, ties kept in the order they were found (qsort is not stable). */
static int diag_ord_cmp(const void *pa, const void *pb)
{
	const struct diag_ord *a = pa, *b = pb;
	int r = diag_cmp(&a->d, &b->d);

	if (r)
		return r;
	return a->i < b->i ? -1 : a->i > b->i;
}

void ep_config__diags_sort(struct ep_config_diags *d)
{
	struct diag_ord *tmp;
	size_t i;

	if (d->n < 2)
		return;
	tmp = malloc(d->n * sizeof(*tmp));
	if (!tmp) {
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
		return;
	}
	for (i = 0; i < d->n; i++) {
		tmp[i].d = d->v[i];
		tmp[i].i = i;
	}
	qsort(tmp, d->n, sizeof(*tmp), diag_ord_cmp);
	for (i = 0; i < d->n; i++)
		d->v[i] = tmp[i].d;
	free(tmp);
}

void ep_config_diags_release(struct ep_config_diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].key_path);
		free(d->v[i].message);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->alloc = 0;
}

int ep_config_diags_format(struct ep_buf *out, const char *path, const struct ep_config_diags *d)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < d->n && !rc; i++) {
		const struct ep_config_diag *g = &d->v[i];

		if (g->pos.line)
			rc = ep_buf_addf(out, "%s:%u:%u: ", path, g->pos.line, g->pos.col);
		else
			rc = ep_buf_addf(out, "%s: ", path);
		if (!rc && g->key_path[0])
			rc = ep_buf_addf(out, "%s: ", g->key_path);
		if (!rc)
			rc = ep_buf_addf(out, "%s\n", g->message);
	}
	return rc;
}

const char *ep_config__nearest(const char *s, const char *const *choices)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, limit = strlen(s) / 3 + 1;

	if (limit < 2)
		limit = 2;
	for (; *choices; choices++) {
		size_t dist = ep_suggest__distance(s, *choices);

		if (dist < best_d) {
			best_d = dist;
			best = *choices;
		}
	}
	return best_d <= limit ? best : NULL;
}

void ep_config__join_choices(struct ep_buf *out, const char *const *choices)
{
	size_t i;

	for (i = 0; choices[i]; i++) {
		if (i)
			ep_buf_adds(out, choices[i + 1] ? ", " : " or ");
		ep_buf_addf(out, "'%s'", choices[i]);
	}
}
