/*
 * ep-binary-driver: calls the download, archive, binary and external
 * modules directly for the CLI tests, so they run against real servers and
 * real archives without the config loader or `ensure`. Exit status: 0, or
 * the negated error code (7 fetch, 12 verify, 13 unsafe, ...); the error
 * message goes to stderr as "error: <msg>".
 *
 *   download URL DEST SHA256 [opts]
 *   extract ARCHIVE DIR [--max-entries N] [--max-bytes N] [--max-ratio N]
 *   install STATE URL SHA256 [--binary NAME] [opts]
 *   ensure-binary STATE URL SHA256 [--allow] [--offline]
 *   ensure-external PATH-OR-URL
 *
 * opts: --attempts N --stall S --max-bytes N --backoff MS --retry-after-cap S --progress
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep/archive.h"
#include "ep/binary.h"
#include "ep/download.h"
#include "ep/external.h"
#include "ep/log.h"
#include "ensure_modes.h"

static struct ep_download_opts dl = EP_DOWNLOAD_OPTS_INIT;
static struct ep_archive_limits lim = EP_ARCHIVE_LIMITS_INIT;
static const char *binary_name = "llama-server";
static int allow, offline;

static unsigned long long num(const char *s)
{
	return strtoull(s, NULL, 10);
}

/* Parse the options after the positional arguments. */
static void parse_opts(int argc, char **argv, int from)
{
	int i;

	for (i = from; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";

		if (!strcmp(a, "--progress")) {
			dl.progress = true;
			continue;
		}
		if (!strcmp(a, "--allow")) {
			allow = 1;
			continue;
		}
		if (!strcmp(a, "--offline")) {
			offline = 1;
			dl.offline = true;
			continue;
		}
		i++;
		if (!strcmp(a, "--attempts"))
			dl.max_attempts = (unsigned)num(v);
		else if (!strcmp(a, "--stall"))
			dl.stall_s = (unsigned)num(v);
		else if (!strcmp(a, "--max-bytes"))
			dl.max_bytes = lim.max_bytes = num(v);
		else if (!strcmp(a, "--backoff"))
			dl.backoff_ms = (unsigned)num(v);
		else if (!strcmp(a, "--retry-after-cap"))
			dl.retry_after_cap_s = (unsigned)num(v);
		else if (!strcmp(a, "--max-entries"))
			lim.max_entries = num(v);
		else if (!strcmp(a, "--max-ratio"))
			lim.max_ratio = num(v);
		else if (!strcmp(a, "--binary"))
			binary_name = v;
		else {
			fprintf(stderr, "unknown option '%s'\n", a);
			exit(2);
		}
	}
}

static int fail(const struct ep_error *err)
{
	fprintf(stderr, "error: %s\ncode: %s\n", err->msg, ep_code_name(err->code));
	return -err->code;
}

static int ensure(int argc, char **argv, bool binary)
{
	struct ep_pool pool;
	struct ep_ensure_opts eo = EP_ENSURE_OPTS_INIT;
	struct ep_ensure_ctx ctx;
	struct ep_prepared p;
	struct ep_error err = EP_ERROR_INIT;
	int rc;

	memset(&pool, 0, sizeof(pool));
	memset(&ctx, 0, sizeof(ctx));
	memset(&p, 0, sizeof(p));
	pool.id = "test-pool";
	pool.engine = EP_ENGINE_LLAMACPP;
	eo.offline = offline;
	ctx.opts = &eo;
	ctx.pool = &pool;
	if (binary) {
		pool.provisioning.mode = EP_MODE_BINARY;
		pool.provisioning.allow_binary_downloads = allow;
		pool.provisioning.has_binary = true;
		pool.provisioning.binary.url = argv[3];
		pool.provisioning.binary.checksum = argv[4];
		ctx.state_dir = argv[2];
		rc = ep_binary__ensure(&p, &ctx, &err);
	} else {
		pool.provisioning.mode = EP_MODE_EXTERNAL;
		pool.provisioning.has_external = true;
		if (!strncmp(argv[2], "http", 4))
			pool.provisioning.external.url = argv[2];
		else
			pool.provisioning.external.path = argv[2];
		rc = ep_external__ensure(&p, &ctx, &err);
	}
	(void)argc;
	if (rc)
		return fail(&err);
	printf("provisioning_mode=%s\nengine_version=%s\nengine_digest=%s\nbinary_path=%s\n"
	       "store_key=%s\n",
	       p.mode == EP_MODE_BINARY ? "binary" : "external", p.engine_version,
	       p.engine_digest ? p.engine_digest : "null", p.binary_path ? p.binary_path : "null",
	       p.store_key ? p.store_key : "null");
	free(p.engine_version);
	free(p.engine_digest);
	free(p.binary_path);
	free(p.store_key);
	return 0;
}

int main(int argc, char **argv)
{
	struct ep_error err = EP_ERROR_INIT;
	const char *cmd = argc > 1 ? argv[1] : "";

	ep_log_set_sink(getenv("EP_DRIVER_JSON") ? ep_log_sink_json : ep_log_sink_text, stderr,
			EP_LOG_INFO);
	if (!strcmp(cmd, "download") && argc >= 5) {
		struct ep_download_stats st;

		parse_opts(argc, argv, 5);
		if (ep_download_file(argv[2], argv[3], argv[4], &dl, &st, &err))
			return fail(&err);
		printf("attempts=%u bytes=%llu resumed_from=%llu restarts=%u cached=%d\n",
		       st.attempts, (unsigned long long)st.bytes,
		       (unsigned long long)st.resumed_from, st.restarts, st.cached);
		return 0;
	}
	if (!strcmp(cmd, "extract") && argc >= 4) {
		struct ep_archive_stats st;

		parse_opts(argc, argv, 4);
		if (ep_archive_extract_safe(argv[2], argv[3], &lim, &st, &err))
			return fail(&err);
		printf("entries=%llu bytes=%llu\n", (unsigned long long)st.entries,
		       (unsigned long long)st.bytes);
		return 0;
	}
	if (!strcmp(cmd, "install") && argc >= 5) {
		struct ep_binary_opts o = EP_BINARY_OPTS_INIT;
		struct ep_binary_result r;

		parse_opts(argc, argv, 5);
		o.state_dir = argv[2];
		o.url = argv[3];
		o.checksum = argv[4];
		o.binary_name = binary_name;
		o.download = &dl;
		o.limits = &lim;
		if (ep_binary_install(&r, &o, &err))
			return fail(&err);
		printf("key=%s\nbinary=%s\ndigest=%s\nversion=%s\nreused=%d\nattempts=%u\n"
		       "cached=%d\nresumed_from=%llu\n",
		       r.entry.key, r.entry.binary_path, r.entry.digest, r.engine_version, r.reused,
		       r.download.attempts, r.download.cached,
		       (unsigned long long)r.download.resumed_from);
		ep_binary_result_release(&r);
		return 0;
	}
	if (!strcmp(cmd, "ensure-binary") && argc >= 5) {
		parse_opts(argc, argv, 5);
		return ensure(argc, argv, true);
	}
	if (!strcmp(cmd, "ensure-external") && argc >= 3)
		return ensure(argc, argv, false);
	fprintf(stderr, "usage: ep-binary-driver download|extract|install|ensure-binary|"
			"ensure-external ARGS\n");
	return 2;
}
