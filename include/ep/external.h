/*
 * Engines that someone else manages (external mode), and the version probe
 * every mode uses on a binary it did not build: run `<binary> --version`
 * under a time limit with a minimal environment, and read what it reports.
 *
 * llama-server prints "version: 7000 (abc1234)" (older releases) or
 * "version: 0.5.0 (build 7000, commit abc1234)"; both are reported as
 * "b7000 (abc1234)", the form of the release tag. /props reports the same
 * build as "build_info": "b7000-abc1234". Other output is reported as the
 * text after "version:", or the first line.
 */
#ifndef EP_EXTERNAL_H
#define EP_EXTERNAL_H

#include "ep/error.h"

struct ep_external_info {
	char *binary_path;    /* absolute, or NULL for a URL */
	char *engine_digest;  /* "sha256:..." of the binary, or NULL for a URL */
	char *engine_version; /* never NULL on success */
	char *url;	      /* the probed base URL, or NULL */
};

void ep_external_info_release(struct ep_external_info *info);

/* Normalize `--version` output (or a /props build_info) into *out (malloc'd); EP_ENOTFOUND. */
int ep_engine_version_parse(char **out, const char *text);

/*
 * Run `binary --version` (at most 30 s; stdout and stderr together, 64 KiB
 * kept) and parse it. EP_EVERIFY when it exits non-zero or prints no
 * version, EP_ESPAWN when it cannot start.
 */
int ep_engine_version_probe(char **out, const char *binary, struct ep_error *err);

/*
 * The version in an engine's version endpoint answer (llama.cpp /props
 * "build_info", vLLM /version and TGI /info "version"), normalized as
 * ep_engine_version_parse() does; NULL when the body has none.
 */
char *ep_engine_version_from_json(const char *body, size_t len);

/* An engine binary: it exists, is a regular executable file, and reports a version. */
int ep_external_probe_path(struct ep_external_info *out, const char *path, struct ep_error *err);

/*
 * A running engine at `url`: GET <url><health_path> must answer 200, then
 * <url><version_path> (JSON; "build_info" or "version") gives the version.
 * NULL paths mean "/health" and "/props".
 */
int ep_external_probe_url(struct ep_external_info *out, const char *url, const char *health_path,
			  const char *version_path, struct ep_error *err);

#endif
