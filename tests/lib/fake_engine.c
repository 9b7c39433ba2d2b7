/*
 * A stand-in inference engine for the spawn tests and the benchmark: a tiny
 * HTTP server that accepts llama-server's --model/--host/--port (other
 * flags are ignored) and behaves as FAKE_ENGINE_MODE says:
 *   ok           /health answers 503 for FAKE_LOADING_POLLS requests
 *                (default 2), then 200; /props has build_info; POST answers
 *                a completion
 *   exit         prints an error about a bad flag and exits 1 at once
 *   never        /health answers 503 forever
 *   ignore-term  like ok, but ignores SIGTERM, and so does a child it starts
 * /props also says whether the --model file can be opened and how long the
 * value of FAKE_SECRET is (never the value), and whether /dev/nvidia0 and
 * NVIDIA_VISIBLE_DEVICES are there, so a test can check what reached the
 * engine, in a container too. SIGTERM ends it even as a
 * container's pid 1 (where the default action would be ignored).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *arg(int argc, char **argv, const char *name, const char *def)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

static void reply(int fd, int code, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 code,
			 code == 200   ? "OK"
			 : code == 503 ? "Service Unavailable"
				       : "Not Found",
			 strlen(body));

	if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

/* Read one request (headers, then the body its Content-Length announces). */
static int read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	char *end = NULL, *cl;
	long want = 0;
	ssize_t n;

	while (len + 1 < cap) {
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			cl = strstr(buf, "Content-Length:");
			want = cl ? strtol(cl + 15, NULL, 10) : 0;
		}
		if (end && (long)(len - (size_t)(end + 4 - buf)) >= want)
			return 0;
	}
	return 0;
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = getenv("FAKE_ENGINE_MODE") ? getenv("FAKE_ENGINE_MODE") : "ok";
	const char *lp = getenv("FAKE_LOADING_POLLS");
	long loading = lp ? strtol(lp, NULL, 10) : 2, polls = 0;
	const char *model = arg(argc, argv, "--model", NULL);
	const char *secret = getenv("FAKE_SECRET");
	struct sockaddr_in sa;
	char props[384];
	int i, one = 1, fd, model_found = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		/* what llama-server prints, so external mode can describe it */
		printf("version: 1 (fa4e000)\nbuilt with a C compiler for a test\n");
		return 0;
	}
	printf("fake-engine pid %d mode %s argv", (int)getpid(), mode);
	for (i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	fflush(stdout);
	if (!strcmp(mode, "exit")) {
		fprintf(stderr, "error: invalid argument: --no-such-flag\n");
		return 1;
	}
	if (model && (fd = open(model, O_RDONLY | O_CLOEXEC)) >= 0) {
		model_found = 1;
		close(fd);
	}
	snprintf(props, sizeof(props),
		 "{\"build_info\":\"b4242-fake0001\",\"model_found\":%s,\"secret_len\":%zu,"
		 "\"dev_nvidia0\":%s,\"nvidia_visible_devices\":\"%.32s\"}",
		 model_found ? "true" : "false", secret ? strlen(secret) : (size_t)0,
		 access("/dev/nvidia0", F_OK) == 0 ? "true" : "false",
		 getenv("NVIDIA_VISIBLE_DEVICES") ? getenv("NVIDIA_VISIBLE_DEVICES") : "");
	if (strcmp(mode, "ignore-term"))
		signal(SIGTERM, on_term);
	if (!strcmp(mode, "ignore-term")) {
		signal(SIGTERM, SIG_IGN);
		if (fork() == 0)
			for (;;)
				pause();
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)strtol(arg(argc, argv, "--port", "8080"), NULL, 10));
	if (inet_pton(AF_INET, arg(argc, argv, "--host", "127.0.0.1"), &sa.sin_addr) != 1)
		return 1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		perror("fake-engine: cannot listen");
		return 1;
	}
	printf("fake-engine listening on port %d\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		char req[8192];
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		if (read_request(c, req, sizeof(req))) {
			close(c);
			continue;
		}
		if (!strncmp(req, "GET /health ", 12)) {
			polls++;
			if (!strcmp(mode, "never") || polls <= loading)
				reply(c, 503,
				      "{\"error\":{\"code\":503,\"message\":\"Loading model\"}}");
			else
				reply(c, 200, "{\"status\":\"ok\"}");
		} else if (!strncmp(req, "GET /props ", 11)) {
			reply(c, 200, props);
		} else if (!strncmp(req, "POST ", 5)) {
			reply(
			    c, 200,
			    "{\"content\":\" hello from the fake engine\",\"tokens_predicted\":5}");
		} else {
			reply(c, 404, "{\"error\":\"not found\"}");
		}
		close(c);
	}
}
