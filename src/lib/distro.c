/*
 * The distribution and its package manager, from os-release(5):
 * $EP_SYSROOT/etc/os-release, else $EP_SYSROOT/usr/lib/os-release.
 */
#include <stdlib.h>
#include <string.h>

#include "ep/tools.h"
#include "banned.h"

#define OS_RELEASE_CAP (64u * 1024)

void ep_distro_init(struct ep_distro *d)
{
	memset(d, 0, sizeof(*d));
}

void ep_distro_release(struct ep_distro *d)
{
	free(d->id);
	free(d->id_like);
	free(d->name);
	ep_distro_init(d);
}

const char *ep_pkgmgr_name(enum ep_pkgmgr m)
{
	switch (m) {
	case EP_PKGMGR_APT:
		return "apt-get";
	case EP_PKGMGR_DNF:
		return "dnf";
	case EP_PKGMGR_ZYPPER:
		return "zypper";
	case EP_PKGMGR_PACMAN:
		return "pacman";
	default:
		return "none";
	}
}

/* The value of KEY=... in os-release text, unquoted, or NULL. */
static char *os_release_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len > klen && !strncmp(line, key, klen) && line[klen] == '=') {
			const char *v = line + klen + 1;
			size_t vlen = len - klen - 1;
			char *out;

			if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
				v++;
				vlen -= 2;
			}
			out = malloc(vlen + 1);
			if (out) {
				memcpy(out, v, vlen);
				out[vlen] = 0;
			}
			return out;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Is `word` one of the space-separated words of `list`? */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, word, n) && (p[n] == ' ' || p[n] == 0))
			return true;
		p = strchr(p, ' ');
	}
	return false;
}

/* The package manager of a distribution known by ID and ID_LIKE. */
static enum ep_pkgmgr manager_for(const char *id, const char *like)
{
	static const struct {
		const char *word;
		enum ep_pkgmgr m;
	} map[] = {
	    {"arch", EP_PKGMGR_PACMAN},
	    {"debian", EP_PKGMGR_APT},
	    {"ubuntu", EP_PKGMGR_APT},
	    {"fedora", EP_PKGMGR_DNF},
	    {"rhel", EP_PKGMGR_DNF},
	    {"centos", EP_PKGMGR_DNF},
	    {"suse", EP_PKGMGR_ZYPPER},
	    {"opensuse", EP_PKGMGR_ZYPPER},
	    {"sles", EP_PKGMGR_ZYPPER},
	    {"opensuse-tumbleweed", EP_PKGMGR_ZYPPER},
	    {"opensuse-leap", EP_PKGMGR_ZYPPER},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(id, map[i].word))
			return map[i].m;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (has_word(like, map[i].word))
			return map[i].m;
	return EP_PKGMGR_NONE;
}

int ep_distro_detect(struct ep_distro *out, struct ep_error *err)
{
	static const char *const files[] = {"/etc/os-release", "/usr/lib/os-release"};
	const char *root = getenv("EP_SYSROOT");
	struct ep_buf path = EP_BUF_INIT, text;
	size_t i;

	ep_distro_release(out);
	ep_buf_init(&text, OS_RELEASE_CAP);
	for (i = 0; i < 2; i++) {
		struct ep_error ignored = EP_ERROR_INIT;

		ep_buf_reset(&path);
		ep_buf_reset(&text);
		if (ep_buf_addf(&path, "%s%s", root ? root : "", files[i]))
			break;
		if (!ep_buf_read_file(&text, path.ptr, &ignored))
			break;
		ep_buf_reset(&text);
	}
	out->id = os_release_value(text.ptr, "ID");
	out->id_like = os_release_value(text.ptr, "ID_LIKE");
	out->name = os_release_value(text.ptr, "PRETTY_NAME");
	if (!out->name)
		out->name = os_release_value(text.ptr, "NAME");
	ep_buf_release(&text);
	ep_buf_release(&path);
	if (!out->id)
		out->id = strdup("");
	if (!out->id_like)
		out->id_like = strdup("");
	if (!out->name)
		out->name = strdup(*out->id ? out->id : "unknown");
	if (!out->id || !out->id_like || !out->name)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	out->pkgmgr = manager_for(out->id, out->id_like);
	return 0;
}

bool ep_distro_is_arch(const struct ep_distro *d)
{
	return d->pkgmgr == EP_PKGMGR_PACMAN &&
	       (!strcmp(d->id, "arch") || has_word(d->id_like, "arch"));
}
