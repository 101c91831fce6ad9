// SPDX-License-Identifier: GPL-2.0-or-later
/* The logging path itself is tested: a misspelled /dev/kmsg once went unnoticed elsewhere. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"
#include "testlib.h"

static int kmsg[2], console[2];

static void setup(void)
{
    CHECK(pipe2(kmsg, O_NONBLOCK) == 0);
    CHECK(pipe2(console, O_NONBLOCK) == 0);
    log_set_kmsg_fd(kmsg[1]);
    log_set_console_fd(console[1]);
    log_set_debug(false);
}

static void drain(int fd, char *buf, size_t n)
{
    ssize_t r = read(fd, buf, n - 1);
    buf[r > 0 ? r : 0] = 0;
}

static void teardown(void)
{
    log_set_kmsg_fd(-1);
    log_set_console_fd(2);
    log_set_kernel_echo(0, false);
    close(kmsg[0]);
    close(kmsg[1]);
    close(console[0]);
    close(console[1]);
}

TEST(info_goes_to_kmsg_with_prefix_and_priority_not_console)
{
    char k[512], c[512];
    setup();
    log_info("stage %s done", "root");
    drain(kmsg[0], k, sizeof k);
    drain(console[0], c, sizeof c);
    CHECK_STR(k, "<6>sharedroot: stage root done\n");
    CHECK_STR(c, "");
    teardown();
}

TEST(errors_go_to_kmsg_and_console_with_errno_text)
{
    char k[512], c[512];
    setup();
    int r = log_error_errno(-ENOENT, "Failed to open %s: %m", "/dev/vda");
    CHECK_INT(r, -ENOENT);
    drain(kmsg[0], k, sizeof k);
    drain(console[0], c, sizeof c);
    CHECK_STR(k, "<3>sharedroot: ERROR: Failed to open /dev/vda: No such file or directory\n");
    CHECK_STR(c, "sharedroot: ERROR: Failed to open /dev/vda: No such file or directory\n");
    teardown();
}

/* The kernel prints kmsg records below the console log level on its consoles: such a line is
 * not written to /dev/console a second time. */
TEST(a_line_the_kernel_prints_is_not_written_to_the_console_again)
{
    char k[512], c[512];
    setup();
    log_set_kernel_echo(7, true); /* the default console log level */
    log_warning("disk %s is slow", "/dev/vdb");
    drain(kmsg[0], k, sizeof k);
    drain(console[0], c, sizeof c);
    CHECK_STR(k, "<4>sharedroot: WARNING: disk /dev/vdb is slow\n");
    CHECK_STR(c, "");
    log_console("reconcile %s: ok", "/etc");
    drain(console[0], c, sizeof c);
    CHECK_STR(c, "");
    teardown();
}

TEST(with_quiet_warnings_are_written_to_the_console_and_errors_printed_by_the_kernel)
{
    char k[512], c[512];
    setup();
    log_set_kernel_echo(4, true); /* "quiet" */
    log_warning("disk %s is slow", "/dev/vdb");
    drain(kmsg[0], k, sizeof k);
    drain(console[0], c, sizeof c);
    CHECK_STR(k, "<4>sharedroot: WARNING: disk /dev/vdb is slow\n");
    CHECK_STR(c, "sharedroot: WARNING: disk /dev/vdb is slow\n");
    log_console("reconcile %s: ok", "/etc");
    drain(kmsg[0], k, sizeof k);
    drain(console[0], c, sizeof c);
    CHECK_STR(c, "sharedroot: reconcile /etc: ok\n");
    (void)log_error_errno(-EIO, "broken");
    drain(kmsg[0], k, sizeof k);
    drain(console[0], c, sizeof c);
    CHECK_STR(k, "<3>sharedroot: ERROR: broken\n");
    CHECK_STR(c, "");
    teardown();
}

TEST(a_rate_limited_kmsg_is_not_relied_on_for_the_console)
{
    char c[512];
    setup();
    log_set_kernel_echo(7, false); /* printk_devkmsg is not "on": lines may be dropped */
    log_warning("disk %s is slow", "/dev/vdb");
    drain(console[0], c, sizeof c);
    CHECK_STR(c, "sharedroot: WARNING: disk /dev/vdb is slow\n");
    teardown();
}

TEST(console_flag_shows_a_notice_on_the_console)
{
    char k[512], c[512];
    setup();
    log_console("reconcile %s: ok", "/etc");
    drain(kmsg[0], k, sizeof k);
    drain(console[0], c, sizeof c);
    CHECK_STR(k, "<5>sharedroot: reconcile /etc: ok\n");
    CHECK_STR(c, "sharedroot: reconcile /etc: ok\n");
    teardown();
}

TEST(debug_only_when_enabled)
{
    char k[512];
    setup();
    log_debug("hidden");
    drain(kmsg[0], k, sizeof k);
    CHECK_STR(k, "");
    log_set_debug(true);
    log_debug("shown");
    drain(kmsg[0], k, sizeof k);
    CHECK_STR(k, "<7>sharedroot: shown\n");
    teardown();
}

TEST(newlines_cannot_forge_a_second_record)
{
    char k[512];
    setup();
    log_info("%s", "evil\n<0>sharedroot: fake");
    drain(kmsg[0], k, sizeof k);
    CHECK(strchr(k, '\n') == k + strlen(k) - 1);
    teardown();
}

TEST(overlong_message_is_truncated_not_overflowed)
{
    char k[4096];
    char *big = malloc(5000);
    setup();
    memset(big, 'x', 4999);
    big[4999] = 0;
    log_info("%s", big);
    drain(kmsg[0], k, sizeof k);
    CHECK(strncmp(k, "<6>sharedroot: xxx", 18) == 0);
    CHECK(strlen(k) < 1100);
    CHECK(k[strlen(k) - 1] == '\n');
    free(big);
    teardown();
}

/* What the emergency shell would print of the ring, in buf. */
static void ring_text(char *buf, size_t n)
{
    int p[2];
    CHECK(pipe(p) == 0);
    log_ring_dump(p[1]);
    close(p[1]);
    drain(p[0], buf, n);
    close(p[0]);
}

TEST(ring_keeps_the_last_lines_for_the_emergency_shell)
{
    char buf[8192];
    setup();
    for (int i = 0; i < 30; i++)
        log_info("line %d", i);
    ring_text(buf, sizeof buf);
    CHECK(strstr(buf, "line 29") != NULL);
    CHECK(strstr(buf, "line 10\n") != NULL);
    CHECK(strstr(buf, "line 9\n") == NULL);
    teardown();
}

/* a long line (a disk's partition list) is replayed whole, as kmsg has it */
TEST(ring_keeps_long_lines_whole)
{
    char buf[8192], line[1001];
    setup();
    for (int i = 0; i < 1000; i++)
        line[i] = (char)('a' + i % 26);
    line[1000] = 0;
    log_error("partitions: %s", line);
    ring_text(buf, sizeof buf);
    CHECK(strstr(buf, line) != NULL);
    CHECK(strstr(buf, "  partitions: abc") != NULL);
    teardown();
}

int main(void)
{
    return test_main();
}
