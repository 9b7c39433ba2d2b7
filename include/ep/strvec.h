/*
 * A NULL-terminated vector of owned strings (git's strvec): the shape argv
 * and envp need. `v` is never NULL.
 */
#ifndef EP_STRVEC_H
#define EP_STRVEC_H

#include <stddef.h>

#include "ep/error.h"

struct ep_strvec {
	char **v;
	size_t n;
	size_t alloc;
};

extern char *ep_strvec__empty[];
#define EP_STRVEC_INIT                 \
	{                              \
		ep_strvec__empty, 0, 0 \
	}

void ep_strvec_init(struct ep_strvec *sv);
void ep_strvec_release(struct ep_strvec *sv);
/* Appends return 0 or EP_ENOMEM. */
int ep_strvec_push(struct ep_strvec *sv, const char *s);
int ep_strvec_pushf(struct ep_strvec *sv, const char *fmt, ...) EP_PRINTF(2, 3);
int ep_strvec_pushv(struct ep_strvec *sv, const char *const *v);
/* Remove and free the last element. */
void ep_strvec_pop(struct ep_strvec *sv);
/* Remove element i, keeping order. */
void ep_strvec_remove(struct ep_strvec *sv, size_t i);
/* Index of the first element equal to s, or -1. */
long ep_strvec_find(const struct ep_strvec *sv, const char *s);
/* Copy every element of src onto the end of dst. */
int ep_strvec_copy(struct ep_strvec *dst, const struct ep_strvec *src);

#endif
