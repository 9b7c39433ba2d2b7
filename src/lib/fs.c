#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/fs.h"
#include "banned.h"

bool ep_fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

bool ep_fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ep_fs_dirname(struct ep_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	ep_buf_reset(out);
	if (!slash)
		return ep_buf_addch(out, '.');
	if (slash == path)
		return ep_buf_addch(out, '/');
	return ep_buf_add(out, path, (size_t)(slash - path));
}

int ep_fs_absolute(struct ep_buf *out, const char *path)
{
	char cwd[PATH_MAX];

	ep_buf_reset(out);
	if (path[0] == '/')
		return ep_buf_adds(out, path);
	if (!getcwd(cwd, sizeof(cwd)))
		return EP_EIO;
	return ep_buf_addf(out, "%s/%s", cwd, path);
}

int ep_fs_mkdirs(const char *path, mode_t mode, struct ep_error *err)
{
	struct ep_buf b = EP_BUF_INIT;
	size_t i;
	int rc = 0;

	if (ep_buf_adds(&b, path))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	for (i = 1; i <= b.len && !rc; i++) {
		char c = b.ptr[i];

		if (c != '/' && c != '\0')
			continue;
		b.ptr[i] = '\0';
		if (mkdir(b.ptr, mode)) {
			if (errno != EEXIST)
				rc = ep_error_sys(err, EP_EIO, "cannot create directory '%s'",
						  b.ptr);
			else if (!ep_fs_is_dir(b.ptr))
				rc = ep_error_set(
				    err, EP_EIO,
				    "cannot create directory '%s': a file is in the way", b.ptr);
		}
		b.ptr[i] = c;
	}
	ep_buf_release(&b);
	return rc;
}

int ep_fs_fsync_dir(const char *path, struct ep_error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ep_error_sys(err, EP_EIO, "cannot open directory '%s'", path);
	if (fsync(fd) && errno != EINVAL) {
		close(fd);
		return ep_error_sys(err, EP_EIO, "cannot fsync directory '%s'", path);
	}
	close(fd);
	return 0;
}

int ep_fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write a temporary beside `path` and rename it into place; fsync both when `durable`. */
static int replace_file(const char *path, const void *data, size_t len, mode_t mode, bool durable,
			struct ep_error *err)
{
	struct ep_buf tmp = EP_BUF_INIT, dir = EP_BUF_INIT;
	int fd, rc = 0;

	ep_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	unlink(tmp.ptr); /* a leftover of ours from a crash with a reused pid */
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		rc = ep_error_sys(err, EP_EIO, "cannot create '%s'", tmp.ptr);
		goto out;
	}
	if (ep_fs_write_all(fd, data, len) || (durable && fsync(fd))) {
		rc = ep_error_sys(err, EP_EIO, "cannot write '%s'", path);
		close(fd);
		unlink(tmp.ptr);
		goto out;
	}
	if (close(fd)) {
		rc = ep_error_sys(err, EP_EIO, "cannot write '%s'", path);
		unlink(tmp.ptr);
		goto out;
	}
	if (rename(tmp.ptr, path)) {
		rc = ep_error_sys(err, EP_EIO, "cannot rename '%s' to '%s'", tmp.ptr, path);
		unlink(tmp.ptr);
		goto out;
	}
	if (durable) {
		ep_fs_dirname(&dir, path);
		rc = ep_fs_fsync_dir(dir.ptr, err);
	}
out:
	ep_buf_release(&tmp);
	ep_buf_release(&dir);
	return rc;
}

int ep_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		       struct ep_error *err)
{
	return replace_file(path, data, len, mode, true, err);
}

int ep_fs_replace(const char *path, const void *data, size_t len, mode_t mode, struct ep_error *err)
{
	return replace_file(path, data, len, mode, false, err);
}

typedef int (*walk_fn)(const char *path, const struct stat *st, void *ctx, struct ep_error *err);

/* Depth-first walk; `post` is called after a directory's children. */
static int walk(const char *path, walk_fn pre, walk_fn post, void *ctx, struct ep_error *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : ep_error_sys(err, EP_EIO, "cannot stat '%s'", path);
	if (pre && (rc = pre(path, &st, ctx, err)))
		return rc;
	if (S_ISDIR(st.st_mode)) {
		struct ep_buf child = EP_BUF_INIT;

		d = opendir(path);
		if (!d)
			return ep_error_sys(err, EP_EIO, "cannot open directory '%s'", path);
		while (!rc && (de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			ep_buf_reset(&child);
			ep_buf_addf(&child, "%s/%s", path, de->d_name);
			rc = walk(child.ptr, pre, post, ctx, err);
		}
		closedir(d);
		ep_buf_release(&child);
	}
	if (!rc && post)
		rc = post(path, &st, ctx, err);
	return rc;
}

static int fsync_one(const char *path, const struct stat *st, void *ctx, struct ep_error *err)
{
	int fd;

	(void)ctx;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ep_error_sys(err, EP_EIO, "cannot open '%s'", path);
	if (fsync(fd) && errno != EINVAL) {
		close(fd);
		return ep_error_sys(err, EP_EIO, "cannot fsync '%s'", path);
	}
	close(fd);
	return 0;
}

int ep_fs_fsync_tree(const char *path, struct ep_error *err)
{
	return walk(path, NULL, fsync_one, NULL, err);
}

static int remove_one(const char *path, const struct stat *st, void *ctx, struct ep_error *err)
{
	(void)ctx;
	if (S_ISDIR(st->st_mode) ? rmdir(path) : unlink(path))
		if (errno != ENOENT)
			return ep_error_sys(err, EP_EIO, "cannot remove '%s'", path);
	return 0;
}

static int make_writable(const char *path, const struct stat *st, void *ctx, struct ep_error *err)
{
	(void)ctx;
	(void)err;
	if (S_ISDIR(st->st_mode) && !(st->st_mode & S_IWUSR))
		chmod(path, st->st_mode | S_IRWXU);
	return 0;
}

int ep_fs_remove_tree(const char *path, struct ep_error *err)
{
	return walk(path, make_writable, remove_one, NULL, err);
}

static int copy_file(const char *from, const char *to, mode_t mode, struct ep_error *err)
{
	char chunk[1 << 16];
	int in, out, rc = 0;

	in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return ep_error_sys(err, EP_EIO, "cannot open '%s'", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
	if (out < 0) {
		close(in);
		return ep_error_sys(err, EP_EIO, "cannot create '%s'", to);
	}
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				rc = ep_error_sys(err, EP_EIO, "cannot read '%s'", from);
			break;
		}
		if (ep_fs_write_all(out, chunk, (size_t)n)) {
			rc = ep_error_sys(err, EP_EIO, "cannot write '%s'", to);
			break;
		}
	}
	close(in);
	if (close(out) && !rc)
		rc = ep_error_sys(err, EP_EIO, "cannot write '%s'", to);
	if (!rc)
		chmod(to, mode & 07777);
	return rc;
}

int ep_fs_copy_tree(const char *from, const char *to, struct ep_error *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (lstat(from, &st))
		return ep_error_sys(err, EP_EIO, "cannot stat '%s'", from);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(from, target, sizeof(target) - 1);

		if (n < 0)
			return ep_error_sys(err, EP_EIO, "cannot read link '%s'", from);
		target[n] = '\0';
		if (symlink(target, to))
			return ep_error_sys(err, EP_EIO, "cannot create link '%s'", to);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return copy_file(from, to, st.st_mode, err);
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (mkdir(to, (st.st_mode & 07777) | S_IRWXU) && errno != EEXIST)
		return ep_error_sys(err, EP_EIO, "cannot create directory '%s'", to);
	d = opendir(from);
	if (!d)
		return ep_error_sys(err, EP_EIO, "cannot open directory '%s'", from);
	while (!rc && (de = readdir(d))) {
		struct ep_buf a = EP_BUF_INIT, b = EP_BUF_INIT;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ep_buf_addf(&a, "%s/%s", from, de->d_name);
		ep_buf_addf(&b, "%s/%s", to, de->d_name);
		rc = ep_fs_copy_tree(a.ptr, b.ptr, err);
		ep_buf_release(&a);
		ep_buf_release(&b);
	}
	closedir(d);
	return rc;
}
