/*
 * libcurl, libarchive and libcrypto on first use: dlopen by soname, every
 * entry point resolved into a table once per process (pthread_once), the
 * outcome remembered. See dynlib.h for why.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"
#include "banned.h"

struct sym {
	const char *name;
	size_t offset; /* of the function pointer in the table */
};

/* What to load, where to put it, and how it went. */
struct lib {
	const char *what;    /* "libcurl" */
	const char *soname;  /* the default */
	const char *env;     /* names another soname or path */
	const char *package; /* the Debian package that has the default */
	const char *need;    /* what it is needed for */
	const struct sym *syms;
	size_t n_syms;
	void *table;
	size_t table_size;
	struct ep_error err; /* set once, by the loader */
};

#define SYM(lib, name) {#lib "_" #name, offsetof(struct ep_##lib##_api, name)},

static const struct sym curl_syms[] = {EP_CURL_FNS(SYM)};
static const struct sym archive_syms[] = {EP_ARCHIVE_FNS(SYM)};

#define CRYPTO_SYM(lib, name) {#lib "_" #name, offsetof(struct ep_crypto_api, name)},

static const struct sym crypto_syms[] = {EP_CRYPTO_FNS(CRYPTO_SYM)};

static struct ep_curl_api curl_api;
static struct ep_archive_api archive_api;
static struct ep_crypto_api crypto_api;

static struct lib curl_lib = {"libcurl",
			      "libcurl.so.4",
			      "EP_CURL_LIBRARY",
			      "libcurl4",
			      "downloads and health checks",
			      curl_syms,
			      sizeof(curl_syms) / sizeof(curl_syms[0]),
			      &curl_api,
			      sizeof(curl_api),
			      EP_ERROR_INIT};
static struct lib archive_lib = {"libarchive",
				 "libarchive.so.13",
				 "EP_ARCHIVE_LIBRARY",
				 "libarchive13",
				 "unpacking archives",
				 archive_syms,
				 sizeof(archive_syms) / sizeof(archive_syms[0]),
				 &archive_api,
				 sizeof(archive_api),
				 EP_ERROR_INIT};

static struct lib crypto_lib = {"libcrypto",
				"libcrypto.so.3",
				"EP_CRYPTO_LIBRARY",
				"libssl3",
				"sha256 digests",
				crypto_syms,
				sizeof(crypto_syms) / sizeof(crypto_syms[0]),
				&crypto_api,
				sizeof(crypto_api),
				EP_ERROR_INIT};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static pthread_once_t archive_once = PTHREAD_ONCE_INIT;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

/*
 * Open the library and fill its table; on failure leave the message in
 * l->err. The handle is never closed (RTLD_NODELETE): the table points
 * into it for the rest of the process.
 */
static void load(struct lib *l)
{
	const char *name = secure_getenv(l->env);
	char by[64] = "";
	void *h, *p;
	size_t i;

	if (!name || !*name)
		name = l->soname;
	if (strcmp(name, l->soname))
		(void)snprintf(by, sizeof(by), " (named by %s)", l->env);
	h = dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		const char *why = dlerror();

		ep_error_set(&l->err, EP_EPREFLIGHT,
			     "cannot load %s '%s'%s, needed for %s: %s; install it with: apt-get "
			     "install %s",
			     l->what, name, by, l->need, why ? why : "unknown error", l->package);
		return;
	}
	for (i = 0; i < l->n_syms; i++) {
		p = dlsym(h, l->syms[i].name);
		if (!p) {
			memset(l->table, 0, l->table_size);
			ep_error_set(&l->err, EP_EPREFLIGHT,
				     "%s '%s'%s has no '%s', needed for %s; install a current one "
				     "with: apt-get install %s",
				     l->what, name, by, l->syms[i].name, l->need, l->package);
			return;
		}
		/* POSIX guarantees a pointer from dlsym converts to a function pointer. */
		memcpy((char *)l->table + l->syms[i].offset, &p, sizeof(p));
	}
}

static void load_curl(void)
{
	load(&curl_lib);
	if (!curl_lib.err.code && curl_api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ep_error_set(&curl_lib.err, EP_EPREFLIGHT,
			     "cannot initialize libcurl (curl_global_init failed); install it "
			     "and its TLS library with: apt-get install %s",
			     curl_lib.package);
}

static void load_archive(void)
{
	load(&archive_lib);
}

static void load_crypto(void)
{
	load(&crypto_lib);
}

/* Run the loader once; then the error it remembered, if any. */
static int loaded(pthread_once_t *once, void (*loader)(void), const struct lib *l,
		  struct ep_error *err)
{
	if (pthread_once(once, loader))
		return ep_error_set(err, EP_EINTERNAL, "cannot load %s: pthread_once failed",
				    l->what);
	return l->err.code ? ep_error_set(err, l->err.code, "%s", l->err.msg) : 0;
}

int ep_dynlib__curl(const struct ep_curl_api **out, struct ep_error *err)
{
	int rc = loaded(&curl_once, load_curl, &curl_lib, err);

	*out = rc ? NULL : &curl_api;
	return rc;
}

int ep_dynlib__archive(const struct ep_archive_api **out, struct ep_error *err)
{
	int rc = loaded(&archive_once, load_archive, &archive_lib, err);

	*out = rc ? NULL : &archive_api;
	return rc;
}

int ep_dynlib__crypto(const struct ep_crypto_api **out, struct ep_error *err)
{
	int rc = loaded(&crypto_once, load_crypto, &crypto_lib, err);

	*out = rc ? NULL : &crypto_api;
	return rc;
}
