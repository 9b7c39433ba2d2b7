/*
 * Internal: libcurl, libarchive and libcrypto, loaded with dlopen on first
 * use.
 *
 * Commands that never download, unpack or hash (version, validate, plan)
 * would otherwise pay the dynamic loader's cost for these libraries and
 * their dependency chains (TLS, HTTP/2, ssh, LDAP, Kerberos, XML, ICU ...)
 * on every start: libcrypto alone costs some 4 ms of relocations and page
 * faults. The library is not linked against either: the headers give
 * the types and constants, and the entry points come from the tables below,
 * filled once per process (thread-safe) by the first caller.
 *
 * The library loaded is libcurl.so.4 (Debian: libcurl4), libarchive.so.13
 * (Debian: libarchive13) and libcrypto.so.3 (Debian: libssl3, libssl3t64 on
 * newer releases); EP_CURL_LIBRARY, EP_ARCHIVE_LIBRARY and EP_CRYPTO_LIBRARY
 * name another soname or a path instead (read once, at the first use). A library that
 * cannot be loaded, or lacks an entry point, is EP_EPREFLIGHT with a message
 * naming the library and the package to install; the answer is remembered,
 * so a later call fails the same way without trying again.
 */
#ifndef EP_DYNLIB_H
#define EP_DYNLIB_H

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "ep/error.h"

/*
 * The entry points used, as X(library, name) for <library>_<name>: each
 * table member has the type of the function the header declares, so a
 * call through the table is checked as a direct call would be.
 */
#define EP_CURL_FNS(X)         \
	X(curl, global_init)   \
	X(curl, easy_init)     \
	X(curl, easy_setopt)   \
	X(curl, easy_perform)  \
	X(curl, easy_getinfo)  \
	X(curl, easy_cleanup)  \
	X(curl, easy_strerror) \
	X(curl, url)           \
	X(curl, url_set)       \
	X(curl, url_get)       \
	X(curl, url_cleanup)   \
	X(curl, free)

#define EP_ARCHIVE_FNS(X)                     \
	X(archive, read_new)                  \
	X(archive, read_support_format_tar)   \
	X(archive, read_support_format_zip)   \
	X(archive, read_support_filter_gzip)  \
	X(archive, read_support_filter_xz)    \
	X(archive, read_support_filter_zstd)  \
	X(archive, read_support_filter_bzip2) \
	X(archive, read_open_filename)        \
	X(archive, read_next_header)          \
	X(archive, read_data_block)           \
	X(archive, read_free)                 \
	X(archive, write_disk_new)            \
	X(archive, write_disk_set_options)    \
	X(archive, write_header)              \
	X(archive, write_data_block)          \
	X(archive, write_finish_entry)        \
	X(archive, write_close)               \
	X(archive, write_free)                \
	X(archive, error_string)              \
	X(archive, entry_pathname)            \
	X(archive, entry_set_pathname)        \
	X(archive, entry_hardlink)            \
	X(archive, entry_set_hardlink)        \
	X(archive, entry_symlink)             \
	X(archive, entry_filetype)            \
	X(archive, entry_perm)                \
	X(archive, entry_set_perm)            \
	X(archive, entry_size)                \
	X(archive, entry_size_is_set)

/* EVP_<name>: the SHA-256 digest (ep/hash.h). */
#define EP_CRYPTO_FNS(X)      \
	X(EVP, MD_CTX_new)    \
	X(EVP, MD_CTX_free)   \
	X(EVP, sha256)        \
	X(EVP, DigestInit_ex) \
	X(EVP, DigestUpdate)  \
	X(EVP, DigestFinal_ex)

#define EP_DYNLIB_MEMBER(lib, name) __typeof__(lib##_##name) *name;

/* curl_<name> is api->name. */
struct ep_curl_api {
	EP_CURL_FNS(EP_DYNLIB_MEMBER)
};

/* archive_<name> is api->name. */
struct ep_archive_api {
	EP_ARCHIVE_FNS(EP_DYNLIB_MEMBER)
};

/* EVP_<name> is api->name. */
struct ep_crypto_api {
	EP_CRYPTO_FNS(EP_DYNLIB_MEMBER)
};

/* libcurl, loaded and initialized (curl_global_init) into *out; or EP_EPREFLIGHT. */
int ep_dynlib__curl(const struct ep_curl_api **out, struct ep_error *err);

/* libarchive, loaded into *out; or EP_EPREFLIGHT. */
int ep_dynlib__archive(const struct ep_archive_api **out, struct ep_error *err);

/* libcrypto, loaded into *out; or EP_EPREFLIGHT. */
int ep_dynlib__crypto(const struct ep_crypto_api **out, struct ep_error *err);

#endif
