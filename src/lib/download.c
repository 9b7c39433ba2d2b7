/*
 * Verified downloads: the URL policy, the cache check, the retry loop with
 * jittered exponential backoff, local copies for air-gapped hosts, and the
 * checksum gate before a file is renamed into place. One HTTP request is
 * download_http.c's job.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/log.h"
#include "download_int.h"
#include "dynlib.h"
#include "banned.h"

static bool host_is_loopback(const char *host)
{
	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]") || !strcmp(host, "::1"))
		return true;
	if (strncmp(host, "127.", 4))
		return false;
	for (host += 4; *host; host++)
		if (!strchr("0123456789.", *host))
			return false;
	return true;
}

int ep_download_check_url(enum ep_download_kind *kind, struct ep_buf *local_path, const char *url,
			  struct ep_error *err)
{
	const struct ep_curl_api *cu;
	CURLU *u;
	char *scheme = NULL, *host = NULL, *path = NULL;
	int rc = 0;

	if (!url || !*url)
		return ep_error_set(err, EP_ECONFIG, "the download URL is empty");
	if (url[0] == '/' || !strstr(url, ":")) {
		*kind = EP_DOWNLOAD_LOCAL;
		if (local_path && (ep_buf_reset(local_path), ep_fs_absolute(local_path, url)))
			return ep_error_set(err, EP_ENOMEM, "out of memory");
		return 0;
	}
	if ((rc = ep_dynlib__curl(&cu, err)))
		return rc;
	u = cu->url();
	if (!u)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	if (cu->url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ||
	    cu->url_get(u, CURLUPART_SCHEME, &scheme, 0)) {
		rc = ep_error_set(err, EP_EUNSAFE, "cannot parse the download URL '%s'", url);
		goto out;
	}
	cu->url_get(u, CURLUPART_HOST, &host, 0);
	if (!strcmp(scheme, "https")) {
		*kind = EP_DOWNLOAD_HTTPS;
	} else if (!strcmp(scheme, "http")) {
		if (!host || !host_is_loopback(host)) {
			rc = ep_error_set(err, EP_EUNSAFE,
					  "download URL '%s' uses plain http; use https (http is "
					  "allowed only to 127.0.0.1, ::1 or localhost)",
					  url);
			goto out;
		}
		*kind = EP_DOWNLOAD_HTTP_LOOPBACK;
	} else if (!strcmp(scheme, "file")) {
		if (host && *host && strcasecmp(host, "localhost")) {
			rc = ep_error_set(err, EP_EUNSAFE,
					  "file URL '%s' names a host; use file:///path", url);
			goto out;
		}
		if (cu->url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) || !path || !*path) {
			rc = ep_error_set(err, EP_EUNSAFE, "file URL '%s' has no path", url);
			goto out;
		}
		*kind = EP_DOWNLOAD_LOCAL;
		if (local_path && (ep_buf_reset(local_path), ep_buf_adds(local_path, path)))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	} else {
		rc = ep_error_set(err, EP_EUNSAFE,
				  "download URL '%s' has scheme '%s'; use https, file: or a local "
				  "path",
				  url, scheme);
	}
out:
	cu->free(scheme);
	cu->free(host);
	cu->free(path);
	cu->url_cleanup(u);
	return rc;
}

/* Copy a local file into the partial file, hashing it on the way. */
static int copy_local(struct ep_attempt *a, const char *src, struct ep_error *err)
{
	char chunk[1 << 16];
	struct ep_sha256 *h = NULL;
	int in, out, rc = 0;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ep_error_sys(err, errno == ENOENT ? EP_ENOTFOUND : EP_EIO,
				    "cannot open '%s'", src);
	out = open(a->partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0) {
		close(in);
		return ep_error_sys(err, EP_EIO, "cannot create '%s'", a->partial);
	}
	if ((rc = ep_sha256_new(&h)))
		rc = rc == EP_EPREFLIGHT ? ep_sha256_ready(err)
					 : ep_error_set(err, rc, "out of memory");
	a->received = 0;
	while (!rc) {
		ssize_t n = read(in, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = ep_error_sys(err, EP_EIO, "cannot read '%s'", src);
		if (n <= 0)
			break;
		if (a->received + (uint64_t)n > a->max_bytes) {
			rc = ep_error_set(err, EP_EFETCH,
					  "'%s' exceeds the size cap of %" PRIu64 " bytes", src,
					  a->max_bytes);
			break;
		}
		if (ep_fs_write_all(out, chunk, (size_t)n)) {
			rc = ep_error_sys(err, EP_EIO, "cannot write '%s'", a->partial);
			break;
		}
		ep_sha256_update(h, chunk, (size_t)n);
		a->received += (uint64_t)n;
	}
	close(in);
	if (close(out) && !rc)
		rc = ep_error_sys(err, EP_EIO, "cannot write '%s'", a->partial);
	if (!rc)
		a->have_digest = ep_sha256_final(h, a->digest) == 0;
	else
		ep_sha256_free(h);
	return rc;
}

/* Sleep `ms` milliseconds, resuming after signals. */
static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The delay before retry `n` (1-based): 100 ms doubling, capped, half of it jittered. */
static long backoff_delay(const struct ep_download_opts *o, unsigned n, long retry_after_s)
{
	long base = o && o->backoff_ms ? (long)o->backoff_ms : 100;
	long cap = o && o->backoff_cap_ms ? (long)o->backoff_cap_ms : 10000;
	long ra_cap = o && o->retry_after_cap_s ? (long)o->retry_after_cap_s : 60;
	unsigned r = 0;
	long d = base;

	while (--n && d < cap)
		d *= 2;
	if (d > cap)
		d = cap;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)ep_now_ms();
	d = d / 2 + (long)(r % (unsigned)(d / 2 + 1));
	if (retry_after_s > 0)
		d = (retry_after_s > ra_cap ? ra_cap : retry_after_s) * 1000;
	return d;
}

/* Hash (when not streamed), compare, and move the verified file into place. */
static int verify_and_publish(struct ep_attempt *a, const char *dest, const char *expected,
			      struct ep_error *err)
{
	char got[EP_DIGEST_LEN];
	struct ep_buf dir = EP_BUF_INIT;
	int fd, rc;

	if (a->have_digest)
		memcpy(got, a->digest, sizeof(got));
	else if ((rc = ep_sha256_file(got, a->partial, err)))
		return rc;
	if (strcmp(got, expected)) {
		unlink(a->partial);
		return ep_error_set(err, EP_EVERIFY,
				    "checksum mismatch for '%s': expected %s, got %s; the "
				    "downloaded bytes were deleted",
				    a->shown_url, expected, got);
	}
	fd = open(a->partial, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fsync(fd)) {
		if (fd >= 0)
			close(fd);
		return ep_error_sys(err, EP_EIO, "cannot fsync '%s'", a->partial);
	}
	close(fd);
	if (rename(a->partial, dest))
		return ep_error_sys(err, EP_EIO, "cannot rename '%s' to '%s'", a->partial, dest);
	ep_fs_dirname(&dir, dest);
	rc = ep_fs_fsync_dir(dir.ptr, err);
	ep_buf_release(&dir);
	return rc;
}

/* Is the cached `dest` the file we want? A damaged one is deleted. */
static bool cached_ok(const char *dest, const char *expected, const char *shown_url)
{
	char got[EP_DIGEST_LEN];
	struct ep_error e = EP_ERROR_INIT;

	if (!ep_fs_exists(dest))
		return false;
	if (!ep_sha256_file(got, dest, &e) && !strcmp(got, expected))
		return true;
	ep_narrate(EP_LOG_WARN, "download", "discard", dest, NULL, -1,
		   "cached download of '%s' is damaged; fetching it again", shown_url);
	unlink(dest);
	return false;
}

/* The retry loop over HTTP attempts (network sources only). */
static int fetch_http(struct ep_attempt *a, struct ep_download_stats *st, struct ep_error *err)
{
	const struct ep_download_opts *o = a->opts;
	unsigned max = o && o->max_attempts ? o->max_attempts : EP_DOWNLOAD_DEFAULT_ATTEMPTS, n;

	for (n = 1;; n++) {
		enum ep_attempt_outcome out;
		long delay;

		ep_error_clear(err);
		out = ep_download__attempt(a, err);
		st->attempts++;
		st->bytes += a->received;
		if (a->offset && !a->restarted)
			st->resumed_from = a->offset;
		if (a->restarted) {
			st->restarts++;
			ep_narrate(EP_LOG_INFO, "download", "restart", a->shown_url,
				   o ? o->pool_id : NULL, -1,
				   "server ignored the range request for '%s'; started over",
				   a->shown_url);
		}
		if (out == EP_ATTEMPT_DONE)
			return 0;
		if (out == EP_ATTEMPT_FATAL) {
			if (err->code != EP_EIO)
				unlink(a->partial);
			return err->code;
		}
		if (out == EP_ATTEMPT_RESTART)
			unlink(a->partial);
		if (n >= max)
			return ep_error_prefix(err, "gave up after %u attempts", n);
		delay = out == EP_ATTEMPT_RESTART ? 0 : backoff_delay(o, n, a->retry_after_s);
		ep_narrate(EP_LOG_WARN, "download", "retry", a->shown_url, o ? o->pool_id : NULL,
			   -1, "%s; retrying in %ld ms (attempt %u of %u)", err->msg, delay, n + 1,
			   max);
		if (delay)
			sleep_ms(delay);
	}
}

int ep_download_file(const char *url, const char *dest, const char *expected,
		     const struct ep_download_opts *opts, struct ep_download_stats *stats,
		     struct ep_error *err)
{
	struct ep_download_stats local_stats;
	struct ep_buf shown = EP_BUF_INIT, partial = EP_BUF_INIT, src = EP_BUF_INIT;
	struct ep_attempt a;
	enum ep_download_kind kind = EP_DOWNLOAD_HTTPS;
	int64_t t0 = ep_now_ms();
	char size[32];
	int rc;

	if (!stats)
		stats = &local_stats;
	memset(stats, 0, sizeof(*stats));
	if (!expected || !ep_digest_is_valid(expected))
		return ep_error_set(err, EP_ECONFIG,
				    "checksum '%s' for '%s' is not sha256:<64 lower-case hex>",
				    expected ? expected : "", url);
	if ((rc = ep_download_check_url(&kind, &src, url, err)))
		goto out;
	ep_redact(&shown, url);
	ep_buf_addf(&partial, "%s.partial", dest);
	if (cached_ok(dest, expected, shown.ptr)) {
		stats->cached = true;
		ep_narrate(EP_LOG_INFO, "download", "cached", shown.ptr,
			   opts ? opts->pool_id : NULL, ep_now_ms() - t0,
			   "using the verified cached download of '%s'", shown.ptr);
		goto out;
	}
	if (kind != EP_DOWNLOAD_LOCAL && opts && opts->offline) {
		rc = ep_error_set(err, EP_EFETCH,
				  "'%s' is not in the download cache and the run is offline; "
				  "fetch it once online or use a file: URL",
				  shown.ptr);
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.url = url;
	a.shown_url = shown.ptr;
	a.partial = partial.ptr;
	a.kind = kind;
	a.opts = opts;
	a.max_bytes = opts && opts->max_bytes ? opts->max_bytes : EP_DOWNLOAD_DEFAULT_MAX_BYTES;
	a.stall_s = opts && opts->stall_s ? opts->stall_s : EP_DOWNLOAD_DEFAULT_STALL_S;
	ep_narrate(EP_LOG_INFO, "download", "start", shown.ptr, opts ? opts->pool_id : NULL, -1,
		   "downloading '%s'", shown.ptr);
	if (kind == EP_DOWNLOAD_LOCAL) {
		rc = copy_local(&a, src.ptr, err);
		stats->bytes = a.received;
		if (rc)
			unlink(partial.ptr);
	} else {
		rc = fetch_http(&a, stats, err);
	}
	if (!rc)
		rc = verify_and_publish(&a, dest, expected, err);
	stats->duration_ms = ep_now_ms() - t0;
	if (!rc) {
		ep_download__human_bytes(size, sizeof(size), stats->bytes);
		ep_narrate(EP_LOG_INFO, "download", "done", shown.ptr, opts ? opts->pool_id : NULL,
			   stats->duration_ms, "downloaded and verified '%s' (%s, %u request%s)",
			   shown.ptr, size, stats->attempts, stats->attempts == 1 ? "" : "s");
	}
out:
	ep_buf_release(&shown);
	ep_buf_release(&partial);
	ep_buf_release(&src);
	return rc;
}
