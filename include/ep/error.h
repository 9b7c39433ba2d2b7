/*
 * Errors: every function that can fail returns 0 or a negative code from
 * `enum ep_code`, and writes the details into a caller-supplied
 * `struct ep_error`. The lowest level that knows the subject writes the
 * message; higher levels add a prefix only when it adds a fact.
 *
 * Messages are lower case, without a trailing period: what failed first, the
 * subject in quotes, then what to do about it.
 */
#ifndef EP_ERROR_H
#define EP_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define EP_PRINTF(fmt, first) __attribute__((format(printf, fmt, first)))
#else
#define EP_PRINTF(fmt, first)
#endif

enum ep_code {
	EP_OK = 0,
	EP_ENOMEM = -1,	    /* out of memory */
	EP_EUSAGE = -2,	    /* bad command line */
	EP_ECONFIG = -3,    /* the config is invalid */
	EP_EPOLICY = -4,    /* the config's policy forbids the step */
	EP_EPREFLIGHT = -5, /* the host lacks tools */
	EP_EGPU = -6,	    /* GPU, driver or CUDA toolkit unusable */
	EP_EFETCH = -7,	    /* git, download, pull or model fetch failed */
	EP_EBUILD = -8,	    /* configure or build failed */
	EP_EIO = -9,	    /* a file operation failed */
	EP_EBUSY = -10,	    /* a lock is held and waiting was not allowed */
	EP_ENOTFOUND = -11, /* a named thing does not exist */
	EP_EVERIFY = -12,   /* checksum, digest or lock mismatch */
	EP_EUNSAFE = -13,   /* hostile input refused (archive, path, redirect) */
	EP_ESPAWN = -14,    /* a process could not be started */
	EP_EENGINE = -15,   /* the engine exited or never became healthy */
	EP_ECATALOG = -16,  /* the catalog database failed */
	EP_EINTERNAL = -17, /* a bug */
};

#define EP_ERROR_MSG_MAX 4096

struct ep_error {
	int code;      /* an enum ep_code, EP_OK when nothing failed */
	int sys_errno; /* errno at the failure, or 0 */
	char msg[EP_ERROR_MSG_MAX];
};

#define EP_ERROR_INIT     \
	{                 \
		0, 0,     \
		{         \
			0 \
		}         \
	}

/* Record `code` and a formatted message in `err` (which may be NULL); returns `code`. */
int ep_error_set(struct ep_error *err, int code, const char *fmt, ...) EP_PRINTF(3, 4);
int ep_error_vset(struct ep_error *err, int code, const char *fmt, va_list ap) EP_PRINTF(3, 0);

/* Like ep_error_set, and appends ": <strerror(errno)>" of the current errno. */
int ep_error_sys(struct ep_error *err, int code, const char *fmt, ...) EP_PRINTF(3, 4);

/* Put "<prefix>: " before the message already in `err`; returns err->code. */
int ep_error_prefix(struct ep_error *err, const char *fmt, ...) EP_PRINTF(2, 3);

/* Forget any recorded error. */
void ep_error_clear(struct ep_error *err);

/* A short name for a code ("config", "build", ...), stable for JSON output. */
const char *ep_code_name(int code);

#endif
