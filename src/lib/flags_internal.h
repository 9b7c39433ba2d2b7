/*
 * Helpers shared by the flag normalizers (flags.c, flags_runtime.c,
 * flags_cmake.c). Internal to the library.
 */
#ifndef EP_FLAGS_INTERNAL_H
#define EP_FLAGS_INTERNAL_H

#include <stdbool.h>

#include "ep/config.h"
#include "ep/provider.h"
#include "ep/strvec.h"

/*
 * The flag name of `tok` as a new string: "--foo_bar=1" gives "--foo-bar"
 * (underscores become dashes in long flags, as llama.cpp's parser does) and
 * *inline_value (when not NULL) points at "1" in `tok`, or is NULL when the
 * token has no '='. NULL when out of memory.
 */
char *ep_flags__spelling(const char *tok, const char **inline_value);
/* Is `s` one of the NULL-terminated `names`? */
bool ep_flags__in(const char *const *names, const char *s);
/* The canonical name of the provider's flag whose spelling is nearest to `name`. */
const char *ep_flags__nearest(const struct ep_provider *p, const char *name);
/* Append a formatted warning to `warnings` when it is not NULL; 0 or EP_ENOMEM. */
int ep_flags__warn(struct ep_strvec *warnings, struct ep_error *err, const char *fmt, ...)
    EP_PRINTF(3, 4);
/* "vllm", and the CMake option that builds it in ("VLLM"). */
const char *ep_flags__engine_name(enum ep_engine e);
const char *ep_flags__engine_option(enum ep_engine e);

#endif
