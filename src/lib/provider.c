/*
 * Providers: the table of engines this build knows. vLLM, TGI and Triton are
 * compiled in only when CMake defines EP_HAVE_PROVIDER_<NAME> (the options
 * EP_PROVIDER_VLLM, EP_PROVIDER_TGI, EP_PROVIDER_TRITON).
 */
#include <stdbool.h>
#include <stddef.h>
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

const struct ep_flag_spec *ep_provider_find_flag(const struct ep_provider *p, const char *spelling,
						 bool *negative)
{
	const struct ep_flag_spec *f;

	for (f = p->flags; f->name; f++) {
		if (!strcmp(f->name, spelling) || ep_flags__in(f->aliases, spelling) ||
		    ep_flags__in(f->extra_aliases, spelling)) {
			if (negative)
				*negative = false;
			return f;
		}
		if (ep_flags__in(f->negatives, spelling)) {
			if (negative)
				*negative = true;
			return f;
		}
	}
	return NULL;
}
