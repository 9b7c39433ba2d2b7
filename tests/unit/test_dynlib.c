/*
 * The run-time loader of libcurl, libarchive and libcrypto: a concurrent
 * first use gets one table, and a library that cannot be loaded is
 * EP_EPREFLIGHT naming it, the variable that chose it and the package to
 * install, the same answer every time, with the archive module and every
 * digest function failing the same way.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "ep/archive.h"
#include "ep/download.h"
#include "ep/hash.h"
#include "dynlib.h"
#include "test.h"

#define N_THREADS 8

static void *first_use(void *out)
{
	struct ep_error err = EP_ERROR_INIT;

	if (ep_dynlib__curl(out, &err))
		*(const struct ep_curl_api **)out = NULL;
	return NULL;
}

TEST(curl_loads_once_from_many_threads)
{
	const struct ep_curl_api *seen[N_THREADS] = {0}, *again = NULL;
	struct ep_error err = EP_ERROR_INIT;
	enum ep_download_kind kind;
	pthread_t t[N_THREADS];
	CURL *c;
	int i;

	for (i = 0; i < N_THREADS; i++)
		CHECK_INT(pthread_create(&t[i], NULL, first_use, &seen[i]), 0);
	for (i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < N_THREADS; i++)
		CHECK(seen[i] && seen[i] == seen[0]);
	CHECK_INT(ep_dynlib__curl(&again, &err), 0);
	CHECK(again == seen[0]);
	if (!again)
		return;
	CHECK(again->easy_setopt && again->url_get && again->free);
	CHECK_STR(again->easy_strerror(CURLE_OK), "No error");
	c = again->easy_init();
	CHECK(c != NULL);
	again->easy_cleanup(c);
	/* The URL parser behind the download policy comes from the same table. */
	CHECK_INT(ep_download_check_url(&kind, NULL, "https://example.com/x.zip", &err), 0);
	CHECK_INT(kind, EP_DOWNLOAD_HTTPS);
}

TEST(missing_library_names_the_package)
{
	const struct ep_archive_api *a = (const void *)&a;
	struct ep_error err = EP_ERROR_INIT, again = EP_ERROR_INIT;
	char dir[] = "/tmp/ep-dynlib-XXXXXX";

	/* Read at the first use: nothing in this program touched libarchive before. */
	setenv("EP_ARCHIVE_LIBRARY", "libep-missing.so.0", 1);
	CHECK_INT(ep_dynlib__archive(&a, &err), EP_EPREFLIGHT);
	CHECK(a == NULL);
	CHECK_CONTAINS(err.msg, "cannot load libarchive 'libep-missing.so.0' (named by "
				"EP_ARCHIVE_LIBRARY), needed for unpacking archives: ");
	CHECK_CONTAINS(err.msg, "cannot open shared object file");
	CHECK_CONTAINS(err.msg, "; install it with: apt-get install libarchive13");
	unsetenv("EP_ARCHIVE_LIBRARY");

	/* Remembered: the same answer without trying again. */
	CHECK_INT(ep_dynlib__archive(&a, &again), EP_EPREFLIGHT);
	CHECK_STR(again.msg, err.msg);

	/* The archive module passes it on before it opens anything. */
	ep_error_clear(&again);
	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(ep_archive_extract_safe(EP_SOURCE_DIR "/CMakeLists.txt", dir, NULL, NULL, &again),
		  EP_EPREFLIGHT);
	CHECK_STR(again.msg, err.msg);
	CHECK_INT(rmdir(dir), 0);
}

/* Without libcrypto no digest is made, and none is left half-written. */
TEST(missing_crypto_fails_every_digest)
{
	struct ep_error err = EP_ERROR_INIT, again = EP_ERROR_INIT;
	struct ep_sha256 *h = (struct ep_sha256 *)&h;
	char d[EP_DIGEST_LEN] = "x";

	setenv("EP_CRYPTO_LIBRARY", "libep-missing.so.0", 1);
	CHECK_INT(ep_sha256_new(&h), EP_EPREFLIGHT);
	CHECK(h == NULL);
	ep_sha256_free(h);
	CHECK_INT(ep_sha256_buf(d, "abc", 3), EP_EPREFLIGHT);
	CHECK_STR(d, "");
	CHECK_INT(ep_sha256_ready(&err), EP_EPREFLIGHT);
	CHECK_CONTAINS(err.msg, "cannot load libcrypto 'libep-missing.so.0' (named by "
				"EP_CRYPTO_LIBRARY), needed for sha256 digests: ");
	CHECK_CONTAINS(err.msg, "; install it with: apt-get install libssl3");
	CHECK_INT(ep_sha256_file(d, EP_SOURCE_DIR "/CMakeLists.txt", &again), EP_EPREFLIGHT);
	CHECK_STR(again.msg, err.msg);
	unsetenv("EP_CRYPTO_LIBRARY");
}

TESTS(T(curl_loads_once_from_many_threads), T(missing_library_names_the_package),
      T(missing_crypto_fails_every_digest))
