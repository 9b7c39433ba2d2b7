/* The pieces of up/down/status: PID records, the engine's argv and
 * environment, ports and the handoff file. */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ep/engine.h"
#include "ep/fs.h"
#include "ep/log.h"
#include "engine_internal.h"
#include "test.h"

static char dir[] = "/tmp/ep-test-engine.XXXXXX";

static const char *path_in(struct ep_buf *b, const char *name)
{
	ep_buf_reset(b);
	ep_buf_addf(b, "%s/%s", dir, name);
	return b->ptr;
}

TEST(pidfile_roundtrip)
{
	struct ep_pidrec w, r;
	struct ep_buf p = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;

	memset(&w, 0, sizeof(w));
	w.pid = getpid();
	CHECK_INT(ep_proc__start_time(&w.start_time, NULL, w.pid), 0);
	w.port = 8081;
	w.url = "http://127.0.0.1:8081";
	w.engine_version = "b1-abc";
	CHECK_INT(ep_pidfile__write(path_in(&p, "a.pid"), &w, &err), 0);
	CHECK_INT(ep_pidfile__read(&r, p.ptr, &err), 0);
	CHECK_INT(r.pid, getpid());
	CHECK_INT(r.port, 8081);
	CHECK_STR(r.url, w.url);
	CHECK_STR(r.engine_version, "b1-abc");
	CHECK(ep_pidrec__alive(&r));
	r.start_time++; /* a reused pid: another start time */
	CHECK(!ep_pidrec__alive(&r));
	ep_pidrec__release(&r);
	ep_buf_release(&p);
}

TEST(pidfile_refusals)
{
	struct ep_buf p = EP_BUF_INIT, t = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_pidrec r;

	ep_fs_write_atomic(path_in(&t, "target"), "1\n", 2, 0644, &err);
	CHECK_INT(symlink(t.ptr, path_in(&p, "link.pid")), 0);
	CHECK_INT(ep_pidfile__read(&r, p.ptr, &err), EP_EUNSAFE);
	CHECK_CONTAINS(err.msg, "symbolic link");
	ep_fs_write_atomic(path_in(&p, "bad.pid"), "x\n", 2, 0644, &err);
	CHECK_INT(ep_pidfile__read(&r, p.ptr, &err), EP_EUNSAFE);
	CHECK_INT(ep_pidfile__read(&r, path_in(&p, "none.pid"), &err), EP_ENOTFOUND);
	ep_buf_release(&p);
	ep_buf_release(&t);
}

static bool has(const struct ep_strvec *v, const char *s)
{
	return ep_strvec_find(v, s) >= 0;
}

TEST(environment)
{
	struct ep_kv env[] = {
	    {"HF_TOKEN", "hf-secret-9876"}, {"LANG", "de_DE.UTF-8"}, {"CUDA_VISIBLE_DEVICES", "7"}};
	uint32_t devs[] = {0, 2};
	struct ep_pool pool;
	struct ep_prepared pe;
	struct ep_strvec e = EP_STRVEC_INIT;
	struct ep_buf red = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;

	memset(&pool, 0, sizeof(pool));
	pool.id = "p";
	pool.provisioning.env = env;
	pool.provisioning.n_env = 3;
	ep_prepared_init(&pe);
	setenv("EP_UNIT_PRIVATE", "1", 1);
	setenv("PATH", "/usr/bin:/bin", 1);
	CHECK_INT(ep_engine_env(&e, &pe, &pool, &err), 0);
	CHECK(has(&e, "PATH=/usr/bin:/bin"));
	CHECK(has(&e, "HF_TOKEN=hf-secret-9876"));
	CHECK(has(&e, "LANG=de_DE.UTF-8"));
	CHECK(has(&e, "CUDA_VISIBLE_DEVICES="));
	CHECK(!has(&e, "CUDA_VISIBLE_DEVICES=7"));
	CHECK(!has(&e, "EP_UNIT_PRIVATE=1"));
	ep_redact(&red, "value hf-secret-9876 here");
	CHECK_STR(red.ptr, "value *** here");
	ep_strvec_release(&e);
	pool.devices = devs;
	pool.n_devices = 2;
	CHECK_INT(ep_engine_env(&e, &pe, &pool, &err), 0);
	CHECK(has(&e, "CUDA_VISIBLE_DEVICES=0,2"));
	ep_strvec_release(&e);
	ep_buf_release(&red);
	ep_prepared_release(&pe);
}

TEST(argv)
{
	struct ep_prepared pe;
	struct ep_strvec a = EP_STRVEC_INIT;
	struct ep_error err = EP_ERROR_INIT;
	const char *want[] = {"/opt/llama-server", "--model", "/m.gguf", "--host",
			      "127.0.0.1",	   "--port",  "9000",	 "--metrics",
			      "--parallel",	   "1"};
	size_t i;

	ep_prepared_init(&pe);
	CHECK_INT(ep_engine_argv(&a, &pe, &err), EP_ESPAWN);
	pe.binary_path = strdup("/opt/llama-server");
	pe.model_path = strdup("/m.gguf");
	pe.port = 9000;
	ep_strvec_push(&pe.flags, "--metrics");
	ep_strvec_push(&pe.flags, "--port");
	ep_strvec_push(&pe.flags, "1234");
	ep_strvec_push(&pe.flags, "--parallel");
	ep_strvec_push(&pe.flags, "1");
	CHECK_INT(ep_engine_argv(&a, &pe, &err), 0);
	CHECK_INT(a.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < a.n && i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(a.v[i], want[i]);
	ep_strvec_release(&a);
	ep_prepared_release(&pe);
}

TEST(port_holder)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct ep_buf who = EP_BUF_INIT;
	char want[64];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_INT(listen(fd, 1), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	CHECK(!ep_port__is_free("127.0.0.1", ntohs(sa.sin_port)));
	ep_port__holder(&who, ntohs(sa.sin_port));
	snprintf(want, sizeof(want), "pid %d (", (int)getpid());
	CHECK_CONTAINS(who.ptr, want);
	close(fd);
	ep_buf_release(&who);
}

TEST(handoff_and_urls)
{
	struct ep_prepared pe;
	struct ep_pool pool;
	struct ep_buf p = EP_BUF_INIT, text = EP_BUF_INIT, url = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;

	memset(&pool, 0, sizeof(pool));
	pool.model = "qwen";
	ep_prepared_init(&pe);
	pe.pool_id = strdup("p1");
	pe.model_path = strdup("/m/q.gguf");
	pe.engine_version = strdup("b1-x");
	ep_strvec_push(&pe.flags, "--metrics");
	CHECK_INT(ep_handoff__write(path_in(&p, "h.json"), &pe, &pool, "http://127.0.0.1:1", &err),
		  0);
	CHECK_INT(ep_buf_read_file(&text, p.ptr, &err), 0);
	CHECK_CONTAINS(text.ptr, "\"model\": {\"id\": \"qwen\", \"path\": \"/m/q.gguf\"}");
	CHECK_CONTAINS(text.ptr, "\"replica_id\": \"r0\"");
	CHECK_CONTAINS(text.ptr, "\"flags\": [\"--metrics\"]");
	ep_http__base_url(&url, "0.0.0.0", 80);
	CHECK_STR(url.ptr, "http://127.0.0.1:80");
	ep_http__base_url(&url, "::", 80);
	CHECK_STR(url.ptr, "http://[::1]:80");
	ep_prepared_release(&pe);
	ep_buf_release(&p);
	ep_buf_release(&text);
	ep_buf_release(&url);
}

TEST(log_rotation)
{
	struct ep_buf p = EP_BUF_INIT, old = EP_BUF_INIT, tail = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	int fd = -1;

	path_in(&p, "e.log");
	CHECK_INT(ep_spawn__open_log(&fd, p.ptr, 16, &err), 0);
	CHECK(write(fd, "line one\nline two\nline three\n", 29) == 29);
	close(fd);
	ep_spawn__log_tail(&tail, p.ptr, 2);
	CHECK_STR(tail.ptr, "line two\nline three");
	/* Over the limit at the next start: kept as .1, a fresh log begins. */
	CHECK_INT(ep_spawn__open_log(&fd, p.ptr, 16, &err), 0);
	close(fd);
	ep_buf_addf(&old, "%s.1", p.ptr);
	CHECK(ep_fs_exists(old.ptr));
	ep_buf_reset(&tail);
	CHECK_INT(ep_buf_read_file(&tail, p.ptr, &err), 0);
	CHECK_INT(tail.len, 0);
	/* A log that is a symbolic link is refused. */
	unlink(p.ptr);
	CHECK_INT(symlink(old.ptr, p.ptr), 0);
	CHECK_INT(ep_spawn__open_log(&fd, p.ptr, 16, &err), EP_EUNSAFE);
	ep_buf_release(&p);
	ep_buf_release(&old);
	ep_buf_release(&tail);
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	if (!mkdtemp(dir))
		exit(1);
}

static void teardown(void) __attribute__((destructor));
static void teardown(void)
{
	struct ep_error err = EP_ERROR_INIT;

	ep_fs_remove_tree(dir, &err);
}

TESTS(T(pidfile_roundtrip), T(pidfile_refusals), T(environment), T(argv), T(port_holder),
      T(handoff_and_urls), T(log_rotation))
