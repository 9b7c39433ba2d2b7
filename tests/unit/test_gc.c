#include <stdio.h>
#include <unistd.h>

#include "ep/catalog.h"
#include "ep/fs.h"
#include "ep/gc.h"
#include "ep/lock.h"
#include "ep/lockfile.h"
#include "test.h"

static char state[128];

/* A store entry (and build tree) `key` with a 100-byte binary, recorded in the catalog. */
static void entry(struct ep_catalog *cat, const char *key, bool build)
{
	struct ep_buf p = EP_BUF_INIT, dir = EP_BUF_INIT;
	struct ep_catalog_engine e = {key,  "llamacpp",	 "source", "v",
				      NULL, "sha256:00", "/x",	   NULL};
	char data[100];

	memset(data, 'x', sizeof(data));
	ep_buf_addf(&dir, "%s/store/%s/bin", state, key);
	ep_fs_mkdirs(dir.ptr, 0755, NULL);
	ep_buf_addf(&p, "%s/llama-server", dir.ptr);
	CHECK_INT(ep_fs_write_atomic(p.ptr, data, sizeof(data), 0755, NULL), 0);
	if (build) {
		ep_buf_reset(&dir);
		ep_buf_addf(&dir, "%s/builds/%s/CMakeFiles", state, key);
		ep_fs_mkdirs(dir.ptr, 0755, NULL);
	}
	CHECK_INT(ep_catalog_put_engine(cat, &e, NULL), 0);
	ep_buf_release(&p);
	ep_buf_release(&dir);
}

static bool present(const char *sub, const char *key)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/%s", state, sub, key);
	return ep_fs_exists(path);
}

static bool has_row(struct ep_catalog *cat, const char *key)
{
	struct ep_catalog_engine_row row;
	int rc = ep_catalog_get_engine(&row, cat, key, NULL);

	ep_catalog_engine_row_release(&row);
	return rc == 0;
}

TEST(collects_unreferenced)
{
	struct ep_catalog *cat = NULL;
	struct ep_pool pools[2];
	struct ep_config cfg;
	struct ep_lockfile *lock = NULL;
	struct ep_gc_opts o = EP_GC_OPTS_INIT;
	struct ep_gc_report r = EP_GC_REPORT_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_lock held = EP_LOCK_INIT;
	struct ep_catalog_run run1 = {"a", "old", NULL, "built", 1};
	struct ep_catalog_run run2 = {"a", "cur", NULL, "reused", 1};
	struct ep_catalog_run run3 = {"a", "bad", NULL, "failed: build", 1};
	static const char locked[] = "{\"version\":1,\"pools\":[{\"pool_id\":\"z\","
				     "\"store_key\":\"pinned\"}]}";
	size_t i;

	snprintf(state, sizeof(state), "/tmp/ep-test-gc.%ld", (long)getpid());
	ep_fs_remove_tree(state, NULL);
	CHECK_INT(ep_catalog_open(&cat, state, &err), 0);
	entry(cat, "old", true);
	entry(cat, "cur", true);
	entry(cat, "bad", false);
	entry(cat, "pinned", false);
	entry(cat, "busy", false);
	CHECK_INT(ep_catalog_record_run(cat, &run1, NULL), 0);
	CHECK_INT(ep_catalog_record_run(cat, &run2, NULL), 0);
	CHECK_INT(ep_catalog_record_run(cat, &run3, NULL), 0);
	memset(pools, 0, sizeof(pools));
	memset(&cfg, 0, sizeof(cfg));
	pools[0].id = "a";
	pools[1].id = "never-prepared";
	cfg.pools = pools;
	cfg.n_pools = 2;
	CHECK_INT(ep_lockfile_parse(&lock, "engines.lock", locked, strlen(locked), &err), 0);
	o.state_dir = state;
	CHECK_INT(ep_gc_run(&r, &o, &err), EP_EUSAGE);
	o.cfg = &cfg;
	o.lock = lock;
	CHECK_INT(ep_lock_acquire(&held, state, "store-busy", true, &err), 0);

	o.dry_run = true;
	CHECK_INT(ep_gc_run(&r, &o, &err), 0);
	CHECK_INT(r.n, 4);	      /* old (store + build), bad, busy */
	CHECK_INT(r.n_referenced, 3); /* cur (store + build), pinned */
	CHECK_INT(r.bytes_freed, 200);
	for (i = 0; i < r.n; i++)
		CHECK(!r.items[i].removed);
	ep_gc_report_release(&r);
	CHECK(present("store", "old") && present("builds", "old") && has_row(cat, "old"));

	o.dry_run = false;
	CHECK_INT(ep_gc_run(&r, &o, &err), 0);
	CHECK_INT(r.n, 4);
	CHECK_INT(r.bytes_freed, 200);
	for (i = 0; i < r.n; i++) {
		if (!strcmp(r.items[i].key, "busy")) {
			CHECK(!r.items[i].removed);
			CHECK_CONTAINS(r.items[i].held, "lock 'store-busy' is held by pid");
		} else {
			CHECK(r.items[i].removed);
		}
	}
	ep_gc_report_release(&r);
	CHECK(!present("store", "old") && !present("builds", "old") && !has_row(cat, "old"));
	CHECK(!present("store", "bad") && !has_row(cat, "bad"));
	CHECK(present("store", "cur") && present("builds", "cur") && has_row(cat, "cur"));
	CHECK(present("store", "pinned") && has_row(cat, "pinned"));
	CHECK(present("store", "busy") && has_row(cat, "busy"));
	ep_lock_release(&held);

	/* the lock released, a second gc takes it; nothing else changes */
	CHECK_INT(ep_gc_run(&r, &o, &err), 0);
	CHECK_INT(r.n, 1);
	CHECK(r.n == 1 && r.items[0].removed);
	ep_gc_report_release(&r);
	CHECK(!present("store", "busy"));
	CHECK_INT(ep_catalog_check(cat, &err), 0);
	ep_lockfile_free(lock);
	ep_catalog_close(cat);
	ep_fs_remove_tree(state, NULL);
}

/* A pool's cache_dir holds its own store and builds: swept the same way. */
TEST(sweeps_cache_dirs)
{
	struct ep_catalog *cat = NULL;
	struct ep_pool pool;
	struct ep_config cfg;
	struct ep_gc_opts o = EP_GC_OPTS_INIT;
	struct ep_gc_report r = EP_GC_REPORT_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_catalog_run run = {"a", "kept", NULL, "built", 1};
	char alt[192], path[256];

	snprintf(state, sizeof(state), "/tmp/ep-test-gc.%ld", (long)getpid());
	ep_fs_remove_tree(state, NULL);
	snprintf(alt, sizeof(alt), "%s/alt", state);
	snprintf(path, sizeof(path), "%s/store/stray/bin", alt);
	ep_fs_mkdirs(path, 0755, NULL);
	snprintf(path, sizeof(path), "%s/builds/kept", alt);
	ep_fs_mkdirs(path, 0755, NULL);
	CHECK_INT(ep_catalog_open(&cat, state, &err), 0);
	CHECK_INT(ep_catalog_record_run(cat, &run, NULL), 0);
	memset(&pool, 0, sizeof(pool));
	memset(&cfg, 0, sizeof(cfg));
	pool.id = "a";
	pool.provisioning.source.cache_dir = alt;
	cfg.pools = &pool;
	cfg.n_pools = 1;
	o.state_dir = state;
	o.cfg = &cfg;
	CHECK_INT(ep_gc_run(&r, &o, &err), 0);
	CHECK_INT(r.n, 1);
	CHECK_INT(r.n_referenced, 1);
	CHECK(r.n == 1 && r.items[0].removed && !strcmp(r.items[0].key, "stray"));
	ep_gc_report_release(&r);
	snprintf(path, sizeof(path), "%s/store/stray", alt);
	CHECK(!ep_fs_exists(path));
	snprintf(path, sizeof(path), "%s/builds/kept", alt);
	CHECK(ep_fs_exists(path));
	ep_catalog_close(cat);
	ep_fs_remove_tree(state, NULL);
}

TESTS(T(collects_unreferenced), T(sweeps_cache_dirs))
