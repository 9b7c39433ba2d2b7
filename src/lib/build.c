/*
 * CMake builds for source mode: configure with the normalized flags, build
 * only the server target with as many jobs as the machine has cores, and
 * keep the output of both steps in log files. On failure the error quotes
 * the last lines of the log and names it. With `progress`, ninja's (or
 * make's) progress is turned into narration events that a terminal sink
 * can draw as one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "source.h"
#include "banned.h"

#define LOG_TAIL_LINES 20

/* The last lines of a log, for an error message. */
static void log_tail(struct ep_buf *out, const char *path)
{
	struct ep_buf all = EP_BUF_INIT;

	ep_buf_init(&all, 0);
	if (!ep_buf_read_file(&all, path, NULL)) {
		ep_buf_rtrim(&all);
		ep_buf_keep_last_lines(&all, LOG_TAIL_LINES);
		ep_redact(out, all.ptr);
	}
	ep_buf_release(&all);
}

/* Parse "[n/N]" (ninja) or "[ nn%]" (make) at the start of a line. */
static bool parse_progress(const char *line, long *done, long *total)
{
	char *end;

	if (line[0] != '[')
		return false;
	*done = strtol(line + 1, &end, 10);
	if (*end == '/') {
		*total = strtol(end + 1, &end, 10);
		return *end == ']' && *total > 0;
	}
	if (*end == '%' && end[1] == ']') {
		*total = 100;
		return true;
	}
	return false;
}

/*
 * Copy the child's output to the log, narrating progress when the done
 * fraction moves by a percent or more.
 */
static int pump(int from, int log_fd, const struct ep_build_req *req)
{
	char chunk[8192];
	struct ep_buf line = EP_BUF_INIT;
	long last_pct = -1;

	for (;;) {
		ssize_t n = read(from, chunk, sizeof(chunk));
		ssize_t i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(log_fd, chunk, (size_t)n) != n) {
			/* the log is best effort; the build result is what counts */
		}
		for (i = 0; i < n; i++) {
			long done, total, pct;

			if (chunk[i] != '\n' && chunk[i] != '\r') {
				if (line.len < 512)
					ep_buf_addch(&line, chunk[i]);
				continue;
			}
			if (parse_progress(line.ptr, &done, &total)) {
				pct = done * 100 / total;
				if (pct != last_pct) {
					last_pct = pct;
					ep_narrate(EP_LOG_INFO, "cmake", "progress", req->target,
						   req->pool_id, -1, "[%ld/%ld] building '%s'",
						   done, total, req->target);
				}
			}
			ep_buf_reset(&line);
		}
	}
	ep_buf_release(&line);
	return 0;
}

extern char **environ;

/*
 * The environment of cmake: ours, plus CCACHE_BASEDIR (unless set) so that
 * ccache rewrites the absolute paths of a build tree to relative ones and
 * a fresh build tree for another key hits the cache of an earlier one.
 */
static void build_env(struct ep_strvec *env, const struct ep_build_req *req)
{
	char **e;

	for (e = environ; *e; e++)
		if (!req->path_prepend || strncmp(*e, "PATH=", 5))
			ep_strvec_push(env, *e);
	if (req->path_prepend) {
		const char *path = getenv("PATH");

		ep_strvec_pushf(env, "PATH=%s%s%s", req->path_prepend, path ? ":" : "",
				path ? path : "");
	}
	if (req->ccache_basedir && !getenv("CCACHE_BASEDIR")) {
		ep_strvec_pushf(env, "CCACHE_BASEDIR=%s", req->ccache_basedir);
		ep_strvec_push(env, "CCACHE_NOHASHDIR=1");
	}
}

/* Run one CMake step with its output going to `log_path`. */
static int run_step(const char *step, const char *const *argv, const char *log_path,
		    const struct ep_build_req *req, struct ep_error *err)
{
	struct ep_strvec env = EP_STRVEC_INIT;
	struct ep_proc_opts o = EP_PROC_OPTS_INIT;
	struct ep_proc *p = NULL;
	struct ep_buf tail = EP_BUF_INIT, line = EP_BUF_INIT;
	int64_t start = ep_now_ms();
	int fd, rc, status = 0;

	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return ep_error_sys(err, EP_EIO, "cannot create log '%s'", log_path);
	ep_proc_format_argv(&line, argv);
	ep_buf_addch(&line, '\n');
	if (write(fd, line.ptr, line.len) < 0) {
		/* best effort, as above */
	}
	build_env(&env, req);
	o.argv = argv;
	o.env = (const char *const *)env.v;
	o.out = req->progress ? EP_PROC_PIPE : EP_PROC_FD;
	o.out_fd = fd;
	o.err = EP_PROC_TO_OUT;
	o.pool_id = req->pool_id;
	ep_narrate(EP_LOG_INFO, "cmake", step, req->target, req->pool_id, -1,
		   "cmake %s: log in '%s'", step, log_path);
	rc = ep_proc_start(&p, &o, err);
	if (!rc && req->progress)
		pump(ep_proc_stdout_fd(p), fd, req);
	if (!rc)
		rc = ep_proc_wait(p, &status, err);
	ep_proc_free(p);
	close(fd);
	if (!rc && status) {
		log_tail(&tail, log_path);
		rc = ep_error_set(err, EP_EBUILD, "cmake %s failed (exit %d); the log is '%s':\n%s",
				  step, status, log_path, tail.ptr);
	}
	if (!rc)
		ep_narrate(EP_LOG_INFO, "cmake", step, req->target, req->pool_id,
			   ep_now_ms() - start, "cmake %s done", step);
	ep_buf_release(&tail);
	ep_buf_release(&line);
	ep_strvec_release(&env);
	return rc;
}

/* Remove what a stale cache would keep alive (renamed CUDA options). */
static int clear_cache(const char *build_dir, struct ep_error *err)
{
	struct ep_buf p = EP_BUF_INIT;
	int rc;

	ep_buf_addf(&p, "%s/CMakeCache.txt", build_dir);
	rc = unlink(p.ptr) && errno != ENOENT
		 ? ep_error_sys(err, EP_EIO, "cannot remove '%s'", p.ptr)
		 : 0;
	ep_buf_reset(&p);
	ep_buf_addf(&p, "%s/CMakeFiles", build_dir);
	rc = rc ? rc : ep_fs_remove_tree(p.ptr, err);
	ep_buf_release(&p);
	return rc;
}

/* The configure command line. */
static int configure_argv(struct ep_strvec *argv, const struct ep_build_req *req,
			  struct ep_error *err)
{
	struct ep_buf ccache = EP_BUF_INIT;
	size_t i;
	int rc = 0;

	ep_strvec_push(argv, "cmake");
	ep_strvec_pushf(argv, "-S%s", req->src_dir);
	ep_strvec_pushf(argv, "-B%s", req->build_dir);
	ep_strvec_pushf(argv, "-G%s", req->generator);
	for (i = 0; i < req->cmake_flags->n && !rc; i++) {
		const char *f = req->cmake_flags->v[i];

		if (strncmp(f, "-D", 2) || strlen(f) < 3)
			rc = ep_error_set(
			    err, EP_ECONFIG,
			    "cmake flag '%s' is not a -D definition; only -DNAME=VALUE "
			    "flags are passed to cmake",
			    f);
		else
			ep_strvec_push(argv, f);
	}
	ep_strvec_push(argv, "-DLLAMA_BUILD_TESTS=OFF");
	ep_strvec_push(argv, "-DLLAMA_BUILD_EXAMPLES=OFF");
	ep_strvec_push(argv, "-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON");
	if (!ep_proc_which(&ccache, "ccache", NULL)) {
		ep_strvec_push(argv, "-DCMAKE_C_COMPILER_LAUNCHER=ccache");
		ep_strvec_push(argv, "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
	}
	ep_buf_release(&ccache);
	return rc;
}

int ep_build__run(const struct ep_build_req *req, struct ep_error *err)
{
	struct ep_strvec conf = EP_STRVEC_INIT;
	struct ep_buf log = EP_BUF_INIT, jobs = EP_BUF_INIT;
	const char *build[] = {"cmake",	    "--build", req->build_dir, "--target",
			       req->target, "-j",      NULL,	       NULL};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	rc = ep_fs_mkdirs(req->build_dir, 0755, err);
	rc = rc ? rc : ep_fs_mkdirs(req->log_dir, 0755, err);
	if (!rc && req->clear_cache) {
		ep_narrate(EP_LOG_INFO, "cmake", "clear-cache", req->build_dir, req->pool_id, -1,
			   "deprecated CUDA options were renamed: clearing the stale CMake cache");
		rc = clear_cache(req->build_dir, err);
	}
	rc = rc ? rc : configure_argv(&conf, req, err);
	if (rc)
		goto out;
	ep_ensure__checkpoint("configure");
	ep_buf_addf(&log, "%s/configure.log", req->log_dir);
	rc = run_step("configure", (const char *const *)conf.v, log.ptr, req, err);
	if (rc)
		goto out;
	ep_ensure__checkpoint("build");
	ep_buf_addf(&jobs, "%ld", cores > 0 ? cores : 1);
	build[6] = jobs.ptr;
	ep_buf_reset(&log);
	ep_buf_addf(&log, "%s/build.log", req->log_dir);
	rc = run_step("build", build, log.ptr, req, err);
out:
	ep_strvec_release(&conf);
	ep_buf_release(&log);
	ep_buf_release(&jobs);
	return rc;
}
