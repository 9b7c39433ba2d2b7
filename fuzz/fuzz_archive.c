/*
 * libFuzzer harness for the archive front end: every input is written to a
 * file and unpacked with the production checks into a fresh directory. The
 * oracle is a sentinel file beside that directory, and the directory
 * listing around it: if the sentinel changes or anything new appears
 * outside the extraction directory, the harness aborts.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/archive.h"
#include "ep/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[] = "/tmp/ep-fuzz-archive-XXXXXX";
static char sentinel[256], input[256], target[256];
static const char sentinel_text[] = "sentinel: must never change\n";

static void cleanup(void)
{
	ep_fs_remove_tree(base, NULL);
}

static void setup(void)
{
	FILE *f;

	if (!mkdtemp(base))
		abort();
	snprintf(sentinel, sizeof(sentinel), "%s/sentinel", base);
	snprintf(input, sizeof(input), "%s/input", base);
	snprintf(target, sizeof(target), "%s/x", base);
	f = fopen(sentinel, "w");
	if (!f || fputs(sentinel_text, f) < 0 || fclose(f))
		abort();
	atexit(cleanup);
}

/* Abort unless base holds exactly sentinel (unchanged), input and x. */
static void check_oracle(void)
{
	char got[sizeof(sentinel_text) + 8] = "";
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd, n;

	if (lstat(sentinel, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		abort();
	fd = open(sentinel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		abort();
	n = (int)read(fd, got, sizeof(got) - 1);
	close(fd);
	if (n != (int)strlen(sentinel_text) || memcmp(got, sentinel_text, (size_t)n))
		abort();
	d = opendir(base);
	if (!d)
		abort();
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "sentinel") && strcmp(de->d_name, "input") &&
		    strcmp(de->d_name, "x"))
			abort();
	closedir(d);
	if (!lstat("/tmp/ep-absolute-pwned", &st) || !lstat("/tmp/ep-symlink-pwned", &st))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct ep_archive_limits lim = {1000, 64u << 20, 0};
	struct ep_error err = EP_ERROR_INIT;
	FILE *f;

	if (!ready) {
		setup();
		ready = 1;
	}
	f = fopen(input, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	if (mkdir(target, 0755))
		abort();
	(void)ep_archive_extract_safe(input, target, &lim, NULL, &err);
	check_oracle();
	if (ep_fs_remove_tree(target, &err))
		abort();
	return 0;
}
