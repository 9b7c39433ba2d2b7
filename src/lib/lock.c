#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ep/buf.h"
#include "ep/lock.h"
#include "ep/log.h"
#include "ep/state.h"
#include "banned.h"

/*
 * The holder writes its pid into the lock file after taking the lock, so a
 * waiter can say who it waits for. The content is advisory: the lock is
 * the flock, which the kernel drops when the holder dies.
 */
static void read_holder(int fd, char *out, size_t len)
{
	ssize_t n = pread(fd, out, len - 1, 0);

	if (n <= 0) {
		snprintf(out, len, "an unknown process");
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

int ep_lock_acquire(struct ep_lock *lk, const char *state_dir, const char *name, bool no_wait,
		    struct ep_error *err)
{
	struct ep_buf dir = EP_BUF_INIT, path = EP_BUF_INIT;
	char holder[64], me[32];
	int fd, rc;

	lk->fd = -1;
	lk->path = NULL;
	rc = ep_state_subdir(&dir, state_dir, "locks", err);
	if (rc)
		goto out;
	ep_buf_addf(&path, "%s/%s.lock", dir.ptr, name);
	fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = ep_error_sys(err, EP_EIO, "cannot open lock '%s'", path.ptr);
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int64_t start = ep_now_ms();

		if (errno != EWOULDBLOCK) {
			rc = ep_error_sys(err, EP_EIO, "cannot lock '%s'", path.ptr);
			close(fd);
			goto out;
		}
		read_holder(fd, holder, sizeof(holder));
		if (no_wait) {
			rc = ep_error_set(
			    err, EP_EBUSY,
			    "lock '%s' is held by %s; wait for it or run without --no-wait", name,
			    holder);
			close(fd);
			goto out;
		}
		ep_narrate(EP_LOG_INFO, "lock", "wait", name, NULL, -1,
			   "waiting for lock '%s' held by %s", name, holder);
		while (flock(fd, LOCK_EX)) {
			if (errno != EINTR) {
				rc = ep_error_sys(err, EP_EIO, "cannot lock '%s'", path.ptr);
				close(fd);
				goto out;
			}
		}
		ep_narrate(EP_LOG_DEBUG, "lock", "acquired", name, NULL, ep_now_ms() - start,
			   "took lock '%s'", name);
	}
	snprintf(me, sizeof(me), "pid %ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, me, strlen(me), 0) < 0) {
		/* the pid note is advisory; the flock is what counts */
	}
	lk->fd = fd;
	lk->path = ep_buf_detach(&path, NULL);
out:
	ep_buf_release(&dir);
	ep_buf_release(&path);
	return rc;
}

void ep_lock_release(struct ep_lock *lk)
{
	if (lk->fd >= 0) {
		flock(lk->fd, LOCK_UN);
		close(lk->fd);
	}
	free(lk->path);
	lk->fd = -1;
	lk->path = NULL;
}
