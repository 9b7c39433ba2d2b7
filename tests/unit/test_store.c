#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/store.h"
#include "test.h"

/* A fresh scratch directory for one test. */
static char *scratch(void)
{
	char tmpl[] = "/tmp/ep-store-test.XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

/* Stage an entry holding bin/engine with `content`. */
static void stage_one(struct ep_buf *stage, const char *store, const char *content)
{
	struct ep_buf p = EP_BUF_INIT;

	CHECK_INT(ep_store_stage(stage, store, NULL), 0);
	ep_buf_addf(&p, "%s/bin", stage->ptr);
	mkdir(p.ptr, 0755);
	ep_buf_adds(&p, "/engine");
	CHECK_INT(ep_fs_write_atomic(p.ptr, content, strlen(content), 0755, NULL), 0);
	ep_buf_release(&p);
}

TEST(key_ignores_order_and_sees_every_input)
{
	struct ep_strvec a = EP_STRVEC_INIT, b = EP_STRVEC_INIT;
	struct ep_buf ka = EP_BUF_INIT, kb = EP_BUF_INIT;

	ep_strvec_push(&a, "commit=abc");
	ep_strvec_push(&a, "cmake_flags=-DX=1");
	ep_strvec_push(&b, "cmake_flags=-DX=1");
	ep_strvec_push(&b, "commit=abc");
	CHECK_INT(ep_store_key(&ka, &a), 0);
	CHECK_INT(ep_store_key(&kb, &b), 0);
	CHECK_INT(ka.len, 32);
	CHECK_STR(ka.ptr, kb.ptr);
	ep_strvec_push(&b, "cc=gcc 12");
	ep_store_key(&kb, &b);
	CHECK(strcmp(ka.ptr, kb.ptr) != 0);
	ep_strvec_release(&a);
	ep_strvec_release(&b);
	ep_buf_release(&ka);
	ep_buf_release(&kb);
}

TEST(commit_lookup_and_lost_race)
{
	char *dir = scratch();
	struct ep_buf store = EP_BUF_INIT, s1 = EP_BUF_INIT, s2 = EP_BUF_INIT;
	struct ep_store_entry e1, e2, found;
	const char *key = "0123456789abcdef0123456789abcdef";
	struct ep_error err = EP_ERROR_INIT;

	ep_buf_addf(&store, "%s/store", dir);
	CHECK_INT(ep_store_lookup(&found, store.ptr, key, &err), EP_ENOTFOUND);
	stage_one(&s1, store.ptr, "engine one");
	stage_one(&s2, store.ptr, "engine two");
	CHECK_INT(ep_store_commit(&e1, store.ptr, key, s1.ptr, "bin/engine", "{\"x\":1}", &err), 0);
	CHECK(!ep_fs_exists(s1.ptr));
	CHECK_CONTAINS(e1.binary_path, "/bin/engine");
	/* The second publisher loses: it gets the winner's entry and its staging goes. */
	CHECK_INT(ep_store_commit(&e2, store.ptr, key, s2.ptr, "bin/engine", NULL, &err), 0);
	CHECK_STR(e2.digest, e1.digest);
	CHECK(!ep_fs_exists(s2.ptr));
	CHECK_INT(ep_store_lookup(&found, store.ptr, key, &err), 0);
	CHECK_STR(found.digest, e1.digest);
	ep_store_entry_release(&found);
	/* Touched but unchanged: hashed again and still good. */
	utimes(e1.binary_path, NULL);
	CHECK_INT(ep_store_lookup(&found, store.ptr, key, &err), 0);
	ep_store_entry_release(&found);
	/* Changed: damaged. */
	chmod(e1.binary_path, 0755);
	ep_fs_write_atomic(e1.binary_path, "evil", 4, 0755, NULL);
	CHECK_INT(ep_store_lookup(&found, store.ptr, key, &err), EP_EVERIFY);
	CHECK_CONTAINS(err.msg, "damaged");
	ep_store_entry_release(&e1);
	ep_store_entry_release(&e2);
	ep_fs_remove_tree(dir, NULL);
	ep_buf_release(&store);
	ep_buf_release(&s1);
	ep_buf_release(&s2);
	free(dir);
}

TEST(clean_stale_removes_only_dead_owners)
{
	char *dir = scratch();
	struct ep_buf dead = EP_BUF_INIT, mine = EP_BUF_INIT;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	ep_buf_addf(&dead, "%s/.tmp-%ld-abcdef", dir, (long)pid);
	mkdir(dead.ptr, 0755);
	CHECK_INT(ep_store_stage(&mine, dir, NULL), 0);
	CHECK_INT(ep_store_clean_stale(dir, NULL), 0);
	CHECK(!ep_fs_exists(dead.ptr));
	CHECK(ep_fs_exists(mine.ptr));
	ep_fs_remove_tree(dir, NULL);
	ep_buf_release(&dead);
	ep_buf_release(&mine);
	free(dir);
}

TESTS(T(key_ignores_order_and_sees_every_input), T(commit_lookup_and_lost_race),
      T(clean_stale_removes_only_dead_owners))
