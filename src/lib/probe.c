/*
 * Probing tools for their version, with a cache: `tool --version` is run
 * once per executable file and remembered in <state>/probe-cache.json under
 * the file's device, inode, size and modification time, so a reinstalled or
 * upgraded tool is probed again and an unchanged one costs no process.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ep/fs.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "ep/state.h"
#include "ep/tools.h"
#include "banned.h"

#define PROBE_OUTPUT_CAP	(64u * 1024)
#define PROBE_CACHE_MAX_ENTRIES 256

/* The stamp that identifies one version of a file. */
static int stamp_of(struct ep_buf *out, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return ep_buf_addf(out, "%llu:%llu:%lld:%lld.%09ld", (unsigned long long)st.st_dev,
			   (unsigned long long)st.st_ino, (long long)st.st_size,
			   (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
}

/* "<state>/probe-cache.json", or false when no state directory can be chosen. */
static bool cache_path(struct ep_buf *out)
{
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf dir = EP_BUF_INIT;
	bool ok;

	ok = ep_state_dir(&dir, NULL, &err) == 0 &&
	     ep_buf_addf(out, "%s/probe-cache.json", dir.ptr) == 0;
	ep_buf_release(&dir);
	return ok;
}

/* The cache as a JSON object (empty when missing or unreadable). */
static json_t *cache_load(const char *path)
{
	json_t *j = json_load_file(path, 0, NULL);

	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

/* Run `exe --version` and collect stdout and stderr. */
static int run_version(struct ep_buf *out, const char *exe, struct ep_error *err)
{
	struct ep_proc_opts o = EP_PROC_OPTS_INIT;
	const char *argv[] = {exe, "--version", NULL};
	int status = 0, rc;

	o.argv = argv;
	o.out = EP_PROC_PIPE;
	o.err = EP_PROC_TO_OUT;
	ep_buf_init(out, PROBE_OUTPUT_CAP);
	rc = ep_proc_run(&o, out, &status, err);
	if (!rc && status != 0)
		rc = ep_error_set(err, EP_EPREFLIGHT, "'%s --version' exited with status %d", exe,
				  status);
	return rc;
}

int ep_probe_version_full(struct ep_buf *out, const char *exe, struct ep_error *err)
{
	struct ep_buf stamp = EP_BUF_INIT, path = EP_BUF_INIT, got = EP_BUF_INIT;
	json_t *cache = NULL, *e;
	int rc;

	if (stamp_of(&stamp, exe) != 0) {
		ep_buf_release(&stamp);
		return ep_error_sys(err, EP_ENOTFOUND, "cannot stat '%s'", exe);
	}
	if (cache_path(&path)) {
		cache = cache_load(path.ptr);
		e = json_object_get(cache, exe);
		if (json_is_string(json_object_get(e, "stamp")) &&
		    !strcmp(json_string_value(json_object_get(e, "stamp")), stamp.ptr) &&
		    json_is_string(json_object_get(e, "output"))) {
			rc = ep_buf_adds(out, json_string_value(json_object_get(e, "output")));
			goto done;
		}
	}
	rc = run_version(&got, exe, err);
	if (!rc)
		rc = ep_buf_adds(out, got.ptr);
	if (!rc && cache && json_object_size(cache) < PROBE_CACHE_MAX_ENTRIES) {
		struct ep_error ignored = EP_ERROR_INIT;
		char *text;

		json_object_set_new(cache, exe,
				    json_pack("{s:s, s:s}", "stamp", stamp.ptr, "output", got.ptr));
		text = json_dumps(cache, JSON_SORT_KEYS | JSON_INDENT(1));
		if (text && ep_fs_write_atomic(path.ptr, text, strlen(text), 0644, &ignored))
			ep_narrate(EP_LOG_DEBUG, "preflight", "cache", path.ptr, NULL, -1,
				   "cannot write the probe cache: %s", ignored.msg);
		free(text);
	}
done:
	json_decref(cache);
	ep_buf_release(&got);
	ep_buf_release(&path);
	ep_buf_release(&stamp);
	return rc;
}

/* Does the line hold a dotted version ("1.2")? */
static bool has_dotted_number(const char *p, size_t n)
{
	size_t i;

	for (i = 1; i + 1 < n; i++)
		if (p[i] == '.' && p[i - 1] >= '0' && p[i - 1] <= '9' && p[i + 1] >= '0' &&
		    p[i + 1] <= '9')
			return true;
	return false;
}

int ep_probe_version(struct ep_buf *out, const char *exe, struct ep_error *err)
{
	struct ep_buf full = EP_BUF_INIT;
	const char *p, *first = NULL, *pick = NULL;
	size_t first_len = 0, pick_len = 0;
	int rc;

	rc = ep_probe_version_full(&full, exe, err);
	if (rc)
		goto done;
	/* the first line with a dotted version ("release 13.0" after nvcc's banner), else the first
	 */
	for (p = full.ptr; *p && !pick;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n && !first) {
			first = p;
			first_len = n;
		}
		if (n && has_dotted_number(p, n)) {
			pick = p;
			pick_len = n;
		}
		p += n + (nl ? 1 : 0);
	}
	if (!pick) {
		pick = first ? first : "";
		pick_len = first_len;
	}
	rc = ep_buf_add(out, pick, pick_len);
	ep_buf_rtrim(out);
done:
	ep_buf_release(&full);
	return rc;
}
