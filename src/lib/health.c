/*
 * HTTP probes of a running engine, through the library's one small GET
 * (ep_download__get): one health probe, the wait for health (from the first
 * moment, 10 ms doubling to 500 ms, 503 meaning "still loading"), and the
 * engine's version from its properties endpoint. Proxies are never used:
 * the engine is on this host.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ep/log.h"
#include "download_int.h"
#include "engine_internal.h"
#include "ep/external.h"
#include "dynlib.h"
#include "banned.h"

#define HTTP_BODY_MAX (1024 * 1024)

int ep_health__probe(const char *url, long timeout_ms)
{
	struct ep_error err = EP_ERROR_INIT;
	long status = 0;

	ep_download__get(NULL, &status, url, HTTP_BODY_MAX, timeout_ms, EP_GET_DIRECT, &err);
	return (int)status;
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
		    struct ep_proc *proc, const struct ep_pidrec *watch)
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
		int status;

		if (proc && ep_proc_poll(proc, &out->exit_status, NULL) == 1) {
			out->outcome = EP_HEALTH_EXITED;
			break;
		}
		if (!proc && watch && !ep_pidrec__alive(watch)) {
			out->outcome = EP_HEALTH_EXITED;
			out->exit_status = -1;
			break;
		}
		if (left <= 0) {
			out->outcome = EP_HEALTH_TIMEOUT;
			break;
		}
		status = ep_health__probe(url, left < 2000 ? (long)left : 2000L);
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
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf body = EP_BUF_INIT;
	long status = 0;

	ep_download__get(&body, &status, url, HTTP_BODY_MAX, 5000, EP_GET_DIRECT, &err);
	*out = status == 200 ? ep_engine_version_from_json(body.ptr, body.len) : NULL;
	ep_buf_release(&body);
	return *out ? 0 : EP_ENOTFOUND;
}
