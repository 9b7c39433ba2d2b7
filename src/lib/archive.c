/*
 * Safe unpacking with libarchive (loaded on first use, see dynlib.h): every
 * entry's name, type, mode and link target is checked before libarchive
 * writes it (with its own secure flags as a second line of defence),
 * expansion is counted as it happens, and the finished tree's symbolic
 * links are resolved once more. See include/ep/archive.h for the rules.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ep/archive.h"
#include "ep/buf.h"
#include "dynlib.h"
#include "banned.h"

struct xctx {
	const struct ep_archive_api *la;
	const char *archive_path;
	char root[PATH_MAX]; /* canonical dest_dir */
	uint64_t archive_size;
	uint64_t max_entries, max_bytes, max_ratio;
	struct ep_archive_stats st;
	struct ep_buf name, full, link;
};

static int refuse(struct xctx *x, struct ep_error *err, const char *entry, const char *why)
{
	return ep_error_set(err, EP_EUNSAFE, "archive '%s': entry '%s' %s; refused",
			    x->archive_path, entry, why);
}

/*
 * Normalize an entry name into `out`: drop "." and empty components;
 * refuse absolute names and "..". An empty result is the root itself.
 */
static int clean_name(struct xctx *x, struct ep_buf *out, const char *name, struct ep_error *err)
{
	const char *p = name;

	ep_buf_reset(out);
	if (name[0] == '/')
		return refuse(x, err, name, "has an absolute path");
	if (strlen(name) >= PATH_MAX - strlen(x->root) - 2)
		return refuse(x, err, "(too long)", "has a name longer than the system allows");
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return refuse(x, err, name, "has a '..' component");
		if (n && !(n == 1 && p[0] == '.')) {
			if (out->len)
				ep_buf_addch(out, '/');
			ep_buf_add(out, p, n);
		}
		p += n;
		p += strspn(p, "/");
	}
	return 0;
}

/* No directory on the way to `rel` (inside the root) may be a symbolic link. */
static int check_parents(struct xctx *x, const char *rel, const char *shown, struct ep_error *err)
{
	struct stat st;
	size_t i;

	ep_buf_reset(&x->full);
	ep_buf_addf(&x->full, "%s/%s", x->root, rel);
	for (i = strlen(x->root) + 1; i < x->full.len; i++) {
		if (x->full.ptr[i] != '/')
			continue;
		x->full.ptr[i] = '\0';
		if (!lstat(x->full.ptr, &st) && !S_ISDIR(st.st_mode)) {
			x->full.ptr[i] = '/';
			return refuse(x, err, shown, "passes through a link or a file");
		}
		x->full.ptr[i] = '/';
	}
	return 0;
}

/* A symbolic link's target must be relative and stay inside the tree, lexically. */
static int check_symlink(struct xctx *x, const char *rel, const char *target, struct ep_error *err)
{
	long depth = 0;
	const char *p;

	if (!target || !*target)
		return refuse(x, err, rel, "is a link with an empty target");
	if (target[0] == '/')
		return refuse(x, err, rel, "is a link to an absolute path");
	for (p = rel; *p; p++)
		depth += *p == '/';
	for (p = target; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return refuse(x, err, rel,
					      "is a link that points outside the tree");
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		p += strspn(p, "/");
	}
	return 0;
}

/* A hard link may only name a regular file already extracted inside the tree. */
static int check_hardlink(struct xctx *x, struct archive_entry *e, const char *rel,
			  struct ep_error *err)
{
	const char *target = x->la->entry_hardlink(e);
	struct stat st;
	int rc;

	if (target[0] == '/')
		return refuse(x, err, rel, "is a hard link to an absolute path");
	if ((rc = clean_name(x, &x->link, target, err)))
		return refuse(x, err, rel, "is a hard link that points outside the tree");
	if (!x->link.len || (rc = check_parents(x, x->link.ptr, rel, err)))
		return x->link.len ? rc : refuse(x, err, rel, "is a hard link to the tree's root");
	ep_buf_reset(&x->full);
	ep_buf_addf(&x->full, "%s/%s", x->root, x->link.ptr);
	if (lstat(x->full.ptr, &st) || !S_ISREG(st.st_mode))
		return refuse(x, err, rel,
			      "is a hard link to something that is not a file in the tree");
	x->la->entry_set_hardlink(e, x->full.ptr);
	return 0;
}

/* Check one entry and rewrite its name (and link) to live under the root. */
static int vet_entry(struct xctx *x, struct archive_entry *e, bool *skip, struct ep_error *err)
{
	const char *name = x->la->entry_pathname(e);
	mode_t type = x->la->entry_filetype(e), perm = x->la->entry_perm(e);
	int rc;

	*skip = false;
	if (!name)
		return ep_error_set(err, EP_EUNSAFE, "archive '%s': an entry has no readable name",
				    x->archive_path);
	if (++x->st.entries > x->max_entries)
		return ep_error_set(err, EP_EUNSAFE,
				    "archive '%s' has more than %" PRIu64 " entries; refused",
				    x->archive_path, x->max_entries);
	if ((rc = clean_name(x, &x->name, name, err)))
		return rc;
	if (!x->name.len) {
		*skip = true; /* "./" itself */
		return type == AE_IFDIR ? 0 : refuse(x, err, name, "names the tree's root");
	}
	if (perm & (S_ISUID | S_ISGID))
		return refuse(x, err, name, "has the setuid or setgid bit");
	if (x->la->entry_hardlink(e)) {
		if ((rc = check_hardlink(x, e, name, err)))
			return rc;
	} else if (type == AE_IFLNK) {
		if ((rc = check_symlink(x, x->name.ptr, x->la->entry_symlink(e), err)))
			return rc;
	} else if (type == AE_IFCHR || type == AE_IFBLK) {
		return refuse(x, err, name, "is a device node");
	} else if (type == AE_IFIFO) {
		return refuse(x, err, name, "is a fifo");
	} else if (type != AE_IFREG && type != AE_IFDIR) {
		return refuse(x, err, name, "is neither a file, a directory nor a link");
	}
	if (x->la->entry_size_is_set(e) && x->la->entry_size(e) > 0 &&
	    x->st.bytes + (uint64_t)x->la->entry_size(e) > x->max_bytes)
		return refuse(x, err, name, "would pass the cap on expanded bytes");
	if ((rc = check_parents(x, x->name.ptr, name, err)))
		return rc;
	ep_buf_reset(&x->full);
	ep_buf_addf(&x->full, "%s/%s", x->root, x->name.ptr);
	x->la->entry_set_pathname(e, x->full.ptr);
	x->la->entry_set_perm(e, type == AE_IFDIR ? ((perm & 0777) | 0700) : (perm & 0777));
	return 0;
}

/* Copy an entry's data, counting the expansion against the caps. */
static int copy_data(struct xctx *x, struct archive *in, struct archive *out, const char *shown,
		     struct ep_error *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	for (;;) {
		r = x->la->read_data_block(in, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return ep_error_set(err, EP_EVERIFY, "archive '%s' is damaged at '%s': %s",
					    x->archive_path, shown, x->la->error_string(in));
		x->st.bytes += len;
		if (x->st.bytes > x->max_bytes)
			return refuse(x, err, shown, "passes the cap on expanded bytes");
		if (x->st.bytes > EP_ARCHIVE_RATIO_FLOOR &&
		    x->st.bytes / (x->archive_size ? x->archive_size : 1) > x->max_ratio)
			return ep_error_set(err, EP_EUNSAFE,
					    "archive '%s' expands more than %" PRIu64
					    " times its size (a decompression bomb?); refused",
					    x->archive_path, x->max_ratio);
		if (x->la->write_data_block(out, buf, len, off) < ARCHIVE_WARN)
			return ep_error_set(err, EP_EIO, "cannot write '%s': %s", shown,
					    x->la->error_string(out));
	}
}

/* After extraction: every symbolic link must resolve to something inside the root. */
static int check_tree_links(struct xctx *x, const char *dir, struct ep_error *err)
{
	char resolved[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t rl = strlen(x->root);
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return ep_error_sys(err, EP_EIO, "cannot open directory '%s'", dir);
	while (!rc && (de = readdir(d))) {
		struct ep_buf p = EP_BUF_INIT;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ep_buf_addf(&p, "%s/%s", dir, de->d_name);
		if (lstat(p.ptr, &st))
			rc = ep_error_sys(err, EP_EIO, "cannot stat '%s'", p.ptr);
		else if (S_ISDIR(st.st_mode))
			rc = check_tree_links(x, p.ptr, err);
		else if (S_ISLNK(st.st_mode) &&
			 (!realpath(p.ptr, resolved) || strncmp(resolved, x->root, rl) ||
			  (resolved[rl] != '/' && resolved[rl] != '\0')))
			rc = refuse(x, err, p.ptr + rl + 1,
				    "is a link that does not resolve inside the tree");
		ep_buf_release(&p);
	}
	closedir(d);
	return rc;
}

static struct archive *open_reader(struct xctx *x, struct ep_error *err)
{
	struct archive *a = x->la->read_new();

	if (!a) {
		ep_error_set(err, EP_ENOMEM, "out of memory");
		return NULL;
	}
	x->la->read_support_format_tar(a);
	x->la->read_support_format_zip(a);
	x->la->read_support_filter_gzip(a);
	x->la->read_support_filter_xz(a);
	x->la->read_support_filter_zstd(a);
	x->la->read_support_filter_bzip2(a);
	if (x->la->read_open_filename(a, x->archive_path, 1 << 16) != ARCHIVE_OK) {
		ep_error_set(err, EP_EVERIFY, "cannot read archive '%s': %s", x->archive_path,
			     x->la->error_string(a));
		x->la->read_free(a);
		return NULL;
	}
	return a;
}

static int extract_all(struct xctx *x, struct archive *in, struct archive *out,
		       struct ep_error *err)
{
	struct archive_entry *e;
	char shown[256];
	bool skip;
	int r, rc = 0;

	while (!rc) {
		r = x->la->read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return ep_error_set(err, EP_EVERIFY,
					    "archive '%s' is damaged or truncated: %s",
					    x->archive_path, x->la->error_string(in));
		snprintf(shown, sizeof(shown), "%s",
			 x->la->entry_pathname(e) ? x->la->entry_pathname(e) : "?");
		if ((rc = vet_entry(x, e, &skip, err)) || skip)
			continue;
		if (x->la->write_header(out, e) < ARCHIVE_WARN)
			return refuse(x, err, shown, x->la->error_string(out));
		if (x->la->entry_size(e) > 0 || !x->la->entry_size_is_set(e))
			rc = copy_data(x, in, out, shown, err);
		if (!rc && x->la->write_finish_entry(out) < ARCHIVE_WARN)
			rc = ep_error_set(err, EP_EIO, "cannot write '%s': %s", shown,
					  x->la->error_string(out));
	}
	if (!rc && x->la->write_close(out) < ARCHIVE_WARN)
		rc = ep_error_set(err, EP_EIO, "cannot finish unpacking '%s': %s", x->archive_path,
				  x->la->error_string(out));
	return rc;
}

int ep_archive_extract_safe(const char *archive_path, const char *dest_dir,
			    const struct ep_archive_limits *limits, struct ep_archive_stats *stats,
			    struct ep_error *err)
{
	struct xctx x;
	struct stat st;
	struct archive *in, *out;
	int rc;

	memset(&x, 0, sizeof(x));
	x.archive_path = archive_path;
	x.max_entries =
	    limits && limits->max_entries ? limits->max_entries : EP_ARCHIVE_DEFAULT_MAX_ENTRIES;
	x.max_bytes =
	    limits && limits->max_bytes ? limits->max_bytes : EP_ARCHIVE_DEFAULT_MAX_BYTES;
	x.max_ratio =
	    limits && limits->max_ratio ? limits->max_ratio : EP_ARCHIVE_DEFAULT_MAX_RATIO;
	if (!realpath(dest_dir, x.root) || stat(x.root, &st) || !S_ISDIR(st.st_mode))
		return ep_error_sys(err, EP_EIO, "cannot use '%s' as the extraction directory",
				    dest_dir);
	if (stat(archive_path, &st))
		return ep_error_sys(err, errno == ENOENT ? EP_ENOTFOUND : EP_EIO,
				    "cannot read archive '%s'", archive_path);
	x.archive_size = (uint64_t)st.st_size;
	x.name = (struct ep_buf)EP_BUF_INIT;
	x.full = (struct ep_buf)EP_BUF_INIT;
	x.link = (struct ep_buf)EP_BUF_INIT;
	if ((rc = ep_dynlib__archive(&x.la, err)))
		return rc;
	if (!(in = open_reader(&x, err)))
		return err ? err->code : EP_EVERIFY;
	if (!(out = x.la->write_disk_new())) {
		x.la->read_free(in);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	x.la->write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
					      ARCHIVE_EXTRACT_SECURE_NODOTDOT);
	rc = extract_all(&x, in, out, err);
	x.la->read_free(in);
	x.la->write_free(out);
	if (!rc)
		rc = check_tree_links(&x, x.root, err);
	ep_buf_release(&x.name);
	ep_buf_release(&x.full);
	ep_buf_release(&x.link);
	if (stats)
		*stats = x.st;
	return rc;
}
