/*
 * Providers: the table of engines this build knows. vLLM, TGI and Triton are
 * compiled in only when CMake defines EP_HAVE_PROVIDER_<NAME> (the options
 * EP_PROVIDER_VLLM, EP_PROVIDER_TGI, EP_PROVIDER_TRITON).
 */
#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ep/provider.h"
#include "flags_internal.h"
#include "providers/providers.h"
#include "banned.h"

const struct ep_provider *ep_provider_for(enum ep_engine engine)
{
	switch (engine) {
	case EP_ENGINE_LLAMACPP:
		return &ep_provider__llamacpp;
	case EP_ENGINE_VLLM:
#ifdef EP_HAVE_PROVIDER_VLLM
		return &ep_provider__vllm;
#else
		return NULL;
#endif
	case EP_ENGINE_TGI:
#ifdef EP_HAVE_PROVIDER_TGI
		return &ep_provider__tgi;
#else
		return NULL;
#endif
	case EP_ENGINE_TRITON:
#ifdef EP_HAVE_PROVIDER_TRITON
		return &ep_provider__triton;
#else
		return NULL;
#endif
	}
	return NULL;
}

/* One spelling of a flag, for the sorted index. */
struct spelling {
	const char *s;
	const struct ep_flag_spec *f;
	bool negative;
};

/* Per engine: every spelling of its flags, sorted, built once per process. */
static struct spelling_index {
	const struct ep_provider *p;
	struct spelling *v;
	size_t n;
} indexes[EP_ENGINE_COUNT];
static pthread_once_t indexes_once = PTHREAD_ONCE_INIT;

static int cmp_spelling(const void *a, const void *b)
{
	return strcmp(((const struct spelling *)a)->s, ((const struct spelling *)b)->s);
}

/* Add the spellings of `names` to `ix` (counting only when ix->v is NULL). */
static void index_names(struct spelling_index *ix, const char *const *names,
			const struct ep_flag_spec *f, bool negative)
{
	for (; names && *names; names++, ix->n++)
		if (ix->v)
			ix->v[ix->n] = (struct spelling){*names, f, negative};
}

/* Fill `ix` for `p`: count, allocate, fill, sort. Left empty when out of memory. */
static void index_provider(struct spelling_index *ix, const struct ep_provider *p)
{
	const struct ep_flag_spec *f;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			ix->v = calloc(ix->n ? ix->n : 1, sizeof(*ix->v));
			if (!ix->v)
				return;
			ix->n = 0;
		}
		for (f = p->flags; f->name; f++) {
			const char *const self[] = {f->name, NULL};

			index_names(ix, self, f, false);
			index_names(ix, f->aliases, f, false);
			index_names(ix, f->extra_aliases, f, false);
			index_names(ix, f->negatives, f, true);
		}
	}
	qsort(ix->v, ix->n, sizeof(*ix->v), cmp_spelling);
	ix->p = p;
}

static void build_indexes(void)
{
	int e;

	for (e = 0; e < EP_ENGINE_COUNT; e++) {
		const struct ep_provider *p = ep_provider_for((enum ep_engine)e);

		if (p)
			index_provider(&indexes[e], p);
	}
}

/* Find by a linear scan (a provider table that is not indexed). */
static const struct ep_flag_spec *scan(const struct ep_provider *p, const char *spelling,
				       bool *negative)
{
	const struct ep_flag_spec *f;

	for (f = p->flags; f->name; f++) {
		bool neg = ep_flags__in(f->negatives, spelling);

		if (neg || !strcmp(f->name, spelling) || ep_flags__in(f->aliases, spelling) ||
		    ep_flags__in(f->extra_aliases, spelling)) {
			if (negative)
				*negative = neg;
			return f;
		}
	}
	return NULL;
}

const struct ep_flag_spec *ep_provider_find_flag(const struct ep_provider *p, const char *spelling,
						 bool *negative)
{
	const struct spelling_index *ix;
	const struct spelling key = {spelling, NULL, false}, *hit;

	(void)pthread_once(&indexes_once, build_indexes);
	ix = (unsigned)p->engine < EP_ENGINE_COUNT ? &indexes[p->engine] : NULL;
	if (!ix || ix->p != p)
		return scan(p, spelling, negative);
	hit = bsearch(&key, ix->v, ix->n, sizeof(*ix->v), cmp_spelling);
	if (!hit)
		return NULL;
	if (negative)
		*negative = hit->negative;
	return hit->f;
}
