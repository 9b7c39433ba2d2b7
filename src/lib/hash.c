#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dynlib.h"
#include "ep/hash.h"
#include "banned.h"

/* A digest in progress: the libcrypto it was started with, and its context. */
struct ep_sha256 {
	const struct ep_crypto_api *evp;
	EVP_MD_CTX *ctx;
};

int ep_sha256_ready(struct ep_error *err)
{
	const struct ep_crypto_api *evp;

	return ep_dynlib__crypto(&evp, err);
}

int ep_sha256_new(struct ep_sha256 **out)
{
	const struct ep_crypto_api *evp;
	struct ep_sha256 *h;

	*out = NULL;
	if (ep_dynlib__crypto(&evp, NULL))
		return EP_EPREFLIGHT;
	h = malloc(sizeof(*h));
	if (!h)
		return EP_ENOMEM;
	h->evp = evp;
	h->ctx = evp->MD_CTX_new();
	if (!h->ctx) {
		free(h);
		return EP_ENOMEM;
	}
	if (evp->DigestInit_ex(h->ctx, evp->sha256(), NULL) != 1) {
		ep_sha256_free(h);
		return EP_EINTERNAL;
	}
	*out = h;
	return 0;
}

int ep_sha256_update(struct ep_sha256 *h, const void *data, size_t len)
{
	return h->evp->DigestUpdate(h->ctx, data, len) == 1 ? 0 : EP_EINTERNAL;
}

int ep_sha256_final(struct ep_sha256 *h, char out[EP_DIGEST_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0, i;
	int ok = h->evp->DigestFinal_ex(h->ctx, md, &n) == 1;

	ep_sha256_free(h);
	if (!ok || n != 32)
		return EP_EINTERNAL;
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
	return 0;
}

void ep_sha256_free(struct ep_sha256 *h)
{
	if (!h)
		return;
	h->evp->MD_CTX_free(h->ctx);
	free(h);
}

int ep_sha256_buf(char out[EP_DIGEST_LEN], const void *data, size_t len)
{
	struct ep_sha256 *h;
	int rc = ep_sha256_new(&h);

	out[0] = '\0';
	if (rc)
		return rc;
	rc = ep_sha256_update(h, data, len);
	if (rc) {
		ep_sha256_free(h);
		return rc;
	}
	return ep_sha256_final(h, out);
}

int ep_sha256_file(char out[EP_DIGEST_LEN], const char *path, struct ep_error *err)
{
	unsigned char chunk[1 << 16];
	struct ep_sha256 *h;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ep_error_sys(err, errno == ENOENT ? EP_ENOTFOUND : EP_EIO,
				    "cannot open '%s'", path);
	rc = ep_sha256_new(&h);
	if (rc) {
		close(fd);
		return rc == EP_EPREFLIGHT ? ep_sha256_ready(err)
					   : ep_error_set(err, rc, "cannot start a sha256 digest");
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ep_error_sys(err, EP_EIO, "cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		ep_sha256_update(h, chunk, (size_t)n);
	}
	close(fd);
	if (rc) {
		ep_sha256_free(h);
		return rc;
	}
	return ep_sha256_final(h, out);
}

int ep_digest_is_valid(const char *s)
{
	size_t i;

	if (strncmp(s, "sha256:", 7))
		return 0;
	for (i = 7; i < 71; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return s[71] == '\0';
}
