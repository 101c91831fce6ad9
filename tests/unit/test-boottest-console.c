// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading a guest's console (boottest/console.c) and what the runner makes of its lines
 * (line_feed in boottest/runner.c): hostile bytes, the handoff line, success and failure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "runfile.h"
#include "runner.h"
#include "testlib.h"

struct lines {
    char *v[64];
    size_t n;
};

static void collect(const char *line, size_t len, void *user)
{
    struct lines *l = user;

    CHECK(strlen(line) == len);
    CHECK(len <= CONSOLE_LINE_MAX);
    if (l->n < 64)
        l->v[l->n++] = strndup(line, len);
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

static void feed_all(struct console_scan *s, const char *buf, size_t n, struct lines *l)
{
    console_feed(s, buf, n, collect, l);
    console_flush(s, collect, l);
}

TEST(console_splits_lines_and_drops_carriage_returns)
{
    struct console_scan s = {0};
    struct lines l = {0};
    const char in[] = "first\r\nsecond\n\nthird\ttab\r\n";

    feed_all(&s, in, sizeof in - 1, &l);
    CHECK_INT(l.n, 4);
    CHECK_STR(l.v[0], "first");
    CHECK_STR(l.v[1], "second");
    CHECK_STR(l.v[2], "");
    CHECK_STR(l.v[3], "third tab");
    lines_free(&l);
}

TEST(console_partial_lines_across_reads_and_at_the_end)
{
    struct console_scan s = {0};
    struct lines l = {0};
    const char *parts[] = {"shared", "root-hand", "off: v=1\nno newline at the end"};

    for (size_t i = 0; i < 3; i++)
        console_feed(&s, parts[i], strlen(parts[i]), collect, &l);
    CHECK_INT(l.n, 1);
    CHECK_STR(l.v[0], "sharedroot-handoff: v=1");
    console_flush(&s, collect, &l);
    CHECK_INT(l.n, 2);
    CHECK_STR(l.v[1], "no newline at the end");
    /* a flush with nothing pending delivers nothing */
    console_flush(&s, collect, &l);
    CHECK_INT(l.n, 2);
    lines_free(&l);
}

TEST(console_removes_nuls_controls_and_escape_sequences)
{
    struct console_scan s = {0};
    struct lines l = {0};
    const char in[] = "a\0b\x01\x7f"
                      "c\n"                           /* NUL, controls */
                      "\x1b[1;31mred\x1b[0m text\n"   /* CSI colours */
                      "\x1b]0;title\x07visible\n"     /* OSC with BEL */
                      "\x1b]2;t\x1b\\after\n"         /* OSC with ST */
                      "\x1bPdcs data\x1b\\dcs gone\n" /* DCS */
                      "\x1b"
                      "7saved\x1b"
                      "8\n"                            /* two-byte sequences */
                      "\x1b[?25l\x1b[2J\x1b[Hclear\n"; /* cursor, clear screen */

    feed_all(&s, in, sizeof in - 1, &l);
    CHECK_INT(l.n, 7);
    CHECK_STR(l.v[0], "abc");
    CHECK_STR(l.v[1], "red text");
    CHECK_STR(l.v[2], "visible");
    CHECK_STR(l.v[3], "after");
    CHECK_STR(l.v[4], "dcs gone");
    CHECK_STR(l.v[5], "saved");
    CHECK_STR(l.v[6], "clear");
    CHECK(s.dropped > 0);
    lines_free(&l);
}

TEST(console_unterminated_escape_does_not_swallow_the_next_lines)
{
    struct console_scan s = {0};
    struct lines l = {0};
    const char in[] = "x\x1b]never terminated\nsharedroot-handoff: v=1\n"
                      "y\x1b[12;\nnext\n"
                      "z\x1b\nafter\n";

    feed_all(&s, in, sizeof in - 1, &l);
    CHECK_INT(l.n, 6);
    CHECK_STR(l.v[0], "x");
    CHECK_STR(l.v[1], "sharedroot-handoff: v=1");
    CHECK_STR(l.v[2], "y");
    CHECK_STR(l.v[3], "next");
    CHECK_STR(l.v[4], "z");
    CHECK_STR(l.v[5], "after");
    lines_free(&l);
}

TEST(console_cuts_overlong_lines)
{
    struct console_scan s = {0};
    struct lines l = {0};
    size_t n = CONSOLE_LINE_MAX * 3 + 10;
    char *in = malloc(n + 1);

    memset(in, 'x', n);
    in[n] = '\n';
    feed_all(&s, in, n + 1, &l);
    CHECK_INT(l.n, 4);
    CHECK_INT(strlen(l.v[0]), CONSOLE_LINE_MAX);
    CHECK_INT(strlen(l.v[3]), 10);
    CHECK_INT(s.cut, 3);
    lines_free(&l);
    free(in);
}

TEST(console_keeps_high_bytes_for_the_writers)
{
    struct console_scan s = {0};
    struct lines l = {0};
    const char in[] = "caf\xc3\xa9 \xff\xfe bad\n";

    feed_all(&s, in, sizeof in - 1, &l);
    CHECK_INT(l.n, 1);
    CHECK_STR(l.v[0], "caf\xc3\xa9 \xff\xfe bad");
    lines_free(&l);
}

TEST(console_random_bytes_never_break_the_bounds)
{
    struct console_scan s = {0};
    struct lines l = {0};
    unsigned seed = 12345;
    char buf[4096];

    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            seed = seed * 1103515245 + 12345;
            buf[i] = (char)(seed >> 16);
        }
        console_feed(&s, buf, sizeof buf, collect, &l);
        lines_free(&l);
    }
    console_flush(&s, collect, &l);
    lines_free(&l);
    CHECK(s.lines > 0);
}

TEST(printk_timestamps)
{
    double ms;

    CHECK(console_printk_ms("[    1.234567] Run /init as init process", &ms));
    CHECK(ms > 1234.566 && ms < 1234.568);
    CHECK(console_printk_ms("[12345.5] x", &ms));
    CHECK(ms > 12345499 && ms < 12345501);
    CHECK(!console_printk_ms("no stamp", &ms));
    CHECK(!console_printk_ms("[    1234567] x", &ms));
    CHECK(!console_printk_ms("[ 1.] x", &ms));
    CHECK(!console_printk_ms("[ 1.5 x", &ms));
    CHECK(!console_printk_ms("[", &ms));
    CHECK(!console_printk_ms("[999999999999999999999.1] x", &ms));
}

TEST(run_init_lines)
{
    double ms = 0;
    bool has;

    CHECK(console_run_init("[    2.100000] Run /init as init process", &ms, &has));
    CHECK(has && ms > 2099.9 && ms < 2100.1);
    CHECK(console_run_init("[    2.1] Run /sbin/init as init process", &ms, &has));
    CHECK(!console_run_init("[    2.1] Run  as init process", &ms, &has));
    CHECK(!console_run_init("[    2.1] Run /a b as init process", &ms, &has));
    CHECK(!console_run_init("Run /init as init process", &ms, &has));
    CHECK(!console_run_init("[    2.1] Running /init", &ms, &has));
}

TEST(handoff_line_parsed_with_unknown_keys_skipped)
{
    struct handoff h;

    CHECK_INT(console_handoff("sharedroot-handoff: v=1 uptime_ms=3165 init_ms=616 early=15 "
                              "devices=389 tmp-swap=32 switch=59 mode=volatile future=x9 "
                              "newkey=7 junk == =5 ",
                              &h),
              1);
    CHECK_INT(h.version, 1);
    CHECK_STR(h.mode, "volatile");
    CHECK_INT(h.n, 7);
    CHECK_STR(h.val[0].key, "uptime_ms");
    CHECK(h.val[0].ms == 3165);
    CHECK_STR(h.val[5].key, "switch");
    CHECK_STR(h.val[6].key, "newkey");
    /* after kernel output on the same line */
    CHECK_INT(console_handoff("[  3.1] virtio_blk: xsharedroot-handoff: v=1 early=1", &h), 1);
    CHECK_INT(h.n, 1);
    CHECK_INT(console_handoff("nothing here", &h), 0);
    CHECK_INT(console_handoff("sharedroot-handoff: early=1", &h), -EPROTO);
    CHECK_INT(console_handoff("sharedroot-handoff: v=2 early=1", &h), -ENOTSUP);
    CHECK_INT(console_handoff("sharedroot-handoff: v=1x early=1", &h), -EPROTO);
    CHECK_INT(console_handoff("sharedroot-handoff:", &h), -EPROTO);
}

TEST(handoff_line_bounds)
{
    struct handoff h;
    char line[4096];
    size_t n = (size_t)sprintf(line, "sharedroot-handoff: v=1");

    /* more keys than kept, overlong keys and values, huge numbers */
    for (int i = 0; i < 40; i++)
        n += (size_t)sprintf(line + n, " k%d=%d", i, i);
    n += (size_t)sprintf(line + n, " averyveryveryverylongkeyname=1 big=12345678901234 "
                                   "mode=abcdefghijklmnopqrstuvwxyz");
    CHECK_INT(console_handoff(line, &h), 1);
    CHECK_INT(h.n, HANDOFF_MAX_KEYS);
    CHECK_INT(strlen(h.mode), sizeof h.mode - 1);
    for (size_t i = 0; i < h.n; i++)
        CHECK(strcmp(h.val[i].key, "big") != 0);
}

TEST(builtin_failures)
{
    CHECK_STR(console_builtin_failure("[ 1.0] Kernel panic - not syncing: VFS: Unable to mount"),
              "kernel panic");
    CHECK(console_builtin_failure("sharedroot: ERROR: device root=LABEL=x did not appear"));
    CHECK(console_builtin_failure("sharedroot: starting the emergency shell. Fix it"));
    CHECK(console_builtin_failure("You are in emergency mode. After logging in"));
    CHECK(console_builtin_failure("Gave up waiting for root file system device.  Dropping to a "
                                  "shell!"));
    CHECK(!console_builtin_failure("sharedroot: WARNING: instance disk is 95% full"));
    CHECK(!console_builtin_failure("sharedroot: starting a shell. Leave it with 'exit'"));
}

/* ---- what the runner makes of lines */

static char err[600];

static void config_with(struct bt_config *c, const char *const *kv)
{
    config_init(c);
    CHECK_INT(config_set(c, "kernel", "/k", false, err, sizeof err), 0);
    for (; kv && kv[0]; kv += 2)
        CHECK_INT(config_set(c, kv[0], kv[1], false, err, sizeof err), 0);
    CHECK_INT(config_finish(c, err, sizeof err), 0);
}

static void feed1(struct line_state *ls, const char *line)
{
    line_feed(ls, line, strlen(line));
}

static void feed_lines(struct line_state *ls, const char *const *lines)
{
    for (; *lines; lines++)
        line_feed(ls, *lines, strlen(*lines));
}

TEST(success_needs_the_handoff_line_and_takes_its_times)
{
    struct bt_config c;
    struct boot b = {0};
    struct line_state ls;
    const char *const lines[] = {
        "[    1.500000] Run /init as init process",
        "[    2.000000] sharedroot: stage early done in 15 ms",
        NULL,
    };

    config_with(&c, NULL);
    line_state_init(&ls, &c, &b);
    feed_lines(&ls, lines);
    CHECK(!ls.success && !ls.failure);
    feed1(&ls, "sharedroot-handoff: v=1 uptime_ms=2100 init_ms=600 early=15 mode=instance");
    CHECK(ls.success);
    CHECK(boot_metric(&b, "kernel") && boot_metric(&b, "kernel")->ms == 1500);
    CHECK(boot_metric(&b, "handoff") && boot_metric(&b, "handoff")->ms == 2100);
    CHECK(boot_metric(&b, "init") && boot_metric(&b, "init")->ms == 600);
    CHECK(boot_metric(&b, "early") && boot_metric(&b, "early")->ms == 15);
    CHECK_STR(b.mode, "instance");
    CHECK(b.handoff_line != NULL);
    boot_free(&b);
    config_free(&c);
}

TEST(expect_and_time_for_a_foreign_initramfs)
{
    static const char *const kv[] = {
        "handoff", "no", "expect", "BENCH END", "time", "^BENCH uptime=([0-9.]+)$", NULL};
    struct bt_config c;
    struct boot b = {0};
    struct line_state ls;
    char missing[256];

    config_with(&c, kv);
    line_state_init(&ls, &c, &b);
    line_missing(&ls, missing, sizeof missing);
    CHECK(strstr(missing, "time '^BENCH uptime=([0-9.]+)$'"));
    CHECK(strstr(missing, "expect 'BENCH END'"));
    CHECK(!strstr(missing, "handoff"));
    feed1(&ls, "BENCH uptime=2.75");
    CHECK(!ls.success);
    CHECK(boot_metric(&b, "time") && boot_metric(&b, "time")->ms == 2750);
    line_missing(&ls, missing, sizeof missing);
    CHECK_STR(missing, "expect 'BENCH END'");
    feed1(&ls, "BENCH END");
    CHECK(ls.success);
    boot_free(&b);
    config_free(&c);
}

static void ignore_line(const char *line, size_t len, void *user)
{
    (void)line;
    (void)len;
    (void)user;
}

TEST(expect_matches_a_prompt_that_ends_no_line)
{
    static const char *const kv[] = {"expect", "login: ", NULL};
    struct bt_config c;
    struct boot b = {0};
    struct line_state ls;
    struct console_scan s = {0};
    const char getty[] = "\r\nDebian GNU/Linux 12 localhost ttyS0\r\n\r\n\033[1mlocalhost login: ";

    config_with(&c, kv);
    line_state_init(&ls, &c, &b);
    feed1(&ls, "sharedroot-handoff: v=1 uptime_ms=2100 init_ms=600 mode=volatile");
    CHECK(!ls.success);
    /* the prompt: no newline after it, ever (getty waits for input) */
    console_feed(&s, getty, sizeof getty - 1, ignore_line, NULL);
    CHECK_STR(console_pending(&s), "localhost login: ");
    CHECK(line_peek(&ls, console_pending(&s)));
    CHECK(ls.success);
    boot_free(&b);
    config_free(&c);

    /* a partial line that does not match yet, then does once more of it came */
    struct console_scan t = {0};
    config_with(&c, kv);
    line_state_init(&ls, &c, &b);
    feed1(&ls, "sharedroot-handoff: v=1 uptime_ms=2100 init_ms=600 mode=volatile");
    console_feed(&t, "localhost log", 13, ignore_line, NULL);
    CHECK(!line_peek(&ls, console_pending(&t)));
    console_feed(&t, "in: ", 4, ignore_line, NULL);
    CHECK(line_peek(&ls, console_pending(&t)));
    /* nothing pending: no line */
    struct console_scan e = {0};
    CHECK(console_pending(&e) == NULL);
    CHECK(line_peek(&ls, NULL));
    boot_free(&b);
    config_free(&c);
}

TEST(time_without_a_group_takes_the_kernel_timestamp)
{
    static const char *const kv[] = {"handoff", "no", "time", "Reached target", NULL};
    struct bt_config c;
    struct boot b = {0};
    struct line_state ls;

    config_with(&c, kv);
    line_state_init(&ls, &c, &b);
    feed1(&ls, "[    4.250000] systemd[1]: Reached target multi-user.target");
    CHECK(ls.success);
    CHECK(boot_metric(&b, "time") && boot_metric(&b, "time")->ms == 4250);
    boot_free(&b);
    config_free(&c);
}

TEST(failure_lines_end_the_boot_and_keep_the_tail)
{
    static const char *const kv[] = {"fail", "Oops: [0-9]+", NULL};
    struct bt_config c;
    struct boot b = {0};
    struct line_state ls;

    config_with(&c, kv);
    line_state_init(&ls, &c, &b);
    feed1(&ls, "booting");
    feed1(&ls, "sharedroot: ERROR: device root=LABEL=x did not appear within 3 s");
    CHECK(ls.failure && !ls.success);
    CHECK(strstr(b.reason, "sharedroot-init reported an error"));
    CHECK(strstr(b.reason, "root=LABEL=x"));
    /* a handoff line after the failure does not turn it into a success */
    feed1(&ls, "sharedroot-handoff: v=1 uptime_ms=1");
    CHECK(!ls.success);
    CHECK(b.tail[0] && strcmp(b.tail[0], "booting") == 0);
    CHECK(b.tail[2] != NULL);
    boot_free(&b);

    memset(&b, 0, sizeof b);
    line_state_init(&ls, &c, &b);
    feed1(&ls, "Oops: 0002 [#1] SMP");
    CHECK(ls.failure);
    CHECK(strstr(b.reason, "a fail pattern matched"));
    boot_free(&b);
    config_free(&c);
}

TEST(default_fail_off_ignores_the_builtin_patterns)
{
    static const char *const kv[] = {"default-fail", "no", NULL};
    struct bt_config c;
    struct boot b = {0};
    struct line_state ls;

    config_with(&c, kv);
    line_state_init(&ls, &c, &b);
    feed1(&ls, "sharedroot: ERROR: something");
    CHECK(!ls.failure);
    boot_free(&b);
    config_free(&c);
}

TEST(tail_keeps_the_last_lines_in_a_ring)
{
    struct bt_config c;
    struct boot b = {0};
    struct line_state ls;
    char line[32];

    config_with(&c, NULL);
    line_state_init(&ls, &c, &b);
    for (int i = 0; i < TAIL_LINES * 3 + 5; i++) {
        int n = snprintf(line, sizeof line, "line %d", i);
        line_feed(&ls, line, (size_t)n);
    }
    CHECK_INT(b.console_lines, TAIL_LINES * 3 + 5);
    /* the oldest kept is at tail_next */
    snprintf(line, sizeof line, "line %d", TAIL_LINES * 2 + 5);
    CHECK_STR(b.tail[b.tail_next], line);
    boot_free(&b);
    config_free(&c);
}

TEST(a_newer_handoff_version_succeeds_without_numbers)
{
    struct bt_config c;
    struct boot b = {0};
    struct line_state ls;

    config_with(&c, NULL);
    line_state_init(&ls, &c, &b);
    feed1(&ls, "sharedroot-handoff: v=2 uptime_ms=5");
    CHECK(ls.success);
    CHECK(boot_metric(&b, "handoff") == NULL);
    boot_free(&b);
    config_free(&c);
}

int main(void)
{
    return test_main();
}
