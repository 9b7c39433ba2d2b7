/*
 * Internal: the pieces of a source-mode ensure (git.c, build.c,
 * source.c) and the test-only checkpoints (ensure.c).
 */
#ifndef EP_SOURCE_H
#define EP_SOURCE_H

#include <stdbool.h>

#include "ep/buf.h"
#include "ep/error.h"
#include "ep/strvec.h"

/* A ref resolved to a commit, and what kind of name it was. */
enum ep_git_ref_kind { EP_GIT_SHA, EP_GIT_SHORT_SHA, EP_GIT_TAG, EP_GIT_BRANCH, EP_GIT_FULLREF };

/*
 * Is `repo` acceptable as a repository (an https/ssh/git/file URL, scp-like
 * "user@host:path", a local directory or a bundle file, never an option)?
 * `out` gets the canonical form (local paths made absolute).
 */
int ep_git__canonical_repo(struct ep_buf *out, const char *repo, struct ep_error *err);
/* Is `ref` acceptable as a ref (not empty, no leading '-', no control characters)? */
int ep_git__check_ref(const char *ref, struct ep_error *err);
/* Is `s` 40 hex digits? */
bool ep_git__is_full_sha(const char *s);

/* <base>/mirrors/<sha256(repo)>.git */
int ep_git__mirror_path(struct ep_buf *out, const char *base, const char *repo);

/*
 * The cached resolution of (repo, ref), written only for names that do not
 * move (tags, short and full SHAs; never branches): 0 and the SHA in out,
 * or EP_ENOTFOUND.
 */
int ep_git__cached_ref(char out[41], const char *base, const char *repo, const char *ref);

/*
 * Make sure the mirror exists (under the mirror lock) and resolve `ref` to
 * a full commit SHA, fetching only when the ref is not known locally or is
 * a branch (and not `offline`). The result is cached for tags and SHAs.
 */
int ep_git__resolve(char out[41], enum ep_git_ref_kind *kind_out, const char *base,
		    const char *repo, const char *ref, bool offline, bool no_wait,
		    const char *pool_id, struct ep_error *err);

/* Check out `sha` (and its submodules when asked) into `dir`, which must not exist. */
int ep_git__checkout(const char *mirror, const char *sha, bool submodules, const char *dir,
		     const char *pool_id, struct ep_error *err);

/* What a build needs. */
struct ep_build_req {
	const char *src_dir;   /* the checked-out source */
	const char *build_dir; /* the CMake binary directory */
	const char *log_dir;   /* where configure.log and build.log go */
	const char *generator;
	const char *target;		     /* "llama-server" */
	const struct ep_strvec *cmake_flags; /* normalized, plus preflight's extras */
	bool clear_cache;		     /* deprecated CUDA flags were mapped */
	const char *ccache_basedir;	     /* shared root of the build trees, for ccache */
	bool progress;			     /* narrate [n/N] progress events */
	const char *path_prepend;	     /* a directory put first on PATH (nvcc's), or NULL */
	const char *pool_id;
};

/* Configure and build the target; on failure the error quotes the log's tail. */
int ep_build__run(const struct ep_build_req *req, struct ep_error *err);

/*
 * Test-only: when $EP_TEST_CHECKPOINT equals `name`, write the pid into
 * $EP_TEST_CHECKPOINT_FILE and pause (a test kills the process there).
 */
void ep_ensure__checkpoint(const char *name);

#endif
