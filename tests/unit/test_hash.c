/*
 * SHA-256 through the libcrypto loaded on first use: known answers (FIPS
 * 180-2's "abc", the empty input), piecewise updates equal to one buffer,
 * files, a first use from many threads at once, and digest syntax.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "ep/hash.h"
#include "test.h"

#define ABC	  "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define EMPTY	  "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define N_THREADS 8

static void *digest_abc(void *out)
{
	if (ep_sha256_buf(out, "abc", 3))
		((char *)out)[0] = '\0';
	return NULL;
}

/* First: the threads race to load libcrypto. */
TEST(first_use_from_many_threads)
{
	char d[N_THREADS][EP_DIGEST_LEN];
	pthread_t t[N_THREADS];
	int i;

	for (i = 0; i < N_THREADS; i++)
		CHECK_INT(pthread_create(&t[i], NULL, digest_abc, d[i]), 0);
	for (i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < N_THREADS; i++)
		CHECK_STR(d[i], ABC);
}

TEST(known_answers)
{
	struct ep_error err = EP_ERROR_INIT;
	struct ep_sha256 *h;
	char d[EP_DIGEST_LEN];

	CHECK_INT(ep_sha256_ready(&err), 0);
	CHECK_INT(ep_sha256_buf(d, "", 0), 0);
	CHECK_STR(d, EMPTY);
	CHECK_INT(ep_sha256_new(&h), 0);
	CHECK_INT(ep_sha256_update(h, "a", 1), 0);
	CHECK_INT(ep_sha256_update(h, "", 0), 0);
	CHECK_INT(ep_sha256_update(h, "bc", 2), 0);
	CHECK_INT(ep_sha256_final(h, d), 0);
	CHECK_STR(d, ABC);
	CHECK_INT(ep_sha256_new(&h), 0);
	ep_sha256_free(h); /* abandoned digests are freed */
	ep_sha256_free(NULL);
}

TEST(files)
{
	struct ep_error err = EP_ERROR_INIT;
	char path[] = "/tmp/ep-hash-XXXXXX", d[EP_DIGEST_LEN];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, "abc", 3), 3);
	close(fd);
	CHECK_INT(ep_sha256_file(d, path, &err), 0);
	CHECK_STR(d, ABC);
	CHECK_INT(unlink(path), 0);
	CHECK_INT(ep_sha256_file(d, path, &err), EP_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "cannot open '/tmp/ep-hash-");
}

TEST(digest_syntax)
{
	CHECK(ep_digest_is_valid(ABC));
	CHECK(!ep_digest_is_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F"
				  "20015AD"));
	CHECK(!ep_digest_is_valid("sha256:ba78"));
	CHECK(!ep_digest_is_valid(ABC "0"));
	CHECK(!ep_digest_is_valid("md5:ba7816bf8f01cfea414140de5dae2223"));
}

TESTS(T(first_use_from_many_threads), T(known_answers), T(files), T(digest_syntax))
