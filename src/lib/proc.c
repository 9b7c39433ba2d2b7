#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ep/log.h"
#include "ep/proc.h"
#include "banned.h"

extern char **environ;

struct ep_proc {
	pid_t pid;
	int in_fd, out_fd, err_fd;
	bool done;
	int status;
};

static uint64_t spawn_count;

uint64_t ep_proc_spawn_count(void)
{
	return spawn_count;
}

pid_t ep_proc_pid(const struct ep_proc *p)
{
	return p->pid;
}

int ep_proc_stdin_fd(const struct ep_proc *p)
{
	return p->in_fd;
}

int ep_proc_stdout_fd(const struct ep_proc *p)
{
	return p->out_fd;
}

int ep_proc_stderr_fd(const struct ep_proc *p)
{
	return p->err_fd;
}

/* The bytes a shell reads as themselves: letters, digits and -_./=:,+@% */
static bool is_shell_plain(unsigned char c)
{
	return (unsigned char)((c | 32) - 'a') < 26 || (unsigned char)(c - '0') < 10 ||
	       (c && strchr("-_./=:,+@%", c));
}

static bool needs_quote(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!is_shell_plain((unsigned char)*s))
			return true;
	return false;
}

int ep_proc_format_argv(struct ep_buf *out, const char *const *argv)
{
	struct ep_buf raw = EP_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && argv[i]; i++) {
		const char *s;

		if (i)
			rc = ep_buf_addch(&raw, ' ');
		if (!needs_quote(argv[i])) {
			rc = rc ? rc : ep_buf_adds(&raw, argv[i]);
			continue;
		}
		rc = rc ? rc : ep_buf_addch(&raw, '\'');
		for (s = argv[i]; !rc && *s;) {
			size_t run = strcspn(s, "'"); /* copied as it is; each ' becomes '\'' */

			rc = ep_buf_add(&raw, s, run);
			s += run;
			if (!rc && *s) {
				rc = ep_buf_adds(&raw, "'\\''");
				s++;
			}
		}
		rc = rc ? rc : ep_buf_addch(&raw, '\'');
	}
	rc = rc ? rc : ep_redact(out, raw.ptr);
	ep_buf_release(&raw);
	return rc;
}

int ep_proc_which(struct ep_buf *out, const char *name, const char *path_env)
{
	const char *p = path_env ? path_env : getenv("PATH");
	struct ep_buf cand = EP_BUF_INIT;

	if (strchr(name, '/')) {
		if (access(name, X_OK))
			return EP_ENOTFOUND;
		ep_buf_reset(out);
		return ep_buf_adds(out, name);
	}
	if (!p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		struct stat st;

		ep_buf_reset(&cand);
		if (len)
			ep_buf_add(&cand, p, len);
		else
			ep_buf_addch(&cand, '.');
		ep_buf_addf(&cand, "/%s", name);
		if (!stat(cand.ptr, &st) && S_ISREG(st.st_mode) && !access(cand.ptr, X_OK)) {
			ep_buf_reset(out);
			ep_buf_add(out, cand.ptr, cand.len);
			ep_buf_release(&cand);
			return 0;
		}
		p += len;
		if (*p == ':')
			p++;
	}
	ep_buf_release(&cand);
	return EP_ENOTFOUND;
}

/* PATH as the child will see it, for the lookup of argv[0]. */
static const char *child_path(const char *const *env)
{
	size_t i;

	if (!env)
		return getenv("PATH");
	for (i = 0; env[i]; i++)
		if (!strncmp(env[i], "PATH=", 5))
			return env[i] + 5;
	return NULL;
}

static int setup_stdio(posix_spawn_file_actions_t *fa, enum ep_proc_stdio mode, int given,
		       int target, int pipefd[2], struct ep_error *err)
{
	switch (mode) {
	case EP_PROC_INHERIT:
		return 0;
	case EP_PROC_NULL:
		return posix_spawn_file_actions_addopen(fa, target, "/dev/null",
							target ? O_WRONLY : O_RDONLY, 0);
	case EP_PROC_FD:
		return posix_spawn_file_actions_adddup2(fa, given, target);
	case EP_PROC_TO_OUT:
		return posix_spawn_file_actions_adddup2(fa, 1, 2);
	case EP_PROC_PIPE:
		if (pipe2(pipefd, O_CLOEXEC))
			return ep_error_sys(err, EP_ESPAWN, "cannot create a pipe");
		return posix_spawn_file_actions_adddup2(fa, target ? pipefd[1] : pipefd[0], target);
	}
	return 0;
}

static void close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	fds[0] = fds[1] = -1;
}

int ep_proc_start(struct ep_proc **out, const struct ep_proc_opts *o, struct ep_error *err)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct ep_buf exe = EP_BUF_INIT, line = EP_BUF_INIT;
	struct ep_proc *p;
	sigset_t none, all;
	pid_t pid;
	int rc;

	*out = NULL;
	if (!o->argv || !o->argv[0])
		return ep_error_set(err, EP_EINTERNAL, "no program to run");
	if (ep_proc_which(&exe, o->argv[0], child_path(o->env))) {
		ep_buf_release(&exe);
		return ep_error_set(err, EP_ESPAWN, "cannot run '%s': not found", o->argv[0]);
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ep_buf_release(&exe);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	rc = setup_stdio(&fa, o->in, o->in_fd, 0, pin, err);
	rc = rc ? rc : setup_stdio(&fa, o->out, o->out_fd, 1, pout, err);
	rc = rc ? rc : setup_stdio(&fa, o->err, o->err_fd, 2, perr, err);
	if (!rc && o->cwd)
		rc = posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
	/* After the dup2s above: what the caller itself inherited goes too. */
	if (!rc && o->close_other_fds)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					    (o->own_pgrp ? POSIX_SPAWN_SETPGROUP : 0));
	if (o->own_pgrp)
		posix_spawnattr_setpgroup(&attr, 0);
	if (rc > 0)
		rc = ep_error_set(err, EP_ESPAWN, "cannot prepare to run '%s': %s", o->argv[0],
				  strerror(rc));
	if (!rc) {
		ep_proc_format_argv(&line, o->argv);
		ep_narrate(EP_LOG_DEBUG, "proc", "spawn", o->argv[0], o->pool_id, -1, "run: %s",
			   line.ptr);
		rc = posix_spawn(&pid, exe.ptr, &fa, &attr, (char *const *)o->argv,
				 o->env ? (char *const *)o->env : environ);
		if (rc) {
			errno = rc;
			rc = ep_error_sys(err, EP_ESPAWN, "cannot run '%s'", o->argv[0]);
		} else {
			spawn_count++;
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	ep_buf_release(&exe);
	ep_buf_release(&line);
	if (rc) {
		close_pair(pin);
		close_pair(pout);
		close_pair(perr);
		free(p);
		return rc;
	}
	p->pid = pid;
	p->in_fd = pin[1];
	p->out_fd = pout[0];
	p->err_fd = perr[0];
	if (pin[0] >= 0)
		close(pin[0]);
	if (pout[1] >= 0)
		close(pout[1]);
	if (perr[1] >= 0)
		close(perr[1]);
	*out = p;
	return 0;
}

static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

int ep_proc_wait(struct ep_proc *p, int *status_out, struct ep_error *err)
{
	int st;

	while (!p->done) {
		pid_t r = waitpid(p->pid, &st, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ep_error_sys(err, EP_EINTERNAL, "cannot wait for process %d",
					    (int)p->pid);
		p->done = true;
		p->status = decode_status(st);
	}
	if (status_out)
		*status_out = p->status;
	return 0;
}

int ep_proc_poll(struct ep_proc *p, int *status_out, struct ep_error *err)
{
	int st;
	pid_t r;

	if (!p->done) {
		r = waitpid(p->pid, &st, WNOHANG);
		if (r < 0 && errno != EINTR)
			return ep_error_sys(err, EP_EINTERNAL, "cannot wait for process %d",
					    (int)p->pid);
		if (r <= 0)
			return 0;
		p->done = true;
		p->status = decode_status(st);
	}
	if (status_out)
		*status_out = p->status;
	return 1;
}

void ep_proc_free(struct ep_proc *p)
{
	if (!p)
		return;
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	free(p);
}

int ep_proc_run(const struct ep_proc_opts *o, struct ep_buf *captured, int *status_out,
		struct ep_error *err)
{
	struct ep_proc *p;
	int rc = ep_proc_start(&p, o, err);

	if (rc)
		return rc;
	if (p->out_fd >= 0) {
		char chunk[16384];
		ssize_t n;

		while ((n = read(p->out_fd, chunk, sizeof(chunk))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			if (captured && ep_buf_add(captured, chunk, (size_t)n) == EP_EIO &&
			    captured->cap > captured->len)
				ep_buf_add(captured, chunk, captured->cap - captured->len);
		}
	}
	rc = ep_proc_wait(p, status_out, err);
	ep_proc_free(p);
	return rc;
}
