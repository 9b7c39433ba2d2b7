/*
 * Resolution records under <state>/images/: what a reference resolved to,
 * and where podman keeps the image, so a no-op needs no engine call.
 * containers/storage keeps each image's manifests as
 * "=<base64(manifest-<digest>)>" in <graphroot>/<driver>-images/<id>/.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_int.h"
#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/state.h"
#include "banned.h"

void ep_container__record_release(struct ep_container_record *r)
{
	ep_buf_release(&r->digest);
	ep_buf_release(&r->id);
	ep_buf_release(&r->graphroot);
	ep_buf_release(&r->driver);
}

/*
 * The record's path: keyed by the engine, the environment that picks its
 * storage, and the reference as written.
 */
int ep_container__record_path(struct ep_buf *out, const char *state_dir, const char *engine_path,
			      const char *key, struct ep_error *err)
{
	static const char *const vars[] = {"CONTAINERS_STORAGE_CONF",
					   "CONTAINER_HOST",
					   "CONTAINER_CONNECTION",
					   "DOCKER_HOST",
					   "HOME",
					   "XDG_DATA_HOME",
					   NULL};
	struct ep_buf id = EP_BUF_INIT, dir = EP_BUF_INIT;
	char digest[EP_DIGEST_LEN];
	size_t i;
	int rc = ep_buf_addf(&id, "%s\n%u\n%s\n", engine_path, (unsigned)getuid(), key);

	for (i = 0; !rc && vars[i]; i++)
		rc = ep_buf_addf(&id, "%s=%s\n", vars[i], getenv(vars[i]) ? getenv(vars[i]) : "");
	if (!rc)
		rc = ep_sha256_buf(digest, id.ptr, id.len);
	if (!rc)
		rc = ep_state_subdir(&dir, state_dir, "images", err);
	if (!rc)
		rc = ep_buf_addf(out, "%s/%.32s.rec", dir.ptr, digest + 7);
	ep_buf_release(&id);
	ep_buf_release(&dir);
	return rc == EP_ENOMEM ? ep_error_set(err, EP_ENOMEM, "out of memory") : rc;
}

/* Read "name value" lines; a missing or damaged record reads as absent (1). */
int ep_container__record_read(struct ep_container_record *r, const char *path)
{
	struct ep_buf text = EP_BUF_INIT;
	char *line, *save = NULL;
	int rc = 1;

	text.cap = 64 * 1024;
	if (ep_buf_read_file(&text, path, NULL)) {
		ep_buf_release(&text);
		return 1;
	}
	for (line = strtok_r(text.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		struct ep_buf *dst = NULL;

		if (!sp)
			continue;
		*sp = '\0';
		if (!strcmp(line, "digest"))
			dst = &r->digest;
		else if (!strcmp(line, "id"))
			dst = &r->id;
		else if (!strcmp(line, "graphroot"))
			dst = &r->graphroot;
		else if (!strcmp(line, "driver"))
			dst = &r->driver;
		if (dst && ep_buf_adds(dst, sp + 1))
			break;
	}
	if (ep_digest_is_valid(r->digest.ptr) && r->id.len)
		rc = 0;
	ep_buf_release(&text);
	return rc;
}

int ep_container__record_write(const struct ep_container_record *r, const char *path,
			       const char *key, struct ep_error *err)
{
	struct ep_buf text = EP_BUF_INIT;
	int rc = ep_buf_addf(&text, "ref %s\ndigest %s\nid %s\n", key, r->digest.ptr, r->id.ptr);

	if (!rc && r->graphroot.len && r->driver.len)
		rc = ep_buf_addf(&text, "graphroot %s\ndriver %s\n", r->graphroot.ptr,
				 r->driver.ptr);
	if (rc)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	else
		rc = ep_fs_write_atomic(path, text.ptr, text.len, 0644, err);
	ep_buf_release(&text);
	return rc;
}

/* Standard base64 with padding (the encoding containers/storage names files with). */
static int base64(struct ep_buf *out, const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i;
	int rc = 0;

	for (i = 0; !rc && i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};

		rc = ep_buf_add(out, q, 4);
	}
	if (!rc && n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], '=', '='};

		rc = ep_buf_add(out, q, 4);
	} else if (!rc && n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], '='};

		rc = ep_buf_add(out, q, 4);
	}
	return rc;
}

/* Is the recorded podman image (that very manifest) still in its storage? No engine call. */
bool ep_container__record_in_storage(const struct ep_container_record *r)
{
	struct ep_buf path = EP_BUF_INIT, key = EP_BUF_INIT;
	struct stat st;
	bool ok = false;

	if (!r->graphroot.len || !r->driver.len || strchr(r->id.ptr, '/') ||
	    strchr(r->driver.ptr, '/'))
		return false;
	if (!ep_buf_addf(&key, "manifest-%s", r->digest.ptr) &&
	    !ep_buf_addf(&path, "%s/%s-images/%s/=", r->graphroot.ptr, r->driver.ptr, r->id.ptr) &&
	    !base64(&path, key.ptr))
		ok = stat(path.ptr, &st) == 0 && S_ISREG(st.st_mode);
	ep_buf_release(&path);
	ep_buf_release(&key);
	return ok;
}
