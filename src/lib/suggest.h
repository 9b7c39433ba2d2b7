/*
 * Internal: "did you mean" suggestions for config keys, values and flags.
 */
#ifndef EP_SUGGEST_H
#define EP_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance of a and b; SIZE_MAX when either is longer than 127 bytes. */
size_t ep_suggest__distance(const char *a, const char *b);

#endif
