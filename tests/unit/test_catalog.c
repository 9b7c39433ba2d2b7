#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ep/catalog.h"
#include "ep/fs.h"
#include "test.h"

static char state[256];

static void fresh_state(void)
{
	snprintf(state, sizeof(state), "/tmp/ep-test-catalog.%ld", (long)getpid());
	ep_fs_remove_tree(state, NULL);
}

static struct ep_catalog *open_cat(void)
{
	struct ep_catalog *cat = NULL;
	struct ep_error err = EP_ERROR_INIT;

	if (ep_catalog_open(&cat, state, &err))
		fprintf(stderr, "open: %s\n", err.msg);
	return cat;
}

static void put(struct ep_catalog *cat, const char *key, const char *digest)
{
	struct ep_catalog_engine e = {key,
				      "llamacpp",
				      "source",
				      "b1 (abc)",
				      "abc123",
				      digest,
				      "/store/x/bin/llama-server",
				      "{\"repo\":\"r\"}"};
	struct ep_error err = EP_ERROR_INIT;

	CHECK_INT(ep_catalog_put_engine(cat, &e, &err), 0);
}

static void run(struct ep_catalog *cat, const char *pool, const char *key, const char *outcome)
{
	struct ep_catalog_run r = {pool, key, "sha256:00", outcome, 42};
	struct ep_error err = EP_ERROR_INIT;

	CHECK_INT(ep_catalog_record_run(cat, &r, &err), 0);
}

TEST(open_twice_wal)
{
	struct ep_catalog *a, *b;
	struct ep_error err = EP_ERROR_INIT;
	unsigned char hdr[20];
	char path[512];
	int fd;

	fresh_state();
	a = open_cat();
	b = open_cat();
	CHECK(a && b);
	snprintf(path, sizeof(path), "%s/catalog.db", state);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_INT(read(fd, hdr, sizeof(hdr)), (long)sizeof(hdr));
	close(fd);
	/* bytes 18 and 19 of the header are 2 for a WAL database */
	CHECK_INT(hdr[18], 2);
	CHECK_INT(hdr[19], 2);
	CHECK_INT(ep_catalog_check(a, &err), 0);
	ep_catalog_close(a);
	ep_catalog_close(b);
}

TEST(fds_close_on_exec)
{
	struct ep_catalog *cat;
	char link[64], target[512];
	int fd, seen = 0;

	fresh_state();
	cat = open_cat();
	put(cat, "k1", "sha256:aa");
	for (fd = 0; fd < 1024; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strstr(target, "catalog.db"))
			continue;
		seen++;
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	}
	CHECK(seen >= 2); /* the database and its WAL */
	ep_catalog_close(cat);
}

TEST(put_get_list)
{
	struct ep_catalog *cat;
	struct ep_catalog_engine_row row;
	struct ep_catalog_engine_rows rows;
	struct ep_error err = EP_ERROR_INIT;

	fresh_state();
	cat = open_cat();
	put(cat, "aaaa1111", "sha256:aa");
	put(cat, "bbbb2222", "sha256:bb");
	put(cat, "bbbb3333", "sha256:b3");
	put(cat, "aaaa1111", "sha256:a2"); /* replaces */
	CHECK_INT(ep_catalog_get_engine(&row, cat, "aaaa1111", &err), 0);
	CHECK_STR(row.engine_digest, "sha256:a2");
	CHECK_STR(row.build_ref, "abc123");
	CHECK_STR(row.inputs_json, "{\"repo\":\"r\"}");
	CHECK(row.created_at && strlen(row.created_at) == 24);
	ep_catalog_engine_row_release(&row);
	CHECK_INT(ep_catalog_get_engine(&row, cat, "aaaa", &err), 0);
	CHECK_STR(row.key, "aaaa1111");
	ep_catalog_engine_row_release(&row);
	CHECK_INT(ep_catalog_get_engine(&row, cat, "bbbb", &err), EP_EUSAGE);
	CHECK_CONTAINS(err.msg, "ambiguous");
	CHECK_INT(ep_catalog_get_engine(&row, cat, "zz", &err), EP_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "no engine 'zz'");
	CHECK_INT(ep_catalog_list_engines(&rows, cat, &err), 0);
	CHECK_INT(rows.n, 3);
	ep_catalog_engine_rows_release(&rows);
	CHECK_INT(ep_catalog_delete_engine(cat, "bbbb2222", &err), 0);
	CHECK_INT(ep_catalog_list_engines(&rows, cat, &err), 0);
	CHECK_INT(rows.n, 2);
	ep_catalog_engine_rows_release(&rows);
	ep_catalog_close(cat);
}

TEST(runs)
{
	struct ep_catalog *cat;
	struct ep_catalog_run_row last;
	struct ep_catalog_run_rows rows;
	struct ep_error err = EP_ERROR_INIT;

	fresh_state();
	cat = open_cat();
	run(cat, "p1", "k1", "built");
	run(cat, "p1", "k2", "reused");
	run(cat, "p1", NULL, "failed: fetch");
	run(cat, "p2", "k1", "reused");
	CHECK_INT(ep_catalog_last_success(&last, cat, "p1", &err), 0);
	CHECK_STR(last.key, "k2");
	CHECK_STR(last.outcome, "reused");
	CHECK_INT(last.duration_ms, 42);
	ep_catalog_run_row_release(&last);
	CHECK_INT(ep_catalog_last_success(&last, cat, "p3", &err), EP_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "pool 'p3' has no successful run");
	CHECK_INT(ep_catalog_list_runs(&rows, cat, "k1", NULL, 0, &err), 0);
	CHECK_INT(rows.n, 2);
	CHECK_STR(rows.v[0].pool_id, "p2"); /* newest first */
	ep_catalog_run_rows_release(&rows);
	CHECK_INT(ep_catalog_list_runs(&rows, cat, NULL, "p1", 2, &err), 0);
	CHECK_INT(rows.n, 2);
	CHECK_STR(rows.v[0].outcome, "failed: fetch");
	CHECK(rows.v[0].key == NULL);
	ep_catalog_run_rows_release(&rows);
	CHECK(ep_catalog_outcome_is_success("built"));
	CHECK(!ep_catalog_outcome_is_success("failed: build"));
	ep_catalog_close(cat);
}

/* Four processes write at once, each through its own connection: all succeed. */
TEST(concurrent_writers)
{
	struct ep_catalog *cat;
	struct ep_catalog_run_rows rows;
	struct ep_catalog_engine_rows engines;
	struct ep_error err = EP_ERROR_INIT;
	pid_t kids[4];
	int i, status, ok = 0;

	fresh_state();
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			struct ep_catalog *c = NULL;
			char pool[16], key[16];
			int j, bad = 0;

			if (ep_catalog_open(&c, state, &err)) {
				fprintf(stderr, "child open: %s\n", err.msg);
				_exit(1);
			}
			snprintf(pool, sizeof(pool), "pool%d", i);
			for (j = 0; j < 50; j++) {
				struct ep_catalog_run r = {pool, "kk", NULL, "built", j};
				struct ep_catalog_engine e = {key,  "llamacpp",	 "source", "v",
							      NULL, "sha256:00", "/x",	   NULL};

				snprintf(key, sizeof(key), "k%d-%d", i, j % 10);
				if (ep_catalog_record_run(c, &r, &err) ||
				    ep_catalog_put_engine(c, &e, &err)) {
					fprintf(stderr, "child write: %s\n", err.msg);
					bad = 1;
				}
			}
			ep_catalog_close(c);
			_exit(bad);
		}
	}
	for (i = 0; i < 4; i++)
		if (waitpid(kids[i], &status, 0) == kids[i] && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			ok++;
	CHECK_INT(ok, 4);
	cat = open_cat();
	CHECK_INT(ep_catalog_list_runs(&rows, cat, NULL, NULL, 0, &err), 0);
	CHECK_INT(rows.n, 200);
	ep_catalog_run_rows_release(&rows);
	CHECK_INT(ep_catalog_list_engines(&engines, cat, &err), 0);
	CHECK_INT(engines.n, 40);
	ep_catalog_engine_rows_release(&engines);
	CHECK_INT(ep_catalog_check(cat, &err), 0);
	ep_catalog_close(cat);
	ep_fs_remove_tree(state, NULL);
}

/* A writer killed with SIGKILL mid-stream leaves a catalog that opens and checks ok. */
TEST(killed_writer)
{
	struct ep_catalog *cat;
	struct ep_catalog_run_rows rows;
	struct ep_error err = EP_ERROR_INIT;
	char marker[300];
	pid_t kid;
	int i, status;

	fresh_state();
	snprintf(marker, sizeof(marker), "%s/started", state);
	kid = fork();
	if (kid == 0) {
		struct ep_catalog *c = NULL;
		struct ep_catalog_run r = {"p", "k", NULL, "built", 1};

		if (ep_catalog_open(&c, state, &err))
			_exit(1);
		for (i = 0;; i++) {
			ep_catalog_record_run(c, &r, &err);
			if (i == 20)
				ep_fs_write_atomic(marker, "x", 1, 0644, NULL);
		}
	}
	for (i = 0; i < 3000 && !ep_fs_exists(marker); i++)
		usleep(10000);
	usleep(20000);
	kill(kid, SIGKILL);
	waitpid(kid, &status, 0);
	CHECK(WIFSIGNALED(status));
	cat = open_cat();
	CHECK(cat != NULL);
	CHECK_INT(ep_catalog_check(cat, &err), 0);
	CHECK_INT(ep_catalog_list_runs(&rows, cat, NULL, "p", 0, &err), 0);
	CHECK(rows.n > 20);
	ep_catalog_run_rows_release(&rows);
	run(cat, "p", "k", "reused");
	ep_catalog_close(cat);
	ep_fs_remove_tree(state, NULL);
}

TESTS(T(open_twice_wal), T(fds_close_on_exec), T(put_get_list), T(runs), T(concurrent_writers),
      T(killed_writer))
