/*
 * SHA-256 through OpenSSL's libcrypto. Digests are written as
 * "sha256:<64 lower-case hex>" (EP_DIGEST_LEN bytes with the NUL).
 *
 * libcrypto is loaded on first use (libcrypto.so.3, or what
 * EP_CRYPTO_LIBRARY names), so commands that never hash never pay for it.
 * Where it cannot be loaded, ep_sha256_new() and ep_sha256_buf() return
 * EP_EPREFLIGHT, and ep_sha256_ready() says why.
 */
#ifndef EP_HASH_H
#define EP_HASH_H

#include <stddef.h>

#include "ep/error.h"

#define EP_DIGEST_LEN (7 + 64 + 1)

struct ep_sha256;

/* Load libcrypto now: 0, or EP_EPREFLIGHT naming the library and the package to install. */
int ep_sha256_ready(struct ep_error *err);

int ep_sha256_new(struct ep_sha256 **out);
int ep_sha256_update(struct ep_sha256 *h, const void *data, size_t len);
/* Write "sha256:<hex>" into out and free the context. */
int ep_sha256_final(struct ep_sha256 *h, char out[EP_DIGEST_LEN]);
void ep_sha256_free(struct ep_sha256 *h);

/* The digest of data[0..len); on failure `out` is "" and the code is returned. */
int ep_sha256_buf(char out[EP_DIGEST_LEN], const void *data, size_t len);
int ep_sha256_file(char out[EP_DIGEST_LEN], const char *path, struct ep_error *err);
/* Is `s` exactly "sha256:" followed by 64 hex digits? */
int ep_digest_is_valid(const char *s);

#endif
