/*
 * Proof that a built engine really uses the GPU: its own device list must
 * name a CUDA device. A CUDA build that silently came out CPU-only is an
 * error here, not a warning.
 */
#include <string.h>

#include "ep/gpu.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "banned.h"

#define LIST_OUTPUT_CAP (256u * 1024)

/* Append each "  CUDA<n>: ..." line of `text` to out; returns how many. */
static size_t cuda_lines(struct ep_buf *out, const char *text)
{
	const char *line = text;
	size_t n = 0;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *p = line;

		while (p < line + len && (*p == ' ' || *p == '\t'))
			p++;
		if (!strncmp(p, "CUDA", 4) && p[4] >= '0' && p[4] <= '9') {
			ep_buf_add(out, p, len - (size_t)(p - line));
			ep_buf_addch(out, '\n');
			n++;
		}
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

int ep_gpu_engine_cuda_devices(struct ep_buf *out, const char *binary, const char *const *env,
			       struct ep_error *err)
{
	struct ep_proc_opts o = EP_PROC_OPTS_INIT;
	const char *argv[] = {binary, "--list-devices", NULL};
	struct ep_buf text;
	int status = 0, rc;

	ep_buf_init(&text, LIST_OUTPUT_CAP);
	o.argv = argv;
	o.env = env;
	o.out = EP_PROC_PIPE;
	o.err = EP_PROC_TO_OUT;
	rc = ep_proc_run(&o, &text, &status, err);
	if (!rc && status != 0) {
		ep_buf_rtrim(&text);
		ep_buf_keep_last_lines(&text, 10);
		rc = ep_error_set(err, EP_EGPU, "'%s --list-devices' exited with status %d:\n%s",
				  binary, status, text.ptr);
	} else if (!rc && !cuda_lines(out, text.ptr)) {
		ep_buf_rtrim(&text);
		ep_buf_keep_last_lines(&text, 10);
		rc = ep_error_set(
		    err, EP_EGPU,
		    "the engine '%s' lists no CUDA device, so it would run on the CPU: "
		    "the build came out without CUDA or cannot load its CUDA backend; "
		    "its device list:\n%s",
		    binary, text.ptr);
	}
	if (!rc)
		ep_narrate(EP_LOG_INFO, "gpu", "verify-engine", binary, NULL, -1,
			   "the engine sees %s", out->ptr);
	ep_buf_release(&text);
	return rc;
}
