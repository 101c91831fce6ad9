// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot.break= and sharedroot.hostname= / sharedroot.hook_timeout= on the command line,
 * and which stages a break list names. */
#include <string.h>

#include "cmdline.h"
#include "context.h"
#include "stage.h"
#include "testlib.h"

TEST(break_with_a_stage_names_that_stage)
{
    struct cmdline c;
    CHECK_INT(cmdline_parse("root=/dev/vda sharedroot.break=root", &c), 0);
    CHECK_STR(c.breaks, "root");
    CHECK(stage_break_wanted(c.breaks, STAGE_ROOT));
    CHECK(!stage_break_wanted(c.breaks, STAGE_DEVICES));
    CHECK(!stage_break_wanted(c.breaks, STAGE_SWITCH));
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
}

TEST(bare_break_means_before_the_switch)
{
    struct cmdline c;
    CHECK_INT(cmdline_parse("sharedroot.break", &c), 0);
    CHECK_STR(c.breaks, "switch");
    CHECK(stage_break_wanted(c.breaks, STAGE_SWITCH));
    CHECK(!stage_break_wanted(c.breaks, STAGE_ROOT));
    cmdline_free(&c);
    CHECK_INT(cmdline_parse("sharedroot.break=", &c), 0);
    CHECK_STR(c.breaks, "switch");
    cmdline_free(&c);
}

TEST(break_is_repeatable_and_takes_comma_lists)
{
    struct cmdline c;
    CHECK_INT(cmdline_parse("sharedroot.break=early,devices sharedroot.break=tmp-swap "
                            "sharedroot.break",
                            &c),
              0);
    CHECK_STR(c.breaks, "early,devices,tmp-swap,switch");
    CHECK(stage_break_wanted(c.breaks, STAGE_EARLY));
    CHECK(stage_break_wanted(c.breaks, STAGE_DEVICES));
    CHECK(stage_break_wanted(c.breaks, STAGE_TMP_SWAP));
    CHECK(stage_break_wanted(c.breaks, STAGE_SWITCH));
    CHECK(!stage_break_wanted(c.breaks, STAGE_ROOT));
    cmdline_free(&c);
}

TEST(break_list_matches_whole_names_only)
{
    CHECK(!stage_break_wanted("roots", STAGE_ROOT));
    CHECK(!stage_break_wanted("roo", STAGE_ROOT));
    CHECK(!stage_break_wanted("tmp", STAGE_TMP_SWAP));
    CHECK(!stage_break_wanted("", STAGE_ROOT));
    CHECK(!stage_break_wanted(NULL, STAGE_ROOT));
    CHECK(!stage_break_wanted(",,", STAGE_ROOT));
    CHECK(stage_break_wanted(",root,", STAGE_ROOT));
}

TEST(no_break_by_default)
{
    struct cmdline c;
    CHECK_INT(cmdline_parse("root=/dev/vda", &c), 0);
    CHECK(c.breaks == NULL);
    for (int s = 0; s < _STAGE_MAX; s++)
        CHECK(!stage_break_wanted(c.breaks, (enum stage)s));
    cmdline_free(&c);
}

TEST(hostname_and_hook_timeout_are_parsed)
{
    struct cmdline c;
    CHECK_INT(cmdline_parse("root=/dev/vda", &c), 0);
    CHECK_INT(c.hook_timeout, CMDLINE_DEFAULT_HOOK_TIMEOUT);
    CHECK(c.hostname == NULL);
    cmdline_free(&c);
    CHECK_INT(cmdline_parse("sharedroot.hostname=web-7 sharedroot.hook_timeout=5", &c), 0);
    CHECK_STR(c.hostname, "web-7");
    CHECK_INT(c.hook_timeout, 5);
    CHECK_INT(c.n_problems, 0);
    cmdline_free(&c);
}

TEST(bad_hook_timeout_keeps_the_default_and_is_reported)
{
    struct cmdline c;
    CHECK_INT(cmdline_parse("sharedroot.hook_timeout=soon sharedroot.hostname", &c), 0);
    CHECK_INT(c.hook_timeout, CMDLINE_DEFAULT_HOOK_TIMEOUT);
    CHECK(c.hostname == NULL);
    CHECK_INT(c.n_problems, 2);
    cmdline_free(&c);
}

int main(void)
{
    return test_main();
}
