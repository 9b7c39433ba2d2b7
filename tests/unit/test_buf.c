#include <stdlib.h>

#include "ep/buf.h"
#include "ep/strvec.h"
#include "test.h"

TEST(add_and_detach)
{
	struct ep_buf b = EP_BUF_INIT;
	char *s;

	CHECK_STR(b.ptr, "");
	ep_buf_adds(&b, "hello");
	ep_buf_addf(&b, " %d", 42);
	CHECK_STR(b.ptr, "hello 42");
	CHECK_INT(b.len, 8);
	s = ep_buf_detach(&b, NULL);
	CHECK_STR(s, "hello 42");
	CHECK_STR(b.ptr, "");
	free(s);
}

TEST(cap_refuses_growth)
{
	struct ep_buf b;

	ep_buf_init(&b, 4);
	CHECK_INT(ep_buf_adds(&b, "abcd"), 0);
	CHECK_INT(ep_buf_adds(&b, "e"), EP_EIO);
	CHECK_STR(b.ptr, "abcd");
	ep_buf_release(&b);
}

TEST(last_lines)
{
	struct ep_buf b = EP_BUF_INIT;

	ep_buf_adds(&b, "one\ntwo\nthree\nfour\n");
	ep_buf_keep_last_lines(&b, 2);
	CHECK_STR(b.ptr, "three\nfour");
	ep_buf_release(&b);
}

TEST(json_string)
{
	struct ep_buf b = EP_BUF_INIT;

	ep_buf_add_json_str(&b, "a\"b\\c\n\x01");
	CHECK_STR(b.ptr, "\"a\\\"b\\\\c\\n\\u0001\"");
	ep_buf_release(&b);
}

TEST(strvec)
{
	struct ep_strvec sv = EP_STRVEC_INIT;

	CHECK(sv.v[0] == NULL);
	ep_strvec_push(&sv, "a");
	ep_strvec_pushf(&sv, "b%d", 2);
	ep_strvec_push(&sv, "c");
	CHECK_INT(sv.n, 3);
	CHECK_INT(ep_strvec_find(&sv, "b2"), 1);
	ep_strvec_remove(&sv, 1);
	CHECK_STR(sv.v[1], "c");
	CHECK(sv.v[2] == NULL);
	ep_strvec_release(&sv);
}

TESTS(T(add_and_detach), T(cap_refuses_growth), T(last_lines), T(json_string), T(strvec))
