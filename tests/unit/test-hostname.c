// SPDX-License-Identifier: GPL-2.0-or-later
/* hostname_check: what sharedroot.hostname= accepts (init/hostname.c). */
#include <errno.h>
#include <string.h>

#include "hostname.h"
#include "testlib.h"

static int check(const char *name)
{
    char why[256] = "";
    int r = hostname_check(name, why, sizeof why);
    CHECK(r == 0 || why[0]); /* a refusal always says why */
    return r;
}

TEST(hostname_accepts_plain_and_dotted_names)
{
    CHECK_INT(check("web-1"), 0);
    CHECK_INT(check("a"), 0);
    CHECK_INT(check("WEB01.example.org"), 0);
    CHECK_INT(check("1.2.3"), 0);
    CHECK_INT(check("x-y-z.a-b"), 0);
}

TEST(hostname_refuses_empty_and_bad_dots)
{
    CHECK_INT(check(""), -EINVAL);
    CHECK_INT(check("."), -EINVAL);
    CHECK_INT(check(".web"), -EINVAL);
    CHECK_INT(check("web."), -EINVAL);
    CHECK_INT(check("web..example"), -EINVAL);
}

TEST(hostname_refuses_hyphens_at_label_ends)
{
    CHECK_INT(check("-web"), -EINVAL);
    CHECK_INT(check("web-"), -EINVAL);
    CHECK_INT(check("a.-b"), -EINVAL);
    CHECK_INT(check("a-.b"), -EINVAL);
}

TEST(hostname_refuses_hostile_characters)
{
    CHECK_INT(check("bad;name"), -EINVAL);
    CHECK_INT(check("a b"), -EINVAL);
    CHECK_INT(check("a/b"), -EINVAL);
    CHECK_INT(check("a_b"), -EINVAL);
    CHECK_INT(check("we\nb"), -EINVAL);
    CHECK_INT(check("$(reboot)"), -EINVAL);
    CHECK_INT(check("w\xc3\xa9"), -EINVAL); /* UTF-8 */
    CHECK_INT(check("\x7f"), -EINVAL);
}

TEST(hostname_length_limits)
{
    char label[HOSTNAME_LABEL_MAX + 2], name[HOSTNAME_MAX + 2];

    memset(label, 'a', sizeof label);
    label[HOSTNAME_LABEL_MAX] = 0;
    CHECK_INT(check(label), 0); /* 63 */
    label[HOSTNAME_LABEL_MAX] = 'a';
    label[HOSTNAME_LABEL_MAX + 1] = 0;
    CHECK_INT(check(label), -EINVAL); /* 64 in one label */

    memset(name, 'b', sizeof name);
    name[30] = '.';
    name[HOSTNAME_MAX] = 0;
    CHECK_INT(check(name), 0); /* 64 in all */
    name[HOSTNAME_MAX] = 'b';
    name[HOSTNAME_MAX + 1] = 0;
    CHECK_INT(check(name), -EINVAL); /* 65 */
}

TEST(hostname_why_fits_a_tiny_buffer)
{
    char why[4];
    CHECK_INT(hostname_check("bad;name", why, sizeof why), -EINVAL);
    CHECK(strlen(why) < sizeof why);
}

int main(void)
{
    return test_main();
}
