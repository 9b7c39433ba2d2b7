/*
 * Proof bundles: one directory per run under
 * <state>/proofs/<pool_id>/<YYYYmmddTHHMMSSZ>-<pid>[-N]/. Each file is
 * written whole or not at all (a temporary beside it, fsync, rename) and
 * everything in it has passed through ep_redact(). Copies of logs are
 * streamed line by line, so a large build log never sits in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/log.h"
#include "ep/proof.h"
#include "banned.h"

#define PROOF_MAX_TRIES 100

struct ep_proof {
	char *dir;
};

/* A name that stays inside its directory: no '/', no leading '.', not empty. */
static bool is_plain_name(const char *s)
{
	return s && *s && *s != '.' && !strchr(s, '/') && strlen(s) <= 128;
}

int ep_proof_open(struct ep_proof **out, const char *state_dir, const char *pool_id,
		  struct ep_error *err)
{
	struct ep_buf parent = EP_BUF_INIT, dir = EP_BUF_INIT;
	struct ep_proof *pf;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc, i;

	*out = NULL;
	if (!is_plain_name(pool_id))
		return ep_error_set(err, EP_EUNSAFE,
				    "cannot open a proof bundle for pool '%s': the id is not a "
				    "plain file name",
				    pool_id ? pool_id : "");
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	ep_buf_addf(&parent, "%s/proofs/%s", state_dir, pool_id);
	rc = ep_fs_mkdirs(parent.ptr, 0755, err);
	if (rc)
		goto out;
	for (i = 1; i <= PROOF_MAX_TRIES; i++) {
		ep_buf_reset(&dir);
		ep_buf_addf(&dir, "%s/%s-%ld", parent.ptr, stamp, (long)getpid());
		if (i > 1)
			ep_buf_addf(&dir, "-%d", i);
		if (mkdir(dir.ptr, 0755) == 0)
			break;
		if (errno != EEXIST) {
			rc = ep_error_sys(err, EP_EIO, "cannot create proof bundle '%s'", dir.ptr);
			goto out;
		}
	}
	if (i > PROOF_MAX_TRIES) {
		rc = ep_error_set(err, EP_EIO, "cannot create a proof bundle under '%s'",
				  parent.ptr);
		goto out;
	}
	pf = calloc(1, sizeof(*pf));
	if (!pf) {
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		goto out;
	}
	pf->dir = ep_buf_detach(&dir, NULL);
	*out = pf;
	ep_narrate(EP_LOG_DEBUG, "proof", "open", pf->dir, pool_id, -1, "proof bundle '%s'",
		   pf->dir);
out:
	ep_buf_release(&parent);
	ep_buf_release(&dir);
	return rc;
}

const char *ep_proof_dir(const struct ep_proof *pf)
{
	return pf->dir;
}

void ep_proof_close(struct ep_proof *pf)
{
	if (!pf)
		return;
	/* make the bundle's entries durable; a failure here loses nothing but the proof */
	ep_fs_fsync_dir(pf->dir, NULL);
	free(pf->dir);
	free(pf);
}

/* "<bundle>/<name>", refusing names that would leave the bundle. */
static int target_path(struct ep_buf *out, const struct ep_proof *pf, const char *name,
		       struct ep_error *err)
{
	if (!is_plain_name(name))
		return ep_error_set(err, EP_EUNSAFE,
				    "proof file name '%s' is not a plain file name", name);
	return ep_buf_addf(out, "%s/%s", pf->dir, name)
		   ? ep_error_set(err, EP_ENOMEM, "out of memory")
		   : 0;
}

int ep_proof_write(struct ep_proof *pf, const char *name, const char *text, struct ep_error *err)
{
	struct ep_buf path = EP_BUF_INIT, clean = EP_BUF_INIT;
	int rc = target_path(&path, pf, name, err);

	if (!rc && ep_redact(&clean, text ? text : ""))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc)
		rc = ep_fs_write_atomic(path.ptr, clean.ptr, clean.len, 0644, err);
	ep_buf_release(&path);
	ep_buf_release(&clean);
	return rc;
}

/* Redact one line (with its newline, if any) and write it to `out`. */
static int put_line(FILE *out, struct ep_buf *clean, const char *line)
{
	ep_buf_reset(clean);
	if (ep_redact(clean, line))
		return EP_ENOMEM;
	return fwrite(clean->ptr, 1, clean->len, out) == clean->len ? 0 : EP_EIO;
}

int ep_proof_copy(struct ep_proof *pf, const char *name, const char *src, struct ep_error *err)
{
	struct ep_buf path = EP_BUF_INIT, tmp = EP_BUF_INIT, clean = EP_BUF_INIT;
	FILE *in = NULL, *out = NULL;
	char *line = NULL;
	size_t cap = 0;
	int fd = -1, rc;

	rc = target_path(&path, pf, name, err);
	if (rc)
		goto done;
	in = fopen(src, "re");
	if (!in) {
		rc = ep_error_sys(err, errno == ENOENT ? EP_ENOTFOUND : EP_EIO,
				  "cannot read '%s' for the proof bundle", src);
		goto done;
	}
	ep_buf_addf(&tmp, "%s.tmp.%ld", path.ptr, (long)getpid());
	unlink(tmp.ptr); /* a leftover of ours from a crash with a reused pid */
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || !(out = fdopen(fd, "w"))) {
		rc = ep_error_sys(err, EP_EIO, "cannot create '%s'", tmp.ptr);
		goto done;
	}
	fd = -1; /* owned by `out` now */
	errno = 0;
	while (getline(&line, &cap, in) >= 0) {
		rc = put_line(out, &clean, line);
		if (rc) {
			rc = rc == EP_ENOMEM ? ep_error_set(err, rc, "out of memory")
					     : ep_error_sys(err, rc, "cannot write '%s'", tmp.ptr);
			goto done;
		}
	}
	if (ferror(in)) {
		rc = ep_error_sys(err, EP_EIO, "cannot read '%s'", src);
		goto done;
	}
	if (fflush(out) || fsync(fileno(out))) {
		rc = ep_error_sys(err, EP_EIO, "cannot write '%s'", tmp.ptr);
		goto done;
	}
	if (fclose(out)) {
		out = NULL;
		rc = ep_error_sys(err, EP_EIO, "cannot write '%s'", tmp.ptr);
		goto done;
	}
	out = NULL;
	if (rename(tmp.ptr, path.ptr))
		rc = ep_error_sys(err, EP_EIO, "cannot rename '%s' to '%s'", tmp.ptr, path.ptr);
done:
	if (out)
		fclose(out);
	if (fd >= 0)
		close(fd);
	if (rc && tmp.len)
		unlink(tmp.ptr);
	if (in)
		fclose(in);
	free(line);
	ep_buf_release(&path);
	ep_buf_release(&tmp);
	ep_buf_release(&clean);
	return rc;
}
