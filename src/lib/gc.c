/*
 * Garbage collection: gather the keys something references, walk
 * <state>/store and <state>/builds, and remove every other entry whose lock
 * can be taken at once. Removal is: catalog row, rename to
 * ".gc-<pid>-<key>" beside it, delete. Leftovers of an interrupted gc
 * (".gc-<pid>-*" of a process that is gone) are removed by the next one.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/catalog.h"
#include "ep/fs.h"
#include "ep/gc.h"
#include "ep/lock.h"
#include "ep/log.h"
#include "ep/strvec.h"
#include "banned.h"

void ep_gc_report_release(struct ep_gc_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->items[i].kind);
		free(r->items[i].key);
		free(r->items[i].path);
		free(r->items[i].held);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

/* Apparent size of a tree: regular files and symlinks, links not followed. */
static uint64_t tree_bytes(const char *path)
{
	struct stat st;
	struct dirent *d;
	uint64_t sum = 0;
	DIR *dp;

	if (lstat(path, &st))
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? (uint64_t)st.st_size : 0;
	dp = opendir(path); /* glibc opens it O_CLOEXEC */
	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		struct ep_buf child = EP_BUF_INIT;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		ep_buf_addf(&child, "%s/%s", path, d->d_name);
		sum += tree_bytes(child.ptr);
		ep_buf_release(&child);
	}
	closedir(dp);
	return sum;
}

/* The keys the config's pools (their newest successful runs) and the lock reference. */
static int referenced_keys(struct ep_strvec *keys, const struct ep_gc_opts *o,
			   struct ep_catalog *cat, struct ep_error *err)
{
	size_t i;
	int rc;

	for (i = 0; o->cfg && i < o->cfg->n_pools; i++) {
		struct ep_catalog_run_row run;
		struct ep_error quiet = EP_ERROR_INIT;

		rc = ep_catalog_last_success(&run, cat, o->cfg->pools[i].id, &quiet);
		if (rc == EP_ENOTFOUND)
			continue; /* never prepared: references nothing */
		if (rc) {
			*err = quiet;
			return rc;
		}
		rc = ep_strvec_push(keys, run.key);
		ep_catalog_run_row_release(&run);
		if (rc)
			return ep_error_set(err, rc, "out of memory");
	}
	for (i = 0; o->lock && i < ep_lockfile_count(o->lock); i++) {
		const char *key = ep_lockfile_entry_at(o->lock, i)->store_key;

		if (key && ep_strvec_push(keys, key))
			return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	return 0;
}

/* Remove ".gc-<pid>-*" directories left by a gc that died before it finished. */
static void remove_leftover(const char *dir, const char *name)
{
	struct ep_buf path = EP_BUF_INIT;
	long pid = strtol(name + 4, NULL, 10);

	if (pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH) {
		ep_buf_addf(&path, "%s/%s", dir, name);
		ep_fs_remove_tree(path.ptr, NULL);
	}
	ep_buf_release(&path);
}

static int add_item(struct ep_gc_report *r, const char *kind, const char *key, const char *path)
{
	struct ep_gc_item *it, *nv = realloc(r->items, (r->n + 1) * sizeof(*r->items));

	if (!nv)
		return EP_ENOMEM;
	r->items = nv;
	it = &r->items[r->n];
	memset(it, 0, sizeof(*it));
	it->kind = strdup(kind);
	it->key = strdup(key);
	it->path = strdup(path);
	r->n++;
	return it->kind && it->key && it->path ? 0 : EP_ENOMEM;
}

/* Take the entry's lock, then drop its catalog row and its files (unless a dry run). */
static int collect_one(struct ep_gc_item *it, const struct ep_gc_opts *o, const char *root,
		       const char *dir, struct ep_catalog *cat, struct ep_error *err)
{
	struct ep_lock lk = EP_LOCK_INIT;
	struct ep_error busy = EP_ERROR_INIT;
	struct ep_buf name = EP_BUF_INIT, aside = EP_BUF_INIT;
	int rc = 0;

	ep_buf_addf(&name, "store-%s", it->key);
	if (ep_lock_acquire(&lk, root, name.ptr, true, &busy)) {
		it->held = strdup(busy.msg);
		ep_narrate(EP_LOG_INFO, "gc", "keep", it->path, NULL, -1,
			   "keeping %s entry '%s': %s", it->kind, it->key, busy.msg);
		goto out;
	}
	it->bytes = tree_bytes(it->path);
	if (o->dry_run)
		goto out;
	rc = ep_catalog_delete_engine(cat, it->key, err);
	if (rc)
		goto out;
	ep_buf_addf(&aside, "%s/.gc-%ld-%s", dir, (long)getpid(), it->key);
	if (rename(it->path, aside.ptr)) {
		rc = ep_error_sys(err, EP_EIO, "cannot move '%s' aside", it->path);
		goto out;
	}
	rc = ep_fs_remove_tree(aside.ptr, err);
	if (!rc) {
		ep_fs_fsync_dir(dir, NULL);
		it->removed = true;
		ep_narrate(EP_LOG_DEBUG, "gc", "remove", it->path, NULL, -1,
			   "removed %s entry '%s' (%llu bytes)", it->kind, it->key,
			   (unsigned long long)it->bytes);
	}
out:
	ep_lock_release(&lk);
	ep_buf_release(&name);
	ep_buf_release(&aside);
	return rc;
}

/* Walk one of <root>/store and <root>/builds. */
static int sweep(struct ep_gc_report *r, const struct ep_gc_opts *o, const char *root,
		 const char *sub, const char *kind, const struct ep_strvec *keys,
		 struct ep_catalog *cat, struct ep_error *err)
{
	struct ep_buf dir = EP_BUF_INIT, path = EP_BUF_INIT;
	struct dirent *d;
	DIR *dp;
	int rc = 0;

	ep_buf_addf(&dir, "%s/%s", root, sub);
	dp = opendir(dir.ptr);
	if (!dp) {
		if (errno != ENOENT)
			rc = ep_error_sys(err, EP_EIO, "cannot read '%s'", dir.ptr);
		goto out;
	}
	while (!rc && (d = readdir(dp))) {
		if (!strncmp(d->d_name, ".gc-", 4) && !o->dry_run)
			remove_leftover(dir.ptr, d->d_name);
		if (d->d_name[0] == '.')
			continue; /* staging and leftovers: the store cleans its own */
		if (ep_strvec_find(keys, d->d_name) >= 0) {
			r->n_referenced++;
			continue;
		}
		ep_buf_reset(&path);
		ep_buf_addf(&path, "%s/%s", dir.ptr, d->d_name);
		if (add_item(r, kind, d->d_name, path.ptr)) {
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
			break;
		}
		rc = collect_one(&r->items[r->n - 1], o, root, dir.ptr, cat, err);
		if (!r->items[r->n - 1].held)
			r->bytes_freed += r->items[r->n - 1].bytes;
	}
	closedir(dp);
out:
	ep_buf_release(&dir);
	ep_buf_release(&path);
	return rc;
}

/* The state directory, then every pool's source.build.cache_dir (which replaces it). */
static int roots_of(struct ep_strvec *roots, const struct ep_gc_opts *o)
{
	struct ep_buf abs = EP_BUF_INIT;
	size_t i;
	int rc = ep_strvec_push(roots, o->state_dir);

	for (i = 0; !rc && o->cfg && i < o->cfg->n_pools; i++) {
		const char *dir = o->cfg->pools[i].provisioning.source.cache_dir;

		if (!dir || !*dir)
			continue;
		rc = ep_fs_absolute(&abs, dir);
		if (!rc && ep_strvec_find(roots, abs.ptr) < 0)
			rc = ep_strvec_push(roots, abs.ptr);
	}
	ep_buf_release(&abs);
	return rc;
}

int ep_gc_run(struct ep_gc_report *out, const struct ep_gc_opts *o, struct ep_error *err)
{
	struct ep_strvec keys = EP_STRVEC_INIT, roots = EP_STRVEC_INIT;
	struct ep_catalog *cat = NULL;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!o->cfg && !o->lock)
		return ep_error_set(err, EP_EUSAGE,
				    "gc needs a config or a lock file to know which entries are in "
				    "use; give --config FILE and/or --lock FILE");
	rc = ep_catalog_open(&cat, o->state_dir, err);
	if (!rc)
		rc = referenced_keys(&keys, o, cat, err);
	if (!rc && roots_of(&roots, o))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	for (i = 0; !rc && i < roots.n; i++) {
		rc = sweep(out, o, roots.v[i], "store", "store", &keys, cat, err);
		if (!rc)
			rc = sweep(out, o, roots.v[i], "builds", "build", &keys, cat, err);
	}
	ep_catalog_close(cat);
	ep_strvec_release(&keys);
	ep_strvec_release(&roots);
	return rc;
}
