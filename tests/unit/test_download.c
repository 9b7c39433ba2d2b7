/*
 * The URL policy of binary downloads, the engine version parser, and the one
 * small GET that external mode (ep_download_get) and up/status (health.c)
 * share, against a real server on 127.0.0.1.
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ep/download.h"
#include "ep/external.h"
#include "download_int.h"
#include "engine_internal.h"
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

/* A socket bound to a free port of 127.0.0.1; nothing answers there until it listens. */
static int bound_socket(int *port_out)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*port_out = 0;
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, len) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		*port_out = ntohs(sa.sin_port);
	return fd;
}

/* Answer one request on `fd` by its path: /props, /big (2 MiB), /redirect, else 404. */
static void answer(int fd, int dead)
{
	char req[4096], head[256];
	size_t len = 0, i, big = 2u << 20;
	const char *body = "", *status = "404 Not Found";
	char loc[128] = "";
	ssize_t n;
	int hn;

	while (len + 1 < sizeof(req) && (n = read(fd, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[len] = '\0';
	if (!strncmp(req, "GET /props ", 11)) {
		status = "200 OK";
		body = "{\"build_info\":\"b7-abc1234\"}";
	} else if (!strncmp(req, "GET /redirect ", 14)) {
		status = "302 Found";
		snprintf(loc, sizeof(loc), "Location: http://127.0.0.1:%d/props\r\n", dead);
	}
	if (!strncmp(req, "GET /big ", 9)) {
		hn = snprintf(head, sizeof(head),
			      "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: "
			      "close\r\n\r\n{\"build_info\":\"",
			      big);
		if (write(fd, head, (size_t)hn) < 0)
			return;
		memset(req, 'x', sizeof(req));
		for (i = (size_t)hn; i < big; i += sizeof(req))
			if (write(fd, req, sizeof(req)) < 0)
				return;
		return;
	}
	hn = snprintf(head, sizeof(head),
		      "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
		      loc, strlen(body));
	if (write(fd, head, (size_t)hn) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

/* Serve `lfd` in a child until it is killed. */
static pid_t serve(int lfd, int dead)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		answer(fd, dead);
		close(fd);
	}
}

TEST(small_get)
{
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf body = EP_BUF_INIT, url = EP_BUF_INIT;
	int port, dead, lfd = bound_socket(&port), dfd = bound_socket(&dead);
	long code = -1;
	char *v = NULL;
	pid_t pid;

	CHECK(port > 0 && dead > 0);
	CHECK_INT(listen(lfd, 16), 0);
	pid = serve(lfd, dead);

	/* external mode's form: the body, its status */
	ep_buf_addf(&url, "http://127.0.0.1:%d/props", port);
	CHECK_INT(ep_download_get(&body, &code, url.ptr, 1 << 20, 10000, &err), 0);
	CHECK_INT(code, 200);
	CHECK_STR(body.ptr, "{\"build_info\":\"b7-abc1234\"}");

	/* a redirect is the answer, not followed (its target has nobody listening) */
	ep_buf_reset(&url);
	ep_buf_addf(&url, "http://127.0.0.1:%d/redirect", port);
	CHECK_INT(ep_download_get(&body, &code, url.ptr, 1 << 20, 10000, &err), 0);
	CHECK_INT(code, 302);

	/* over the cap: an error and status 0, for a kept and for a dropped body */
	ep_buf_reset(&url);
	ep_buf_addf(&url, "http://127.0.0.1:%d/big", port);
	code = -1;
	CHECK_INT(ep_download_get(&body, &code, url.ptr, 1 << 20, 10000, &err), EP_EFETCH);
	CHECK_CONTAINS(err.msg, "larger than 1048576 bytes");
	CHECK_INT(code, 0);
	CHECK(body.len <= 1 << 20);
	code = -1;
	CHECK_INT(ep_download__get(NULL, &code, url.ptr, 1 << 20, 10000, EP_GET_DIRECT, &err),
		  EP_EFETCH);
	CHECK_INT(code, 0);
	CHECK_INT(ep_health__probe(url.ptr, 10000), 0);
	CHECK_INT(ep_health__version(&v, url.ptr), EP_ENOTFOUND);
	CHECK(v == NULL);

	/* nothing answers: status 0 */
	ep_buf_reset(&url);
	ep_buf_addf(&url, "http://127.0.0.1:%d/props", dead);
	code = -1;
	CHECK_INT(ep_download_get(&body, &code, url.ptr, 1 << 20, 10000, &err), EP_EFETCH);
	CHECK_CONTAINS(err.msg, "cannot reach");
	CHECK_INT(code, 0);
	CHECK_INT(ep_health__probe(url.ptr, 10000), 0);

	/* up/status probes never go through a proxy, even a dead one */
	setenv("http_proxy", url.ptr, 1);
	ep_buf_reset(&url);
	ep_buf_addf(&url, "http://127.0.0.1:%d/props", port);
	CHECK_INT(ep_health__probe(url.ptr, 10000), 200);
	CHECK_INT(ep_health__version(&v, url.ptr), 0);
	CHECK_STR(v, "b7 (abc1234)");
	unsetenv("http_proxy");

	free(v);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(lfd);
	close(dfd);
	ep_buf_release(&body);
	ep_buf_release(&url);
}

TESTS(T(url_policy), T(file_url_path), T(version_parse), T(small_get))
