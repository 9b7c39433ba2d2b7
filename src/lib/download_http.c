/*
 * One HTTP(S) request of a download, with libcurl: resume from the partial
 * file with Range, stream the body into it through the sha256, enforce the
 * size cap and the stall timeout, refuse redirects to anything but https,
 * and classify how it ended (done, transient, restart, fatal) for the retry
 * loop in download.c. Draws the progress line when asked. Also the one small
 * GET (a health or version endpoint) of external mode and of up/status.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/log.h"
#include "download_int.h"
#include "dynlib.h"
#include "banned.h"

struct xfer {
	struct ep_attempt *a;
	const struct ep_curl_api *cu;
	CURL *c;
	int fd;
	struct ep_sha256 *h; /* NULL once the hash cannot cover the whole body */
	bool body_started;
	bool too_big;
	bool range_mismatch;
	int write_errno;
	long range_start;    /* from Content-Range, -1 when absent */
	char location[1024]; /* the last Location header */
	int64_t started_ms, last_draw_ms;
};

/* Every socket close-on-exec, so no request leaks into a child started meanwhile. */
static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *sa)
{
	(void)ctx;
	(void)purpose;
	return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

void ep_download__human_bytes(char *out, size_t len, uint64_t n)
{
	if (n >= (1ull << 30))
		snprintf(out, len, "%.1f GiB", (double)n / (double)(1ull << 30));
	else if (n >= (1ull << 20))
		snprintf(out, len, "%.1f MiB", (double)n / (double)(1ull << 20));
	else if (n >= 1024)
		snprintf(out, len, "%.1f KiB", (double)n / 1024.0);
	else
		snprintf(out, len, "%" PRIu64 " B", n);
}

/*
 * The first body byte decides what the answer means: a 200 to a ranged
 * request restarts the file (and the hash) at zero; a 206 whose range does
 * not start where we asked is refused; error bodies are dropped.
 */
static bool start_body(struct xfer *x)
{
	struct ep_attempt *a = x->a;
	long code = 0;

	x->cu->easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &code);
	a->status = code;
	if (code != 200 && code != 206)
		return true;
	if (a->offset && code == 200) {
		if (ftruncate(x->fd, 0) || lseek(x->fd, 0, SEEK_SET) < 0) {
			x->write_errno = errno;
			return false;
		}
		a->offset = 0;
		a->restarted = true;
		if (!x->h && ep_sha256_new(&x->h))
			x->h = NULL;
	} else if (code == 206 && x->range_start != (long)a->offset) {
		x->range_mismatch = true;
		return false;
	}
	x->body_started = true;
	return true;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	struct ep_attempt *a = x->a;
	size_t len = size * nmemb;

	if (!x->body_started && !start_body(x))
		return 0;
	if (a->status != 200 && a->status != 206)
		return len; /* an error page: drop it */
	if (a->offset + a->received + len > a->max_bytes) {
		x->too_big = true;
		return 0;
	}
	if (ep_fs_write_all(x->fd, data, len)) {
		x->write_errno = errno;
		return 0;
	}
	if (x->h)
		ep_sha256_update(x->h, data, len);
	a->received += len;
	return len;
}

/* Headers: remember Content-Range and Location of the latest response. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = size * nmemb, n;
	char line[1100];

	n = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (!strncmp(line, "HTTP/", 5)) {
		x->range_start = -1;
		x->location[0] = '\0';
	} else if (!strncasecmp(line, "content-range:", 14)) {
		const char *p = line + 14;
		char *end;
		long v;

		p += strspn(p, " \t");
		if (!strncasecmp(p, "bytes ", 6)) {
			errno = 0;
			v = strtol(p + 6, &end, 10);
			if (!errno && end != p + 6 && *end == '-')
				x->range_start = v;
		}
	} else if (!strncasecmp(line, "location:", 9)) {
		const char *p = line + 9;

		p += strspn(p, " \t");
		snprintf(x->location, sizeof(x->location), "%s", p);
	}
	return len;
}

/* The progress line: at most four times a second, on stderr. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = ctx;
	struct ep_attempt *a = x->a;
	int64_t now = ep_now_ms();
	char have[32], total[32], rate[32];
	double secs;

	(void)ultotal;
	(void)ulnow;
	if (now - x->last_draw_ms < 250)
		return 0;
	x->last_draw_ms = now;
	secs = (double)(now - x->started_ms) / 1000.0;
	ep_download__human_bytes(have, sizeof(have), a->offset + (uint64_t)dlnow);
	ep_download__human_bytes(rate, sizeof(rate),
				 secs > 0 ? (uint64_t)((double)dlnow / secs) : 0);
	if (dltotal > 0) {
		ep_download__human_bytes(total, sizeof(total), a->offset + (uint64_t)dltotal);
		fprintf(
		    stderr, "\r\033[Kdownloading: %s / %s (%d%%), %s/s", have, total,
		    (int)((a->offset + (uint64_t)dlnow) * 100 / (a->offset + (uint64_t)dltotal)),
		    rate);
	} else {
		fprintf(stderr, "\r\033[Kdownloading: %s, %s/s", have, rate);
	}
	fflush(stderr);
	return 0;
}

/* Extra trust roots: the option, else $EP_CA_FILE, else $CURL_CA_BUNDLE (as curl(1) reads it). */
static const char *ca_file_for(const struct ep_download_opts *o)
{
	const char *env = getenv("EP_CA_FILE");

	if (o && o->ca_file)
		return o->ca_file;
	return env && *env ? env : getenv("CURL_CA_BUNDLE");
}

static bool is_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool is_tls(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

static void set_common(const struct ep_curl_api *cu, CURL *c, const struct ep_attempt *a,
		       const char *ca_file, char *errbuf)
{
	const struct ep_download_opts *o = a->opts;

	cu->easy_setopt(c, CURLOPT_URL, a->url);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu->easy_setopt(c, CURLOPT_USERAGENT, "engine-provisioner/" EP_VERSION);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR,
			a->kind == EP_DOWNLOAD_HTTP_LOOPBACK ? "http,https" : "https");
	cu->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	cu->easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			(long)(o && o->connect_timeout_s ? o->connect_timeout_s : 30));
	cu->easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	cu->easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)a->stall_s);
	cu->easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
	cu->easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)a->max_bytes);
	cu->easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	if (ca_file && *ca_file)
		cu->easy_setopt(c, CURLOPT_CAINFO, ca_file);
}

/* Map a finished transfer to an outcome; writes err unless it is DONE. */
static enum ep_attempt_outcome classify(struct xfer *x, CURLcode rc, const char *cerr,
					struct ep_error *err)
{
	struct ep_attempt *a = x->a;
	const char *u = a->shown_url;
	curl_off_t ra = -1;

	if (x->write_errno) {
		bool full = x->write_errno == ENOSPC || x->write_errno == EDQUOT;

		/* a partial file is kept to resume, unless keeping it is what fills the disk */
		if (full)
			unlink(a->partial);
		errno = x->write_errno;
		ep_error_sys(err, EP_EIO, "cannot write '%s'%s", a->partial,
			     full ? " (deleted it to give the space back; free some space and run "
				    "ensure again)"
				  : "");
		return EP_ATTEMPT_FATAL;
	}
	if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		ep_error_set(err, EP_EFETCH,
			     "download of '%s' exceeds the size cap of %" PRIu64
			     " bytes; the partial file was deleted",
			     u, a->max_bytes);
		return EP_ATTEMPT_FATAL;
	}
	if (x->range_mismatch) {
		ep_error_set(err, EP_EFETCH, "server answered a different range for '%s'", u);
		return EP_ATTEMPT_RESTART;
	}
	if (rc == CURLE_UNSUPPORTED_PROTOCOL && x->location[0]) {
		ep_error_set(err, EP_EUNSAFE,
			     "download of '%s' refused: it redirects to '%s' and only https "
			     "redirects are followed",
			     u, x->location);
		return EP_ATTEMPT_FATAL;
	}
	if (is_tls(rc)) {
		ep_error_set(err, EP_EFETCH,
			     "TLS failure downloading '%s': %s; check the server's certificate "
			     "(EP_CA_FILE names extra trust roots)",
			     u, cerr[0] ? cerr : x->cu->easy_strerror(rc));
		return EP_ATTEMPT_FATAL;
	}
	if (rc != CURLE_OK) {
		ep_error_set(err, EP_EFETCH, "download of '%s' failed: %s", u,
			     cerr[0] ? cerr : x->cu->easy_strerror(rc));
		return is_transient(rc) ? EP_ATTEMPT_TRANSIENT : EP_ATTEMPT_FATAL;
	}
	x->cu->easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &a->status);
	if (a->status == 200 || a->status == 206) {
		if (!x->body_started && !start_body(x)) /* an empty body */
			return classify(x, CURLE_WRITE_ERROR, cerr, err);
		return EP_ATTEMPT_DONE;
	}
	if (a->status == 429 || a->status >= 500) {
		x->cu->easy_getinfo(x->c, CURLINFO_RETRY_AFTER, &ra);
		a->retry_after_s = ra > 0 ? (long)ra : -1;
		ep_error_set(err, EP_EFETCH, "server answered %ld for '%s'", a->status, u);
		return EP_ATTEMPT_TRANSIENT;
	}
	if (a->status == 416) {
		ep_error_set(err, EP_EFETCH, "server refused the range of '%s' (416)", u);
		return EP_ATTEMPT_RESTART;
	}
	ep_error_set(err, EP_EFETCH, "server answered %ld for '%s'; check the URL", a->status, u);
	return EP_ATTEMPT_FATAL;
}

enum ep_attempt_outcome ep_download__attempt(struct ep_attempt *a, struct ep_error *err)
{
	const char *ca_file = ca_file_for(a->opts);
	struct xfer x;
	struct stat st;
	char cerr[CURL_ERROR_SIZE] = "", range[32];
	enum ep_attempt_outcome out;
	CURLcode rc;

	memset(&x, 0, sizeof(x));
	if (ep_dynlib__curl(&x.cu, err))
		return EP_ATTEMPT_FATAL;
	x.a = a;
	x.range_start = -1;
	a->received = 0;
	a->restarted = false;
	a->status = 0;
	a->retry_after_s = -1;
	a->have_digest = false;
	x.fd = open(a->partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (x.fd < 0) {
		ep_error_sys(err, EP_EIO, "cannot open '%s'", a->partial);
		return EP_ATTEMPT_FATAL;
	}
	if (fstat(x.fd, &st) || lseek(x.fd, 0, SEEK_END) < 0) {
		ep_error_sys(err, EP_EIO, "cannot read '%s'", a->partial);
		close(x.fd);
		return EP_ATTEMPT_FATAL;
	}
	a->offset = (uint64_t)st.st_size;
	if (a->offset == 0 && ep_sha256_new(&x.h))
		x.h = NULL;
	x.c = x.cu->easy_init();
	if (!x.c) {
		close(x.fd);
		ep_sha256_free(x.h);
		ep_error_set(err, EP_ENOMEM, "cannot start a download of '%s'", a->shown_url);
		return EP_ATTEMPT_FATAL;
	}
	set_common(x.cu, x.c, a, ca_file, cerr);
	x.cu->easy_setopt(x.c, CURLOPT_WRITEFUNCTION, on_body);
	x.cu->easy_setopt(x.c, CURLOPT_WRITEDATA, &x);
	x.cu->easy_setopt(x.c, CURLOPT_HEADERFUNCTION, on_header);
	x.cu->easy_setopt(x.c, CURLOPT_HEADERDATA, &x);
	if (a->offset) {
		snprintf(range, sizeof(range), "%" PRIu64 "-", a->offset);
		x.cu->easy_setopt(x.c, CURLOPT_RANGE, range);
	}
	if (a->opts && a->opts->progress) {
		x.started_ms = ep_now_ms();
		x.cu->easy_setopt(x.c, CURLOPT_XFERINFOFUNCTION, on_progress);
		x.cu->easy_setopt(x.c, CURLOPT_XFERINFODATA, &x);
		x.cu->easy_setopt(x.c, CURLOPT_NOPROGRESS, 0L);
	}
	rc = x.cu->easy_perform(x.c);
	if (a->opts && a->opts->progress)
		fputs("\r\033[K", stderr);
	out = classify(&x, rc, cerr, err);
	if (out == EP_ATTEMPT_DONE && x.h && a->offset == 0) {
		a->have_digest = ep_sha256_final(x.h, a->digest) == 0;
		x.h = NULL;
	}
	ep_sha256_free(x.h);
	x.cu->easy_cleanup(x.c);
	if (close(x.fd) && out == EP_ATTEMPT_DONE) {
		ep_error_sys(err, EP_EIO, "cannot write '%s'", a->partial);
		return EP_ATTEMPT_FATAL;
	}
	return out;
}

struct small_body {
	struct ep_buf *b; /* NULL: count the bytes, keep none */
	size_t cap, seen;
	bool over;
};

static size_t on_small_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct small_body *sb = ctx;
	size_t len = size * nmemb;

	sb->seen += len;
	if ((sb->cap && sb->seen > sb->cap) || (sb->b && ep_buf_add(sb->b, data, len))) {
		sb->over = true;
		return 0;
	}
	return len;
}

int ep_download__get(struct ep_buf *body, long *status, const char *url, size_t cap,
		     long timeout_ms, unsigned flags, struct ep_error *err)
{
	const struct ep_curl_api *cu;
	struct small_body sb = {body, cap, 0, false};
	const char *ca_file = ca_file_for(NULL);
	char cerr[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURLcode rc;
	CURL *c;
	int ret;

	*status = 0;
	if (body) {
		ep_buf_reset(body);
		body->cap = cap;
	}
	if ((ret = ep_dynlib__curl(&cu, err)))
		return ret;
	c = cu->easy_init();
	if (!c)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cu->easy_setopt(c, CURLOPT_USERAGENT, "engine-provisioner/" EP_VERSION);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	/* 0 would mean "no timeout" to libcurl */
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
	cu->easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_small_body);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, &sb);
	if (flags & EP_GET_DIRECT)
		cu->easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (ca_file && *ca_file)
		cu->easy_setopt(c, CURLOPT_CAINFO, ca_file);
	rc = cu->easy_perform(c);
	if (rc == CURLE_OK)
		cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	cu->easy_cleanup(c);
	if (sb.over)
		return ep_error_set(err, EP_EFETCH, "answer from '%s' is larger than %zu bytes",
				    url, cap);
	if (rc != CURLE_OK)
		return ep_error_set(err, EP_EFETCH, "cannot reach '%s': %s", url,
				    cerr[0] ? cerr : cu->easy_strerror(rc));
	*status = code;
	return 0;
}

int ep_download_get(struct ep_buf *body, long *status, const char *url, size_t cap, long timeout_ms,
		    struct ep_error *err)
{
	return ep_download__get(body, status, url, cap, timeout_ms, 0, err);
}
