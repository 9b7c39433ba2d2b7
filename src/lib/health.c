/*
 * HTTP probes of a running engine through libcurl: one GET, the wait for
 * health (from the first moment, 10 ms doubling to 500 ms, 503 meaning
 * "still loading"), and the engine's version from its properties endpoint.
 * Proxies are never used: the engine is on this host.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ep/log.h"
#include "engine_internal.h"
#include "ep/external.h"
#include "dynlib.h"
#include "banned.h"

#define HTTP_BODY_MAX (1024 * 1024)

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct ep_buf *b = ctx;

	if (b && ep_buf_add(b, data, size * n))
		return 0;
	return size * n;
}

/* Every socket close-on-exec, so no probe leaks into a child started later. */
static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)ctx;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

int ep_http__get(int *status_out, struct ep_buf *body, const char *url, long timeout_ms)
{
	const struct ep_curl_api *cu;
	CURL *c;
	CURLcode cc;
	long code = 0;
	int rc;

	*status_out = 0;
	if ((rc = ep_dynlib__curl(&cu, NULL)))
		return rc;
	c = cu->easy_init();
	if (!c)
		return EP_ENOMEM;
	if (body)
		ep_buf_init(body, HTTP_BODY_MAX);
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_NOPROXY, "*");
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, body);
	cu->easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	cc = cu->easy_perform(c);
	if (cc == CURLE_OK && cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
		*status_out = (int)code;
	cu->easy_cleanup(c);
	return 0;
}

int ep_http__base_url(struct ep_buf *out, const char *host, uint16_t port)
{
	ep_buf_reset(out);
	if (!host || !*host || !strcmp(host, "0.0.0.0"))
		host = "127.0.0.1";
	else if (!strcmp(host, "::"))
		host = "::1";
	if (strchr(host, ':'))
		return ep_buf_addf(out, "http://[%s]:%u", host, (unsigned)port);
	return ep_buf_addf(out, "http://%s:%u", host, (unsigned)port);
}

/* Wait up to `ms` or until the child ends, whichever comes first. */
static void nap(int pidfd, int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	if (pidfd >= 0) {
		struct pollfd p = {pidfd, POLLIN, 0};

		(void)poll(&p, 1, (int)ms);
		return;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int ep_health__wait(struct ep_health_result *out, const char *url, int64_t timeout_ms,
		    struct ep_proc *proc)
{
	int64_t start = ep_now_ms(), interval = 10;
	int pidfd = -1;

	memset(out, 0, sizeof(*out));
#ifdef SYS_pidfd_open
	if (proc)
		pidfd = (int)syscall(SYS_pidfd_open, ep_proc_pid(proc), 0);
#endif
	for (;;) {
		int64_t left = timeout_ms - (ep_now_ms() - start);
		int status = 0;

		if (proc && ep_proc_poll(proc, &out->exit_status, NULL) == 1) {
			out->outcome = EP_HEALTH_EXITED;
			break;
		}
		if (left <= 0) {
			out->outcome = EP_HEALTH_TIMEOUT;
			break;
		}
		ep_http__get(&status, NULL, url, left < 2000 ? (long)left : 2000L);
		out->polls++;
		if (status)
			out->last_status = status;
		if (status == 200) {
			out->outcome = EP_HEALTH_OK;
			break;
		}
		left = timeout_ms - (ep_now_ms() - start);
		nap(pidfd, interval < left ? interval : left);
		interval = interval * 2 > 500 ? 500 : interval * 2;
	}
	out->ms = ep_now_ms() - start;
	if (pidfd >= 0)
		close(pidfd);
	return 0;
}

int ep_health__version(char **out, const char *url)
{
	struct ep_buf body = EP_BUF_INIT;
	int status = 0;

	ep_http__get(&status, &body, url, 5000);
	*out = status == 200 ? ep_engine_version_from_json(body.ptr, body.len) : NULL;
	ep_buf_release(&body);
	return *out ? 0 : EP_ENOTFOUND;
}
