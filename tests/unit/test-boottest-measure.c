// SPDX-License-Identifier: GPL-2.0-or-later
/* sharedroot-boottest's measure command (boottest/measure.c): the parser of its KEY=VALUE
 * output, the environment it gets; the virtio-pmem base's QEMU arguments and command line
 * (boottest/guest.c); the groups of --hold (boottest/runner.c run_plan). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boottest.h"
#include "guest.h"
#include "measure.h"
#include "runfile.h"
#include "runner.h"
#include "testlib.h"

static int parse(const char *text, struct measure_values *mv)
{
    return measure_parse(text, strlen(text), mv);
}

TEST(measure_parse_key_value_lines)
{
    struct measure_values mv;

    CHECK_INT(parse("guest_ram_kb=158720\nbase_kb=54912\r\nnote=two words, and = signs\n", &mv), 0);
    CHECK_INT(mv.n, 3);
    CHECK_STR(measure_value(&mv, "guest_ram_kb"), "158720");
    CHECK_STR(measure_value(&mv, "base_kb"), "54912"); /* the CR of a CRLF line removed */
    CHECK_STR(measure_value(&mv, "note"), "two words, and = signs");
    CHECK_INT(mv.ignored, 0);
    CHECK(measure_value(&mv, "absent") == NULL);
    measure_values_free(&mv);

    /* an empty value, keys with . and -, the last line without its newline */
    CHECK_INT(parse("empty=\nram.rss-kb=1\nx=last", &mv), 0);
    CHECK_INT(mv.n, 3);
    CHECK_STR(measure_value(&mv, "empty"), "");
    CHECK_STR(measure_value(&mv, "ram.rss-kb"), "1");
    CHECK_STR(measure_value(&mv, "x"), "last");
    measure_values_free(&mv);
}

TEST(measure_parse_ignores_what_is_not_key_value)
{
    struct measure_values mv;

    /* blank lines, prose, a blank around =, a key starting with . or -, no key, a bad key
     * character, a value with a control character */
    CHECK_INT(parse("\n"
                    "measuring guest 1 of 2\n"
                    "ram = 5\n"
                    ".hidden=1\n"
                    "-x=1\n"
                    "=novalue\n"
                    "a/b=1\n"
                    "tab=a\tb\n"
                    "ok=1\n",
                    &mv),
              0);
    CHECK_INT(mv.n, 1);
    CHECK_STR(measure_value(&mv, "ok"), "1");
    CHECK_INT(mv.ignored, 8);
    measure_values_free(&mv);

    /* empty output */
    CHECK_INT(measure_parse("", 0, &mv), 0);
    CHECK_INT(mv.n, 0);
    CHECK_INT(mv.ignored, 0);
    measure_values_free(&mv);
}

TEST(measure_parse_repeated_overlong_and_too_many)
{
    struct measure_values mv;
    char key[MEASURE_KEY_MAX + 2], line[4096], *big, *text;
    size_t n = 0;

    /* a key given again: the last value */
    CHECK_INT(parse("a=1\nb=2\na=3\n", &mv), 0);
    CHECK_INT(mv.n, 2);
    CHECK_STR(measure_value(&mv, "a"), "3");
    measure_values_free(&mv);

    /* a key of 64 characters is taken, of 65 not */
    memset(key, 'k', sizeof key);
    key[MEASURE_KEY_MAX] = '\0';
    snprintf(line, sizeof line, "%s=1\n", key);
    CHECK_INT(parse(line, &mv), 0);
    CHECK_INT(mv.n, 1);
    measure_values_free(&mv);
    key[MEASURE_KEY_MAX] = 'k';
    key[MEASURE_KEY_MAX + 1] = '\0';
    snprintf(line, sizeof line, "%s=1\n", key);
    CHECK_INT(parse(line, &mv), 0);
    CHECK_INT(mv.n, 0);
    CHECK_INT(mv.ignored, 1);
    measure_values_free(&mv);

    /* a value of 1024 bytes is taken, of 1025 not */
    big = malloc(MEASURE_VALUE_MAX + 16);
    CHECK(big != NULL);
    if (!big)
        return;
    memcpy(big, "v=", 2);
    memset(big + 2, 'x', MEASURE_VALUE_MAX);
    big[2 + MEASURE_VALUE_MAX] = '\0';
    CHECK_INT(parse(big, &mv), 0);
    CHECK_INT(mv.n, 1);
    measure_values_free(&mv);
    big[2 + MEASURE_VALUE_MAX] = 'x';
    big[3 + MEASURE_VALUE_MAX] = '\0';
    CHECK_INT(parse(big, &mv), 0);
    CHECK_INT(mv.n, 0);
    measure_values_free(&mv);
    free(big);

    /* 70 keys: the first 64 are kept, the rest ignored; a known key may still change */
    text = malloc(70 * 16 + 16);
    CHECK(text != NULL);
    if (!text)
        return;
    for (int i = 0; i < 70; i++)
        n += (size_t)sprintf(text + n, "k%d=%d\n", i, i);
    sprintf(text + n, "k0=again\n");
    CHECK_INT(parse(text, &mv), 0);
    CHECK_INT(mv.n, MEASURE_MAX_VALUES);
    CHECK_INT(mv.ignored, 6);
    CHECK_STR(measure_value(&mv, "k0"), "again");
    CHECK(measure_value(&mv, "k64") == NULL);
    measure_values_free(&mv);
    free(text);
}

TEST(measure_parse_hostile_bytes)
{
    struct measure_values mv;
    const char nul[] = "a=1\0b=2\nc=3\n";
    const char bin[] = "k=\xff\xfe\nesc=\x1b[31m\nd=\x7f\n";

    /* a NUL inside a line: that line's value holds a control byte, ignored */
    CHECK_INT(measure_parse(nul, sizeof nul - 1, &mv), 0);
    CHECK_INT(mv.n, 1);
    CHECK_STR(measure_value(&mv, "c"), "3");
    measure_values_free(&mv);
    /* bytes above 127 are kept (the JSON writer makes them U+FFFD when not UTF-8); escape
     * sequences and DEL are not */
    CHECK_INT(measure_parse(bin, sizeof bin - 1, &mv), 0);
    CHECK_INT(mv.n, 1);
    CHECK_STR(measure_value(&mv, "k"), "\xff\xfe");
    CHECK_INT(mv.ignored, 2);
    measure_values_free(&mv);
}

TEST(measure_env_names_the_guest)
{
    pid_t up[] = {101, 202};
    struct measure_env e = {
        .config = "pmem",
        .rep = 2,
        .group = 3,
        .guest = 2,
        .qemu_pid = 202,
        .up_pids = up,
        .n_up = 2,
        .log = "out/logs/pmem/2.log",
        .output = "out",
        .accel = "tcg",
        .memory_mb = 512,
        .base = "/srv/base.img",
        .base_device = "virtio-pmem",
        .base_format = "raw",
    };
    char *env[MEASURE_ENV_MAX + 1];
    const char *want[] = {
        "BOOTTEST_CONFIG=pmem",
        "BOOTTEST_REP=2",
        "BOOTTEST_WARMUP=0",
        "BOOTTEST_GROUP=3",
        "BOOTTEST_GUEST=2",
        "BOOTTEST_QEMU_PID=202",
        "BOOTTEST_UP_PIDS=101 202",
        "BOOTTEST_UP=2",
        "BOOTTEST_LOG=out/logs/pmem/2.log",
        "BOOTTEST_OUTPUT=out",
        "BOOTTEST_ACCEL=tcg",
        "BOOTTEST_MEMORY_MB=512",
        "BOOTTEST_BASE=/srv/base.img",
        "BOOTTEST_BASE_DEVICE=virtio-pmem",
        "BOOTTEST_BASE_FORMAT=raw",
    };
    size_t n = 0;

    CHECK_INT(measure_env_build(&e, env), 0);
    while (env[n])
        n++;
    CHECK_INT(n, sizeof want / sizeof want[0]);
    CHECK(n <= MEASURE_ENV_MAX);
    for (size_t i = 0; i < n && i < sizeof want / sizeof want[0]; i++)
        CHECK_STR(env[i], want[i]);
    measure_env_free(env);

    /* no base, nobody else up */
    e.base = NULL;
    e.n_up = 0;
    CHECK_INT(measure_env_build(&e, env), 0);
    CHECK_STR(env[6], "BOOTTEST_UP_PIDS=");
    CHECK_STR(env[12], "BOOTTEST_BASE=");
    CHECK_STR(env[13], "BOOTTEST_BASE_DEVICE=");
    CHECK_STR(env[14], "BOOTTEST_BASE_FORMAT=");
    measure_env_free(env);
}

static char err[1024];

static bool has_arg(char **argv, const char *a)
{
    for (size_t i = 0; argv && argv[i]; i++)
        if (strcmp(argv[i], a) == 0)
            return true;
    fprintf(stderr, "  no argument '%s'\n", a);
    return false;
}

TEST(runfile_base_device_and_measure_keys)
{
    struct bt_runfile rf;
    const char *text = "[defaults]\nkernel = /k\nbase = /srv/base,1.img\n"
                       "measure = grep VmRSS /proc/$BOOTTEST_QEMU_PID/status\n"
                       "[blk]\n"
                       "[pmem]\nbase-device = virtio-pmem\ninstance = fresh\n";
    struct boot_disks d = {.base_size = 413138944};
    char **argv;
    char *line;

    CHECK_INT(runfile_parse(text, strlen(text), "t.run", NULL, &rf, err, sizeof err), 0);
    CHECK_INT(rf.n, 2);
    CHECK_INT(rf.configs[0].base_device, BASE_DEVICE_BLK);
    CHECK_INT(rf.configs[1].base_device, BASE_DEVICE_PMEM);
    CHECK_STR(rf.configs[1].measure, "grep VmRSS /proc/$BOOTTEST_QEMU_PID/status");

    /* virtio-blk: /dev/vda the base, /dev/vdb the instance */
    line = guest_cmdline(&rf.configs[0], false);
    CHECK_STR(line, "console=ttyS0 panic=-1 root=/dev/vda");
    free(line);
    argv = guest_argv("qemu", &rf.configs[0], NULL, &d, "kvm");
    CHECK(has_arg(argv, "512"));
    CHECK(has_arg(argv, "file=/srv/base,,1.img,format=raw,if=virtio,readonly=on"));
    argv_free(argv);

    /* virtio-pmem: mapped from the file, private and read-only, room in the memory map
     * (394 MiB rounded up to 2 MiB), /dev/pmem0 the base, the instance disk /dev/vda */
    line = guest_cmdline(&rf.configs[1], false);
    CHECK_STR(line, "console=ttyS0 panic=-1 root=/dev/pmem0 sharedroot.instance=/dev/vda");
    free(line);
    argv = guest_argv("qemu", &rf.configs[1], NULL, &d, "kvm");
    CHECK(has_arg(argv, "512,slots=2,maxmem=906M"));
    CHECK(has_arg(argv, "memory-backend-file,id=srbase,share=off,readonly=on,"
                        "mem-path=/srv/base,,1.img,size=413138944"));
    CHECK(has_arg(argv, "virtio-pmem-pci,memdev=srbase,id=srbase-pmem"));
    for (size_t i = 0; argv && argv[i]; i++)
        CHECK(strncmp(argv[i], "file=", 5) != 0);
    argv_free(argv);
    d.base_size = 1; /* a partial section counts as one */
    argv = guest_argv("qemu", &rf.configs[1], NULL, &d, "kvm");
    CHECK(has_arg(argv, "512,slots=2,maxmem=514M"));
    argv_free(argv);
    runfile_free(&rf);

    /* bad values, pmem without a base, set twice, an empty command */
    text = "[a]\nkernel = /k\nbase = /b\nbase-device = nvme\n";
    CHECK(runfile_parse(text, strlen(text), "t.run", NULL, &rf, err, sizeof err) < 0);
    CHECK(strstr(err, "t.run:4: base-device: 'nvme' is not virtio-blk or virtio-pmem") != NULL);
    text = "[a]\nkernel = /k\nbase-device = virtio-pmem\n";
    CHECK(runfile_parse(text, strlen(text), "t.run", NULL, &rf, err, sizeof err) < 0);
    CHECK(strstr(err, "base-device = virtio-pmem without a base") != NULL);
    text = "[a]\nkernel = /k\nbase = /b\nbase-device = virtio-blk\nbase-device = virtio-pmem\n";
    CHECK(runfile_parse(text, strlen(text), "t.run", NULL, &rf, err, sizeof err) < 0);
    CHECK(strstr(err, "t.run:5: base-device is set twice") != NULL);
    text = "[a]\nkernel = /k\nmeasure =\n";
    CHECK(runfile_parse(text, strlen(text), "t.run", NULL, &rf, err, sizeof err) < 0);
    CHECK(strstr(err, "t.run:3: measure: the value is empty") != NULL);
    text = "[a]\nkernel = /k\nmeasure = a\nmeasure = b\n";
    CHECK(runfile_parse(text, strlen(text), "t.run", NULL, &rf, err, sizeof err) < 0);
    CHECK(strstr(err, "t.run:4: measure is set twice") != NULL);
}

/* --hold: groups of --jobs boots of one configuration, interleaved group by group */
static void plan(enum hold hold, unsigned reps, unsigned warmup, unsigned jobs, size_t configs,
                 struct run *run)
{
    memset(run, 0, sizeof *run);
    run->opt.hold = hold;
    run->opt.reps = reps;
    run->opt.warmup = warmup;
    run->opt.jobs = jobs;
    run->n_configs = configs;
    run->configs = calloc(configs, sizeof *run->configs);
    CHECK(run->configs != NULL);
    CHECK_INT(run_plan(run), 0);
}

static void plan_free(struct run *run)
{
    free(run->configs);
    free(run->boots);
}

TEST(run_plan_groups_for_hold)
{
    struct run run;
    /* config, warmup, rep, group, guest */
    static const unsigned want[][5] = {
        {0, 1, 1, 1, 1}, {1, 1, 1, 2, 1},                                   /* warm-up */
        {0, 0, 1, 3, 1}, {0, 0, 2, 3, 2}, {1, 0, 1, 4, 1}, {1, 0, 2, 4, 2}, /* 2 at once */
        {0, 0, 3, 5, 1}, {1, 0, 3, 6, 1},                                   /* the rest */
    };

    plan(HOLD_STAGGERED, 3, 1, 2, 2, &run);
    CHECK_INT(run.n_boots, 8);
    for (size_t i = 0; i < run.n_boots && i < 8; i++) {
        const struct boot *b = &run.boots[i];
        CHECK_INT(b->config, want[i][0]);
        CHECK_INT(b->warmup, want[i][1]);
        CHECK_INT(b->rep, want[i][2]);
        CHECK_INT(b->group, want[i][3]);
        CHECK_INT(b->guest, want[i][4]);
        CHECK_INT(b->result, BOOT_PENDING);
        CHECK_INT(b->measure_status, -1);
    }
    plan_free(&run);

    /* without --hold: rounds A B A B, each boot its own group */
    plan(HOLD_NONE, 2, 0, 2, 2, &run);
    CHECK_INT(run.n_boots, 4);
    for (size_t i = 0; i < run.n_boots; i++) {
        CHECK_INT(run.boots[i].config, i % 2);
        CHECK_INT(run.boots[i].rep, i / 2 + 1);
        CHECK_INT(run.boots[i].group, i + 1);
        CHECK_INT(run.boots[i].guest, 1);
    }
    plan_free(&run);

    /* more guests at once than repetitions: one group per configuration */
    plan(HOLD_TOGETHER, 4, 0, 8, 1, &run);
    CHECK_INT(run.n_boots, 4);
    for (size_t i = 0; i < run.n_boots; i++) {
        CHECK_INT(run.boots[i].group, 1);
        CHECK_INT(run.boots[i].guest, i + 1);
    }
    plan_free(&run);
}

int main(void)
{
    return test_main();
}
