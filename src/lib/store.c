/*
 * The engine store (see ep/store.h): content-addressed, immutable entries,
 * published by renaming a verified, fsynced staging directory into place.
 *
 * Looking an entry up must be cheap (it is the whole of a no-op ensure), so
 * the manifest also records the binary's size and modification time, like
 * git's index: when they still match, the recorded digest is trusted; when
 * either differs the binary is hashed again and compared.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ep/fs.h"
#include "ep/log.h"
#include "ep/store.h"
#include "source.h"
#include "banned.h"

#define MANIFEST     "manifest.json"
#define MANIFEST_CAP (1u << 20)

void ep_store_entry_release(struct ep_store_entry *e)
{
	free(e->key);
	free(e->path);
	free(e->binary_path);
	e->key = e->path = e->binary_path = NULL;
	e->digest[0] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ep_store_key(struct ep_buf *out, const struct ep_strvec *inputs)
{
	struct ep_buf all = EP_BUF_INIT;
	char **sorted;
	char d[EP_DIGEST_LEN];
	size_t i;
	int rc = 0;

	sorted = calloc(inputs->n + 1, sizeof(*sorted));
	if (!sorted)
		return EP_ENOMEM;
	memcpy(sorted, inputs->v, inputs->n * sizeof(*sorted));
	qsort(sorted, inputs->n, sizeof(*sorted), cmp_str);
	for (i = 0; i < inputs->n && !rc; i++)
		rc = ep_buf_addf(&all, "%s\n", sorted[i]);
	free(sorted);
	rc = rc ? rc : ep_sha256_buf(d, all.ptr, all.len);
	ep_buf_release(&all);
	if (rc)
		return rc;
	ep_buf_reset(out);
	return ep_buf_add(out, d + 7, 32);
}

static bool key_is_valid(const char *key)
{
	return key && strlen(key) == 32 && strspn(key, "0123456789abcdef") == 32;
}

/* Fill `out` from the entry directory `path`, verifying the binary. */
static int verify_entry(struct ep_store_entry *out, const char *path, const char *key,
			struct ep_error *err)
{
	struct ep_buf mpath = EP_BUF_INIT, text = EP_BUF_INIT, bin = EP_BUF_INIT;
	json_t *m = NULL;
	const char *rel, *digest;
	struct stat st;
	int rc = 0;

	ep_buf_addf(&mpath, "%s/%s", path, MANIFEST);
	ep_buf_init(&text, MANIFEST_CAP);
	if (ep_buf_read_file(&text, mpath.ptr, NULL)) {
		rc = ep_error_set(err, EP_EVERIFY, "store entry '%s' has no readable manifest",
				  path);
		goto out;
	}
	m = json_loadb(text.ptr, text.len, 0, NULL);
	rel = json_string_value(json_object_get(m, "binary"));
	digest = json_string_value(json_object_get(m, "digest"));
	if (!m || !rel || !digest || !ep_digest_is_valid(digest) || rel[0] == '/' ||
	    strstr(rel, "..")) {
		rc = ep_error_set(err, EP_EVERIFY, "store entry '%s' has a damaged manifest", path);
		goto out;
	}
	ep_buf_addf(&bin, "%s/%s", path, rel);
	if (stat(bin.ptr, &st) || !S_ISREG(st.st_mode)) {
		rc = ep_error_set(err, EP_EVERIFY, "store entry '%s' lacks its binary '%s'", path,
				  rel);
		goto out;
	}
	if ((json_int_t)st.st_size != json_integer_value(json_object_get(m, "size")) ||
	    (json_int_t)st.st_mtim.tv_sec != json_integer_value(json_object_get(m, "mtime_s")) ||
	    (json_int_t)st.st_mtim.tv_nsec != json_integer_value(json_object_get(m, "mtime_ns"))) {
		char now[EP_DIGEST_LEN];

		if ((rc = ep_sha256_file(now, bin.ptr, err)))
			goto out;
		if (strcmp(now, digest)) {
			rc = ep_error_set(err, EP_EVERIFY,
					  "store entry '%s' is damaged: '%s' has digest %s, the "
					  "manifest says %s; remove the entry and run ensure again",
					  path, rel, now, digest);
			goto out;
		}
	}
	out->key = strdup(key);
	out->path = strdup(path);
	out->binary_path = ep_buf_detach(&bin, NULL);
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	if (!out->key || !out->path)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
out:
	json_decref(m);
	ep_buf_release(&mpath);
	ep_buf_release(&text);
	ep_buf_release(&bin);
	return rc;
}

int ep_store_lookup(struct ep_store_entry *out, const char *store_dir, const char *key,
		    struct ep_error *err)
{
	struct ep_buf path = EP_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!key_is_valid(key))
		return ep_error_set(err, EP_EINTERNAL, "'%s' is not a store key", key ? key : "");
	ep_buf_addf(&path, "%s/%s", store_dir, key);
	if (!ep_fs_is_dir(path.ptr))
		rc = EP_ENOTFOUND;
	else
		rc = verify_entry(out, path.ptr, key, err);
	ep_buf_release(&path);
	return rc;
}

int ep_store_stage(struct ep_buf *out, const char *store_dir, struct ep_error *err)
{
	int rc = ep_fs_mkdirs(store_dir, 0755, err);

	if (rc)
		return rc;
	ep_buf_reset(out);
	ep_buf_addf(out, "%s/.tmp-%ld-XXXXXX", store_dir, (long)getpid());
	if (!mkdtemp(out->ptr))
		return ep_error_sys(err, EP_EIO, "cannot create a staging directory in '%s'",
				    store_dir);
	return 0;
}

/* Complete the caller's manifest object and write it into the staging directory. */
static int write_manifest(const char *staging, const char *key, const char *binary_rel,
			  const char *digest, const struct stat *st, const char *manifest_json,
			  struct ep_error *err)
{
	struct ep_buf path = EP_BUF_INIT;
	json_t *m = manifest_json ? json_loads(manifest_json, 0, NULL) : json_object();
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	char *text = NULL;
	int rc = 0;

	if (!json_is_object(m)) {
		json_decref(m);
		return ep_error_set(err, EP_EINTERNAL, "store manifest is not a JSON object");
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(m, "key", json_string(key));
	json_object_set_new(m, "binary", json_string(binary_rel));
	json_object_set_new(m, "digest", json_string(digest));
	json_object_set_new(m, "size", json_integer((json_int_t)st->st_size));
	json_object_set_new(m, "mtime_s", json_integer((json_int_t)st->st_mtim.tv_sec));
	json_object_set_new(m, "mtime_ns", json_integer((json_int_t)st->st_mtim.tv_nsec));
	json_object_set_new(m, "created_at", json_string(when));
	text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(m);
	if (!text)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_buf_addf(&path, "%s/%s", staging, MANIFEST);
	rc = ep_fs_write_atomic(path.ptr, text, strlen(text), 0444, err);
	free(text);
	ep_buf_release(&path);
	return rc;
}

/* rename without replacing: renameat2 where the kernel has it, else check and rename. */
static int rename_noreplace(const char *from, const char *to)
{
	if (!renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (ep_fs_exists(to)) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

int ep_store_commit(struct ep_store_entry *out, const char *store_dir, const char *key,
		    const char *staging, const char *binary_rel, const char *manifest_json,
		    struct ep_error *err)
{
	struct ep_buf bin = EP_BUF_INIT, final = EP_BUF_INIT;
	char digest[EP_DIGEST_LEN];
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!key_is_valid(key))
		return ep_error_set(err, EP_EINTERNAL, "'%s' is not a store key", key ? key : "");
	ep_buf_addf(&bin, "%s/%s", staging, binary_rel);
	ep_buf_addf(&final, "%s/%s", store_dir, key);
	rc = ep_sha256_file(digest, bin.ptr, err);
	if (!rc && stat(bin.ptr, &st))
		rc = ep_error_sys(err, EP_EIO, "cannot stat '%s'", bin.ptr);
	rc = rc ? rc : write_manifest(staging, key, binary_rel, digest, &st, manifest_json, err);
	rc = rc ? rc : ep_fs_fsync_tree(staging, err);
	if (rc)
		goto out;
	ep_ensure__checkpoint("install");
	if (rename_noreplace(staging, final.ptr)) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			rc = ep_error_sys(err, EP_EIO, "cannot publish '%s' as '%s'", staging,
					  final.ptr);
			goto out;
		}
		/* Lost a race: use the winner's entry if it verifies. */
		ep_narrate(EP_LOG_INFO, "store", "race", key, NULL, -1,
			   "store entry '%s' was published by another process; using it", key);
		rc = ep_store_lookup(out, store_dir, key, err);
		if (!rc)
			ep_fs_remove_tree(staging, NULL);
		goto out;
	}
	rc = ep_fs_fsync_dir(store_dir, err);
	rc = rc ? rc : ep_store_lookup(out, store_dir, key, err);
	if (!rc)
		ep_narrate(EP_LOG_INFO, "store", "install", key, NULL, -1,
			   "installed store entry '%s' (%s)", key, digest);
out:
	ep_buf_release(&bin);
	ep_buf_release(&final);
	return rc;
}

/* Is the process that made ".tmp-<pid>-XXXXXX" gone? */
static bool owner_is_gone(const char *name)
{
	char *end;
	long pid = strtol(name + 5, &end, 10);

	if (pid <= 0 || *end != '-')
		return false;
	if (pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) && errno == ESRCH;
}

int ep_store_clean_stale(const char *store_dir, struct ep_error *err)
{
	struct ep_buf path = EP_BUF_INIT;
	struct dirent *de;
	DIR *d = opendir(store_dir);
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0
				       : ep_error_sys(err, EP_EIO, "cannot open '%s'", store_dir);
	while (!rc && (de = readdir(d))) {
		if (strncmp(de->d_name, ".tmp-", 5) || !owner_is_gone(de->d_name))
			continue;
		ep_buf_reset(&path);
		ep_buf_addf(&path, "%s/%s", store_dir, de->d_name);
		ep_narrate(EP_LOG_INFO, "store", "clean", de->d_name, NULL, -1,
			   "removing staging directory '%s' left by a process that ended",
			   path.ptr);
		rc = ep_fs_remove_tree(path.ptr, err);
	}
	closedir(d);
	ep_buf_release(&path);
	return rc;
}
