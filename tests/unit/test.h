/*
 * A small unit-test harness: each test program defines its tests with
 * TEST(name) { ... } and lists them in TESTS(...); checks record failures
 * without stopping the test; main() prints "N passed, N failed".
 */
#ifndef EP_TEST_H
#define EP_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test__failed_checks;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			test__failed_checks++;                                                   \
		}                                                                                \
	} while (0)

#define CHECK_INT(a, b)                                                                           \
	do {                                                                                      \
		long long a_ = (long long)(a), b_ = (long long)(b);                               \
		if (a_ != b_) {                                                                   \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
				#a, a_, b_);                                                      \
			test__failed_checks++;                                                    \
		}                                                                                 \
	} while (0)

#define CHECK_STR(a, b)                                                                     \
	do {                                                                                \
		const char *a_ = (a), *b_ = (b);                                            \
		if (!a_ || !b_ || strcmp(a_, b_)) {                                         \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
				__LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");      \
			test__failed_checks++;                                              \
		}                                                                           \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                                          \
	do {                                                                                 \
		const char *h_ = (hay), *n_ = (needle);                                      \
		if (!h_ || !strstr(h_, n_)) {                                                \
			fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, \
				__LINE__, h_ ? h_ : "(null)", n_);                           \
			test__failed_checks++;                                               \
		}                                                                            \
	} while (0)

struct test__case {
	const char *name;
	void (*fn)(void);
};

#define TEST(name) static void test_##name(void)
#define T(name)                    \
	{                          \
#name, test_##name \
	}
#define TESTS(...)                                                           \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		static const struct test__case cases[] = {__VA_ARGS__};      \
		size_t i, n = sizeof(cases) / sizeof(cases[0]);              \
		int passed = 0, failed = 0;                                  \
		for (i = 0; i < n; i++) {                                    \
			int before = test__failed_checks;                    \
			if (argc > 1 && strcmp(argv[1], cases[i].name))      \
				continue;                                    \
			cases[i].fn();                                       \
			if (test__failed_checks == before) {                 \
				passed++;                                    \
			} else {                                             \
				failed++;                                    \
				fprintf(stderr, "FAIL %s\n", cases[i].name); \
			}                                                    \
		}                                                            \
		printf("%d passed, %d failed\n", passed, failed);            \
		return failed ? 1 : 0;                                       \
	}

#endif
