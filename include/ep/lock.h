/*
 * Inter-process locks: flock(2) on a file under <state>/locks, opened
 * O_CLOEXEC so no spawned child inherits it, released by the kernel when
 * the process dies, never unlinked. A waiter narrates who holds the lock
 * ("waiting for lock 'store-ab12' held by pid 4242"); with `no_wait` a held
 * lock is EP_EBUSY naming the holder.
 */
#ifndef EP_LOCK_H
#define EP_LOCK_H

#include <stdbool.h>

#include "ep/error.h"

struct ep_lock {
	int fd;
	char *path;
};

#define EP_LOCK_INIT     \
	{                \
		-1, NULL \
	}

/* Take the exclusive lock `name` under `<state>/locks`. */
int ep_lock_acquire(struct ep_lock *lk, const char *state_dir, const char *name, bool no_wait,
		    struct ep_error *err);
void ep_lock_release(struct ep_lock *lk);

#endif
