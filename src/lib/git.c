/*
 * Git for source builds: one cached bare mirror per repository, refs
 * resolved once to a full commit SHA, and checkouts keyed by commit.
 *
 * No config value ever reaches git as an option: repositories and refs
 * that begin with '-' are refused, "--" ends the options wherever git
 * takes it, and a ref reaches git only as "<ref>^{commit}" after that
 * check (git rev-parse ignores --end-of-options for revisions). Only the
 * https, http, ssh, git and file transports are allowed (protocol.allow),
 * so ext:: and every "<helper>::" address are refused, and git runs with
 * an explicit environment: no GIT_DIR or GIT_* leaks from the caller, no
 * terminal prompts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/lock.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "source.h"
#include "banned.h"

#define GIT_OUTPUT_CAP (1u << 20)

/* The environment every git process gets: an allowlist, then our settings. */
static int git_env(struct ep_strvec *env)
{
	static const char *const keep[] = {
	    "PATH",	      "HOME",	    "USER",	   "LOGNAME",	    "SSH_AUTH_SOCK",
	    "TMPDIR",	      "http_proxy", "https_proxy", "HTTP_PROXY",    "HTTPS_PROXY",
	    "no_proxy",	      "NO_PROXY",   "all_proxy",   "SSL_CERT_FILE", "SSL_CERT_DIR",
	    "GIT_SSL_CAINFO", NULL};
	size_t i;
	int rc = 0;

	for (i = 0; keep[i] && !rc; i++) {
		const char *v = getenv(keep[i]);

		if (v)
			rc = ep_strvec_pushf(env, "%s=%s", keep[i], v);
	}
	if (!getenv("PATH"))
		rc = rc ? rc : ep_strvec_push(env, "PATH=/usr/local/bin:/usr/bin:/bin");
	rc = rc ? rc : ep_strvec_push(env, "LC_ALL=C");
	rc = rc ? rc : ep_strvec_push(env, "GIT_TERMINAL_PROMPT=0");
	rc = rc ? rc : ep_strvec_push(env, "GIT_SSH_COMMAND=ssh -o BatchMode=yes");
	return rc;
}

/* The transports allowed, by name; everything else (ext::, fd::, helpers) is refused. */
static const char *const protocols[] = {"protocol.allow=never",
					"protocol.https.allow=always",
					"protocol.http.allow=always",
					"protocol.ssh.allow=always",
					"protocol.git.allow=always",
					"protocol.file.allow=always",
					NULL};

/*
 * Run git with `args` (NULL-terminated) against `git_dir` (may be NULL) in
 * `cwd` (may be NULL). Output is collected into `out` when given (stderr
 * too when `with_stderr`); *status gets the exit status.
 */
static int run_git(const char *const *args, const char *git_dir, const char *cwd,
		   struct ep_buf *out, bool with_stderr, int *status, const char *pool_id,
		   struct ep_error *err)
{
	struct ep_proc_opts o = EP_PROC_OPTS_INIT;
	struct ep_strvec argv = EP_STRVEC_INIT, env = EP_STRVEC_INIT;
	struct ep_buf sink = EP_BUF_INIT;
	size_t i;
	int rc;

	rc = ep_strvec_push(&argv, "git");
	for (i = 0; !rc && protocols[i]; i++) {
		rc = ep_strvec_push(&argv, "-c");
		rc = rc ? rc : ep_strvec_push(&argv, protocols[i]);
	}
	if (git_dir)
		rc = rc ? rc : ep_strvec_pushf(&argv, "--git-dir=%s", git_dir);
	rc = rc ? rc : ep_strvec_pushv(&argv, args);
	rc = rc ? rc : git_env(&env);
	if (rc) {
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		goto out;
	}
	ep_buf_init(&sink, GIT_OUTPUT_CAP);
	o.argv = (const char *const *)argv.v;
	o.env = (const char *const *)env.v;
	o.cwd = cwd;
	o.out = EP_PROC_PIPE;
	o.err = with_stderr ? EP_PROC_TO_OUT : EP_PROC_NULL;
	o.pool_id = pool_id;
	rc = ep_proc_run(&o, out ? out : &sink, status, err);
out:
	ep_buf_release(&sink);
	ep_strvec_release(&argv);
	ep_strvec_release(&env);
	return rc;
}

bool ep_git__is_full_sha(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		if (!s[i] || !strchr("0123456789abcdef", s[i]))
			return false;
	return s[40] == '\0';
}

static bool is_hex_prefix(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && n < 40 && strspn(s, "0123456789abcdef") == n;
}

int ep_git__check_ref(const char *ref, struct ep_error *err)
{
	const char *s;

	if (!ref || !*ref)
		return ep_error_set(err, EP_ECONFIG,
				    "source.ref is empty; name a tag, branch or commit");
	if (ref[0] == '-')
		return ep_error_set(
		    err, EP_ECONFIG,
		    "source.ref '%s' begins with '-'; refs may not look like options", ref);
	for (s = ref; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("~^:?*[\\", *s))
			return ep_error_set(err, EP_ECONFIG,
					    "source.ref '%s' is not a valid git ref name", ref);
	return 0;
}

int ep_git__canonical_repo(struct ep_buf *out, const char *repo, struct ep_error *err)
{
	static const char *const schemes[] = {"https://", "http://",	"ssh://",     "git://",
					      "file://",  "git+ssh://", "ssh+git://", NULL};
	const char *colon, *slash;
	size_t i;

	ep_buf_reset(out);
	if (!repo || !*repo)
		return ep_error_set(err, EP_ECONFIG, "source.repo is empty");
	if (repo[0] == '-')
		return ep_error_set(
		    err, EP_ECONFIG,
		    "source.repo '%s' begins with '-'; it may not look like an option", repo);
	if (strstr(repo, "::"))
		return ep_error_set(err, EP_EUNSAFE,
				    "source.repo '%s' names a remote helper transport; only https, "
				    "ssh, git, file URLs and local paths are allowed",
				    repo);
	for (i = 0; schemes[i]; i++)
		if (!strncmp(repo, schemes[i], strlen(schemes[i])))
			return ep_buf_adds(out, repo);
	colon = strchr(repo, ':');
	slash = strchr(repo, '/');
	if (colon && (!slash || colon < slash) && !ep_fs_exists(repo))
		return ep_buf_adds(out, repo); /* scp-like user@host:path */
	if (strstr(repo, "://"))
		return ep_error_set(err, EP_EUNSAFE,
				    "source.repo '%s' uses a transport that is not allowed", repo);
	if (!ep_fs_exists(repo))
		return ep_error_set(err, EP_ENOTFOUND,
				    "source.repo '%s' is neither a URL nor an existing path", repo);
	if (ep_fs_absolute(out, repo))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	return 0;
}

static bool repo_is_local(const char *canonical)
{
	return canonical[0] == '/' || !strncmp(canonical, "file://", 7);
}

/*
 * The hex part of sha256(s), first `n` digits. Callers make sure libcrypto
 * is there first (ep_sha256_ready); should hashing fail all the same, the
 * digits are zeros rather than whatever the stack held.
 */
static void hex_of(char *out, size_t n, const char *s)
{
	char d[EP_DIGEST_LEN];

	if (ep_sha256_buf(d, s, strlen(s)))
		memset(d, '0', sizeof(d) - 1);
	memcpy(out, d + 7, n);
	out[n] = '\0';
}

int ep_git__mirror_path(struct ep_buf *out, const char *base, const char *repo)
{
	char hex[65];

	hex_of(hex, 64, repo);
	ep_buf_reset(out);
	return ep_buf_addf(out, "%s/mirrors/%s.git", base, hex);
}

static int cache_path(struct ep_buf *out, const char *base, const char *repo, const char *ref)
{
	struct ep_buf k = EP_BUF_INIT;
	char hex[65];

	ep_buf_addf(&k, "%s\n%s", repo, ref);
	hex_of(hex, 64, k.ptr);
	ep_buf_release(&k);
	ep_buf_reset(out);
	return ep_buf_addf(out, "%s/refs/%s", base, hex);
}

int ep_git__cached_ref(char out[41], const char *base, const char *repo, const char *ref)
{
	struct ep_buf path = EP_BUF_INIT;
	char data[64];
	ssize_t n = -1;
	int fd;

	cache_path(&path, base, repo, ref);
	fd = open(path.ptr, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ep_buf_release(&path);
	if (fd >= 0) {
		n = read(fd, data, sizeof(data) - 1);
		close(fd);
	}
	if (n < 41 || data[40] != '\n')
		return EP_ENOTFOUND;
	data[40] = '\0';
	if (!ep_git__is_full_sha(data))
		return EP_ENOTFOUND;
	memcpy(out, data, 41);
	return 0;
}

static int write_cached_ref(const char *base, const char *repo, const char *ref, const char *sha,
			    struct ep_error *err)
{
	struct ep_buf path = EP_BUF_INIT, dir = EP_BUF_INIT;
	char line[42];
	int rc;

	snprintf(line, sizeof(line), "%s\n", sha);
	ep_buf_addf(&dir, "%s/refs", base);
	rc = ep_fs_mkdirs(dir.ptr, 0755, err);
	cache_path(&path, base, repo, ref);
	rc = rc ? rc : ep_fs_write_atomic(path.ptr, line, 41, 0644, err);
	ep_buf_release(&path);
	ep_buf_release(&dir);
	return rc;
}

/* Create the bare mirror beside its final name, then rename it into place. */
static int init_mirror(const char *mirror, const char *pool_id, struct ep_error *err)
{
	struct ep_buf tmp = EP_BUF_INIT, out = EP_BUF_INIT, dir = EP_BUF_INIT;
	const char *args[] = {"init", "--bare", "--quiet", "--", NULL, NULL};
	int rc, status = 0;

	ep_fs_dirname(&dir, mirror);
	rc = ep_fs_mkdirs(dir.ptr, 0755, err);
	ep_buf_addf(&tmp, "%s.tmp", mirror);
	rc = rc ? rc : ep_fs_remove_tree(tmp.ptr, err);
	args[4] = tmp.ptr;
	rc = rc ? rc : run_git(args, NULL, NULL, &out, true, &status, pool_id, err);
	if (!rc && status)
		rc = ep_error_set(err, EP_EFETCH, "cannot create mirror '%s': %s", mirror, out.ptr);
	if (!rc && rename(tmp.ptr, mirror))
		rc = ep_error_sys(err, EP_EIO, "cannot rename '%s'", tmp.ptr);
	ep_buf_release(&tmp);
	ep_buf_release(&out);
	ep_buf_release(&dir);
	return rc;
}

/* Fetch every branch and tag (and HEAD, which is all a bundle may carry). */
static int fetch(const char *mirror, const char *repo, const char *pool_id, struct ep_error *err)
{
	const char *args[] = {"fetch",
			      "--quiet",
			      "--prune",
			      "--force",
			      "--",
			      repo,
			      "+refs/heads/*:refs/heads/*",
			      "+refs/tags/*:refs/tags/*",
			      "+HEAD:refs/ep/HEAD",
			      NULL};
	struct ep_buf out = EP_BUF_INIT;
	int64_t start = ep_now_ms();
	int rc, status = 0;

	ep_ensure__checkpoint("clone");
	ep_narrate(EP_LOG_INFO, "git", "fetch", repo, pool_id, -1, "fetching '%s'", repo);
	rc = run_git(args, mirror, NULL, &out, true, &status, pool_id, err);
	if (!rc && status) {
		ep_buf_rtrim(&out);
		ep_buf_keep_last_lines(&out, 20);
		rc = ep_error_set(err, EP_EFETCH, "cannot fetch '%s': git said: %s", repo, out.ptr);
	}
	if (!rc)
		ep_narrate(EP_LOG_INFO, "git", "fetched", repo, pool_id, ep_now_ms() - start,
			   "fetched '%s'", repo);
	ep_buf_release(&out);
	return rc;
}

/* rev-parse --verify --quiet <rev>^{commit}: 0 and the SHA, or EP_ENOTFOUND. */
static int rev_commit(char out[41], const char *mirror, const char *rev, const char *pool_id,
		      struct ep_error *err)
{
	struct ep_buf spec = EP_BUF_INIT, res = EP_BUF_INIT;
	const char *args[] = {"rev-parse", "--verify", "--quiet", NULL, NULL};
	int rc, status = 0;

	ep_buf_addf(&spec, "%s^{commit}", rev);
	args[3] = spec.ptr;
	rc = run_git(args, mirror, NULL, &res, false, &status, pool_id, err);
	ep_buf_rtrim(&res);
	if (!rc && (status || !ep_git__is_full_sha(res.ptr)))
		rc = EP_ENOTFOUND;
	if (!rc)
		memcpy(out, res.ptr, 41);
	ep_buf_release(&spec);
	ep_buf_release(&res);
	return rc;
}

/* Objects whose names start with `prefix` (one per line), or "" when none. */
static int candidates(struct ep_buf *out, const char *mirror, const char *prefix,
		      const char *pool_id, struct ep_error *err)
{
	struct ep_buf arg = EP_BUF_INIT;
	const char *args[] = {"rev-parse", NULL, NULL};
	int rc, status = 0;

	ep_buf_addf(&arg, "--disambiguate=%s", prefix);
	args[1] = arg.ptr;
	rc = run_git(args, mirror, NULL, out, false, &status, pool_id, err);
	ep_buf_rtrim(out);
	ep_buf_release(&arg);
	return rc;
}

/* Resolve with what the mirror holds now. */
static int resolve_local(char out[41], enum ep_git_ref_kind *kind, const char *mirror,
			 const char *ref, const char *pool_id, struct ep_error *err)
{
	struct ep_buf refs = EP_BUF_INIT, heads = EP_BUF_INIT, tags = EP_BUF_INIT,
		      cands = EP_BUF_INIT;
	const char *args[] = {"for-each-ref", "--format=%(refname)", NULL, NULL, NULL};
	bool has_branch, has_tag;
	int rc, status = 0;

	if (ep_git__is_full_sha(ref) || !strncmp(ref, "refs/", 5)) {
		*kind = !strncmp(ref, "refs/heads/", 11)  ? EP_GIT_BRANCH
			: !strncmp(ref, "refs/tags/", 10) ? EP_GIT_TAG
			: ref[0] == 'r'			  ? EP_GIT_FULLREF
							  : EP_GIT_SHA;
		return rev_commit(out, mirror, ref, pool_id, err);
	}
	ep_buf_addf(&heads, "refs/heads/%s", ref);
	ep_buf_addf(&tags, "refs/tags/%s", ref);
	args[2] = heads.ptr;
	args[3] = tags.ptr;
	rc = run_git(args, mirror, NULL, &refs, false, &status, pool_id, err);
	if (rc)
		goto out;
	ep_buf_addch(&refs, '\n');
	ep_buf_addf(&heads, "\n");
	ep_buf_addf(&tags, "\n");
	has_branch = strstr(refs.ptr, heads.ptr) != NULL;
	has_tag = strstr(refs.ptr, tags.ptr) != NULL;
	ep_buf_setlen(&heads, heads.len - 1);
	ep_buf_setlen(&tags, tags.len - 1);
	if (is_hex_prefix(ref) && (rc = candidates(&cands, mirror, ref, pool_id, err)))
		goto out;
	if (has_branch && has_tag) {
		rc = ep_error_set(err, EP_ECONFIG,
				  "source.ref '%s' is ambiguous: it names both a branch and a tag; "
				  "write 'refs/heads/%s' or 'refs/tags/%s'",
				  ref, ref, ref);
	} else if ((has_branch || has_tag) && cands.len) {
		rc = ep_error_set(err, EP_ECONFIG,
				  "source.ref '%s' is ambiguous: it names a %s and abbreviates a "
				  "commit; write 'refs/%s/%s' or the full commit SHA",
				  ref, has_tag ? "tag" : "branch", has_tag ? "tags" : "heads", ref);
	} else if (has_branch || has_tag) {
		*kind = has_tag ? EP_GIT_TAG : EP_GIT_BRANCH;
		rc = rev_commit(out, mirror, has_tag ? tags.ptr : heads.ptr, pool_id, err);
	} else if (cands.len) {
		*kind = EP_GIT_SHORT_SHA;
		rc = rev_commit(out, mirror, ref, pool_id, err);
		if (rc == EP_ENOTFOUND && strchr(cands.ptr, '\n')) {
			char *nl;

			while ((nl = strchr(cands.ptr, '\n')))
				*nl = ',';
			rc = ep_error_set(
			    err, EP_ECONFIG,
			    "source.ref '%s' is an ambiguous short SHA: it matches %s; "
			    "give more digits",
			    ref, cands.ptr);
		}
	} else {
		rc = EP_ENOTFOUND;
	}
out:
	ep_buf_release(&refs);
	ep_buf_release(&heads);
	ep_buf_release(&tags);
	ep_buf_release(&cands);
	return rc;
}

int ep_git__resolve(char out[41], enum ep_git_ref_kind *kind_out, const char *base,
		    const char *repo, const char *ref, bool offline, bool no_wait,
		    const char *pool_id, struct ep_error *err)
{
	struct ep_buf mirror = EP_BUF_INIT, lockname = EP_BUF_INIT;
	struct ep_lock lk = EP_LOCK_INIT;
	enum ep_git_ref_kind kind = EP_GIT_SHA;
	bool may_fetch = !offline || repo_is_local(repo), fetched = false;
	char hex[17];
	int rc;

	if ((rc = ep_git__check_ref(ref, err)) || (rc = ep_sha256_ready(err)))
		return rc;
	ep_git__mirror_path(&mirror, base, repo);
	hex_of(hex, 16, repo);
	ep_buf_addf(&lockname, "mirror-%s", hex);
	rc = ep_lock_acquire(&lk, base, lockname.ptr, no_wait, err);
	if (rc)
		goto out;
	if (!ep_fs_is_dir(mirror.ptr)) {
		if (!may_fetch) {
			rc = ep_error_set(err, EP_EFETCH,
					  "no mirror of '%s' here yet and --offline was given; run "
					  "once without --offline",
					  repo);
			goto out;
		}
		rc = init_mirror(mirror.ptr, pool_id, err);
		rc = rc ? rc : fetch(mirror.ptr, repo, pool_id, err);
		fetched = true;
		if (rc)
			goto out;
	}
	rc = resolve_local(out, &kind, mirror.ptr, ref, pool_id, err);
	if (!fetched && may_fetch &&
	    (rc == EP_ENOTFOUND || (rc == 0 && kind == EP_GIT_BRANCH && !offline))) {
		if ((rc = fetch(mirror.ptr, repo, pool_id, err)))
			goto out;
		rc = resolve_local(out, &kind, mirror.ptr, ref, pool_id, err);
	}
	if (rc == EP_ENOTFOUND)
		rc = ep_error_set(
		    err, EP_ENOTFOUND,
		    "source.ref '%s' not found in '%s': no such tag, branch or commit%s", ref, repo,
		    offline && !may_fetch ? " (--offline: nothing fetched)" : "");
	if (rc)
		goto out;
	ep_narrate(EP_LOG_INFO, "git", "resolve", ref, pool_id, -1, "'%s' is commit %s", ref, out);
	if (kind != EP_GIT_BRANCH && kind != EP_GIT_FULLREF)
		rc = write_cached_ref(base, repo, ref, out, err);
	*kind_out = kind;
out:
	ep_lock_release(&lk);
	ep_buf_release(&mirror);
	ep_buf_release(&lockname);
	return rc;
}

int ep_git__checkout(const char *mirror, const char *sha, bool submodules, const char *dir,
		     const char *pool_id, struct ep_error *err)
{
	const char *clone[] = {"clone", "--quiet", "--no-checkout", "--", mirror, dir, NULL};
	const char *co[] = {"-C", dir, "checkout", "--quiet", "--detach", sha, NULL};
	const char *sub[] = {"-C",     dir,	 "submodule",	"--quiet",
			     "update", "--init", "--recursive", NULL};
	struct ep_buf out = EP_BUF_INIT;
	int rc, status = 0;

	if (!ep_git__is_full_sha(sha))
		return ep_error_set(err, EP_EINTERNAL, "checkout of '%s': not a full SHA", sha);
	rc = run_git(clone, NULL, NULL, &out, true, &status, pool_id, err);
	if (!rc && !status)
		rc = run_git(co, NULL, NULL, &out, true, &status, pool_id, err);
	if (!rc && !status && submodules)
		rc = run_git(sub, NULL, NULL, &out, true, &status, pool_id, err);
	if (!rc && status) {
		ep_buf_rtrim(&out);
		ep_buf_keep_last_lines(&out, 20);
		rc = ep_error_set(err, EP_EFETCH, "cannot check out %s into '%s': git said: %s",
				  sha, dir, out.ptr);
	}
	ep_buf_release(&out);
	return rc;
}
