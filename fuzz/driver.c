/*
 * A standalone main for the libFuzzer harnesses: runs every file named on
 * the command line, or every file in a directory named there, through
 * LLVMFuzzerTestOneInput once. Lets ctest exercise the seed corpus with
 * any compiler (and under the sanitizers when the build has them).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ep/buf.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	struct ep_buf b = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;

	if (ep_buf_read_file(&b, path, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		ep_buf_release(&b);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)b.ptr, b.len);
	ep_buf_release(&b);
	return 0;
}

int main(int argc, char **argv)
{
	int i, ran = 0, failed = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) || !S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]))
				failed++;
			else
				ran++;
			continue;
		}
		d = opendir(argv[i]);
		if (!d) {
			perror(argv[i]);
			failed++;
			continue;
		}
		while ((e = readdir(d))) {
			struct ep_buf path = EP_BUF_INIT;

			if (e->d_name[0] == '.')
				continue;
			ep_buf_addf(&path, "%s/%s", argv[i], e->d_name);
			if (run_file(path.ptr))
				failed++;
			else
				ran++;
			ep_buf_release(&path);
		}
		closedir(d);
	}
	printf("%d passed, %d failed\n", ran, failed);
	return failed || !ran ? 1 : 0;
}
