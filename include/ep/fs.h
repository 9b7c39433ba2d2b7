/*
 * Files on disk, the careful way (git's lockfile, Nix's store): write to a
 * temporary beside the target with O_EXCL, fsync, rename into place, fsync
 * the directory. A reader never sees half a file.
 */
#ifndef EP_FS_H
#define EP_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ep/buf.h"
#include "ep/error.h"

/* mkdir -p with `mode` for the directories it creates. */
int ep_fs_mkdirs(const char *path, mode_t mode, struct ep_error *err);
/* Replace `path` atomically with `len` bytes of `data`. */
int ep_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		       struct ep_error *err);
/*
 * The same, atomic but not durable (no fsync): for runtime files that do not
 * outlive a reboot anyway (PID and handoff files), where readers must never
 * see half a file but a crash may lose the latest version.
 */
int ep_fs_replace(const char *path, const void *data, size_t len, mode_t mode,
		  struct ep_error *err);
/* write(2) all of `len` bytes, resuming after EINTR and short writes; 0 or -1 (errno set). */
int ep_fs_write_all(int fd, const void *data, size_t len);
/* fsync a directory (so a rename or create in it is durable). */
int ep_fs_fsync_dir(const char *path, struct ep_error *err);
/* fsync every file and directory below `path`, then `path` itself. */
int ep_fs_fsync_tree(const char *path, struct ep_error *err);
/* rm -rf; a missing path is not an error. Never follows symbolic links. */
int ep_fs_remove_tree(const char *path, struct ep_error *err);
/* Copy a tree of regular files, directories and symlinks (modes kept). */
int ep_fs_copy_tree(const char *from, const char *to, struct ep_error *err);
bool ep_fs_exists(const char *path);
bool ep_fs_is_dir(const char *path);
/* Directory part of `path` into out ("." when none). */
int ep_fs_dirname(struct ep_buf *out, const char *path);
/* Make `path` absolute against the current directory (no symlink resolution). */
int ep_fs_absolute(struct ep_buf *out, const char *path);

#endif
