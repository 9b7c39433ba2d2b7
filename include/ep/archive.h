/*
 * Safe unpacking of release archives (zip; tar, plain or compressed with
 * gzip, xz, zstd or bzip2) with libarchive. Archives are hostile: an entry
 * is refused, and the whole extraction fails, when
 *
 *  - its name is absolute, contains a `..` component, or is too long;
 *  - it is a device node, a fifo or a socket;
 *  - it has the setuid or setgid bit (refused rather than stripped: a release
 *    archive has no reason to carry one, so its presence is a red flag);
 *  - it is a symbolic link whose target is absolute or leaves the tree, or a
 *    hard link to anything but a regular file already extracted in the tree;
 *  - its path passes through a symbolic link;
 *  - the entry count, the total expanded size, or (past 16 MiB) the ratio of
 *    expanded to archive size exceeds its cap (decompression bombs).
 *
 * libarchive writes with ARCHIVE_EXTRACT_SECURE_SYMLINKS and
 * ARCHIVE_EXTRACT_SECURE_NODOTDOT. Because every entry is written below the
 * canonical absolute path of `dest_dir`, ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS
 * cannot be set; the same check is made on each entry's own name before the
 * prefix is added. After the last entry, every symbolic link in the tree is
 * resolved and must land inside it. Sticky bits are stripped; ownership and
 * ACLs are not restored.
 *
 * On failure the caller removes `dest_dir` (its contents are unspecified);
 * nothing outside it has been written.
 */
#ifndef EP_ARCHIVE_H
#define EP_ARCHIVE_H

#include <stdint.h>

#include "ep/error.h"

#define EP_ARCHIVE_DEFAULT_MAX_ENTRIES 100000
#define EP_ARCHIVE_DEFAULT_MAX_BYTES   (16ull << 30) /* 16 GiB expanded */
#define EP_ARCHIVE_DEFAULT_MAX_RATIO   100	     /* expanded / archive bytes */
#define EP_ARCHIVE_RATIO_FLOOR	       (16ull << 20) /* the ratio applies past 16 MiB */

struct ep_archive_limits {
	uint64_t max_entries; /* 0: the default */
	uint64_t max_bytes;   /* 0: the default */
	uint64_t max_ratio;   /* 0: the default */
};

#define EP_ARCHIVE_LIMITS_INIT \
	{                      \
		0, 0, 0        \
	}

struct ep_archive_stats {
	uint64_t entries;
	uint64_t bytes; /* expanded bytes written */
};

/*
 * Unpack `archive_path` into the existing directory `dest_dir`. `limits`
 * and `stats` may be NULL. Errors: EP_EUNSAFE for a refused entry or a cap
 * (the message names the entry and why), EP_EVERIFY for a damaged or
 * truncated archive or an unknown format, EP_EIO, EP_EPREFLIGHT when
 * libarchive (loaded on first use) cannot be loaded: the message names the
 * package to install.
 */
int ep_archive_extract_safe(const char *archive_path, const char *dest_dir,
			    const struct ep_archive_limits *limits, struct ep_archive_stats *stats,
			    struct ep_error *err);

#endif
