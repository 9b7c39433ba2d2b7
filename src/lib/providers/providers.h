/*
 * The provider tables, one per file in src/lib/providers/; ep_provider_for()
 * (src/lib/provider.c) picks one. Internal to the library.
 */
#ifndef EP_PROVIDERS_H
#define EP_PROVIDERS_H

#include "ep/provider.h"

/* A NULL-terminated list of spellings, for the tables. */
#define EP_NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The tail of a refusal for a flag that the pool's config provides. */
#define CONFIG "comes from the pool's config; remove it from flags"
/* The head of a refusal for a flag that would put a secret on a command line. */
#define SECRET                                                                        \
	"a secret on a command line is visible to every user of the host; set it in " \
	"provisioning.env"

extern const struct ep_provider ep_provider__llamacpp;
extern const struct ep_provider ep_provider__vllm;
extern const struct ep_provider ep_provider__tgi;
extern const struct ep_provider ep_provider__triton;

#endif
