/* The URL policy of binary downloads and the engine version parser. */
#include <stdlib.h>

#include "ep/download.h"
#include "ep/external.h"
#include "test.h"

static int policy(const char *url, enum ep_download_kind *kind)
{
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf path = EP_BUF_INIT;
	int rc = ep_download_check_url(kind, &path, url, &err);

	ep_buf_release(&path);
	return rc;
}

TEST(url_policy)
{
	enum ep_download_kind k;

	CHECK_INT(policy("https://github.com/x/y.zip", &k), 0);
	CHECK_INT(k, EP_DOWNLOAD_HTTPS);
	CHECK_INT(policy("http://127.0.0.1:8080/y.zip", &k), 0);
	CHECK_INT(k, EP_DOWNLOAD_HTTP_LOOPBACK);
	CHECK_INT(policy("http://127.9.9.9/y.zip", &k), 0);
	CHECK_INT(policy("http://[::1]:80/y.zip", &k), 0);
	CHECK_INT(policy("http://LOCALHOST/y.zip", &k), 0);
	CHECK_INT(policy("http://example.com/y.zip", &k), EP_EUNSAFE);
	CHECK_INT(policy("http://127.0.0.1.example.com/y.zip", &k), EP_EUNSAFE);
	CHECK_INT(policy("http://10.0.0.1/y.zip", &k), EP_EUNSAFE);
	CHECK_INT(policy("ftp://127.0.0.1/y.zip", &k), EP_EUNSAFE);
	CHECK_INT(policy("scp://host/y.zip", &k), EP_EUNSAFE);
	CHECK_INT(policy("file://otherhost/y.zip", &k), EP_EUNSAFE);
	CHECK_INT(policy("file:///srv/y.zip", &k), 0);
	CHECK_INT(k, EP_DOWNLOAD_LOCAL);
	CHECK_INT(policy("/srv/y.zip", &k), 0);
	CHECK_INT(k, EP_DOWNLOAD_LOCAL);
	CHECK_INT(policy("relative/y.zip", &k), 0);
	CHECK_INT(policy("", &k), EP_ECONFIG);
}

TEST(file_url_path)
{
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf path = EP_BUF_INIT;
	enum ep_download_kind k;

	CHECK_INT(ep_download_check_url(&k, &path, "file:///srv/a%20b.zip", &err), 0);
	CHECK_STR(path.ptr, "/srv/a b.zip");
	ep_buf_release(&path);
}

static void version(const char *text, const char *want)
{
	char *v = NULL;

	CHECK_INT(ep_engine_version_parse(&v, text), 0);
	CHECK_STR(v, want);
	free(v);
}

TEST(version_parse)
{
	version("version: 4567 (abc1234)\nbuilt with cc\n", "b4567 (abc1234)");
	version("0.00.001 I srv init\nversion: 0.5.0-dev (build 1, commit de3ff81)\n",
		"b1 (de3ff81)");
	version("b7000-de3ff81", "b7000 (de3ff81)");
	version("version: custom build\n", "custom build");
	version("vllm 0.6.3\n", "vllm 0.6.3");
}

TESTS(T(url_policy), T(file_url_path), T(version_parse))
