// SPDX-License-Identifier: GPL-2.0-or-later
/* The run file of sharedroot-boottest and the configuration keys (boottest/runfile.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "runfile.h"
#include "testlib.h"

static char err[1024];

static int parse(const char *text, struct bt_runfile *rf)
{
    err[0] = '\0';
    return runfile_parse(text, strlen(text), "t.run", NULL, rf, err, sizeof err);
}

static bool err_has(const char *s)
{
    if (strstr(err, s))
        return true;
    fprintf(stderr, "  error was: %s\n", err);
    return false;
}

TEST(runfile_two_configurations_inherit_defaults)
{
    struct bt_runfile rf;
    const char *text = "# compare two kernels\n"
                       "[defaults]\n"
                       "base = /srv/base.img\n"
                       "instance = fresh:32M\n"
                       "expect = login:\n"
                       "memory = 1G\n"
                       "\n"
                       "[old]\n"
                       "kernel = /boot/vmlinuz-old\n"
                       "  ; another comment\n"
                       "[new]\n"
                       "kernel=/boot/vmlinuz-new\n"
                       "expect = Welcome\n"
                       "memory = 768\n"
                       "instance = none\n";

    CHECK_INT(parse(text, &rf), 0);
    CHECK_INT(rf.n, 2);
    CHECK_STR(rf.configs[0].name, "old");
    CHECK_STR(rf.configs[0].kernel, "/boot/vmlinuz-old");
    CHECK_STR(rf.configs[0].base, "/srv/base.img");
    CHECK_INT(rf.configs[0].instance.kind, DISK_FRESH);
    CHECK_INT(rf.configs[0].instance.size, 32u << 20);
    CHECK_INT(rf.configs[0].memory_mb, 1024);
    CHECK_INT(rf.configs[0].n_expect, 1);
    CHECK_INT(rf.configs[0].handoff, 1);
    CHECK_INT(rf.configs[0].timeout_s, CONFIG_DEFAULT_TIMEOUT_S);
    CHECK_STR(rf.configs[1].kernel, "/boot/vmlinuz-new");
    CHECK_INT(rf.configs[1].memory_mb, 768);
    CHECK_INT(rf.configs[1].instance.kind, DISK_NONE);
    /* lists: the defaults' entries first, then the configuration's own */
    CHECK_INT(rf.configs[1].n_expect, 2);
    CHECK_STR(rf.configs[1].expect[0].text, "login:");
    CHECK_STR(rf.configs[1].expect[1].text, "Welcome");
    runfile_free(&rf);
}

TEST(runfile_options_win_over_defaults_and_lose_to_the_configuration)
{
    struct bt_config cli;
    struct bt_runfile rf;
    const char *text = "[defaults]\nkernel = /k-defaults\ntimeout = 30\n"
                       "[a]\n"
                       "[b]\nkernel = /k-own\n";

    config_init(&cli);
    CHECK_INT(config_set(&cli, "kernel", "/k-cli", true, err, sizeof err), 0);
    CHECK_INT(config_set(&cli, "fail", "oops", true, err, sizeof err), 0);
    CHECK_INT(runfile_parse(text, strlen(text), "t.run", &cli, &rf, err, sizeof err), 0);
    CHECK_STR(rf.configs[0].kernel, "/k-cli");
    CHECK_INT(rf.configs[0].timeout_s, 30);
    CHECK_INT(rf.configs[0].n_fail, 1);
    CHECK_STR(rf.configs[1].kernel, "/k-own");
    runfile_free(&rf);
    config_free(&cli);
}

TEST(runfile_every_key_and_value_form)
{
    struct bt_runfile rf;
    const char *text = "[all]\n"
                       "kernel = /k\n"
                       "initrd = build\n"
                       "mkinitramfs-args = --no-shell -q\n"
                       "base = /b.img\n"
                       "root = LABEL=base\n"
                       "instance = copy:/inst.img\n"
                       "disk = fresh\n"
                       "disk = ro:/data.img\n"
                       "disk = /scratch.img\n"
                       "memory = 2GiB\n"
                       "cpus = 2\n"
                       "append = quiet sharedroot.timeout=5\n"
                       "time = BENCH uptime=([0-9.]+)\n"
                       "fail = Oops\n"
                       "handoff = yes\n"
                       "default-fail = off\n"
                       "wait-exit = yes\n"
                       "qemu-args = -cpu max\n"
                       "timeout = 60\n";

    CHECK_INT(parse(text, &rf), 0);
    struct bt_config *c = &rf.configs[0];
    CHECK(c->build_initrd);
    CHECK(c->initrd == NULL);
    CHECK_STR(c->mkinitramfs_args, "--no-shell -q");
    CHECK_STR(c->root, "LABEL=base");
    CHECK_INT(c->instance.kind, DISK_COPY);
    CHECK_STR(c->instance.path, "/inst.img");
    CHECK_INT(c->n_disks, 3);
    CHECK_INT(c->disks[0].kind, DISK_FRESH);
    CHECK_INT(c->disks[0].size, DISK_FRESH_DEFAULT_SIZE);
    CHECK_INT(c->disks[1].kind, DISK_RO);
    CHECK_INT(c->disks[2].kind, DISK_FILE);
    CHECK_INT(c->memory_mb, 2048);
    CHECK_INT(c->cpus, 2);
    CHECK_STR(c->time.text, "BENCH uptime=([0-9.]+)");
    CHECK_INT(c->default_fail, 0);
    CHECK_INT(c->wait_exit, 1);
    CHECK_INT(c->timeout_s, 60);
    runfile_free(&rf);
}

TEST(runfile_initrd_none_means_no_initramfs)
{
    struct bt_runfile rf;

    CHECK_INT(parse("[a]\nkernel=/k\ninitrd = none\n", &rf), 0);
    CHECK(rf.configs[0].initrd == NULL);
    CHECK(!rf.configs[0].build_initrd);
    runfile_free(&rf);
}

TEST(runfile_refuses_bad_input_with_file_and_line)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"", "no configuration"},
        {"# only a comment\n", "no configuration"},
        {"kernel = /k\n", "t.run:1: a key before any [section]"},
        {"[a]\nkernel /k\n", "t.run:2: expected KEY = VALUE"},
        {"[a]\nkernel = /k\n[a]\n", "t.run:3: this configuration name is used twice"},
        {"[a b]\n", "t.run:1: a configuration name"},
        {"[-x]\n", "a configuration name"},
        {"[]\n", "a configuration name"},
        {"[a] trailing\n", "a section line is [NAME]"},
        {"[a\n", "a section line is [NAME]"},
        {"[a]\nkernel=/k\n[defaults]\n", "[defaults] must come before"},
        {"[defaults]\n[defaults]\n", "[defaults] is given twice"},
        {"[a]\nkernel = /k\nkernel = /k2\n", "t.run:3: kernel is set twice"},
        {"[a]\nkernal = /k\n", "t.run:2: unknown key 'kernal'"},
        {"[a]\nkernel =\n", "kernel: the value is empty"},
        {"[a]\nkernel=/k\nmemory = lots\n", "memory: 'lots' is not a size"},
        {"[a]\nkernel=/k\nmemory = 1\n", "memory: '1' is not a size"},
        {"[a]\nkernel=/k\ncpus = 0\n", "cpus: '0' is not a number from 1 to 256"},
        {"[a]\nkernel=/k\ncpus = 99999999999999999999\n", "cpus:"},
        {"[a]\nkernel=/k\ntimeout = -1\n", "timeout: '-1'"},
        {"[a]\nkernel=/k\nhandoff = maybe\n", "handoff: 'maybe' is not yes or no"},
        {"[a]\nkernel=/k\nexpect = (unclosed\n", "not an extended regular expression"},
        {"[a]\nkernel=/k\nexpect =\n", "an empty pattern matches every line"},
        {"[a]\nkernel=/k\ninstance = fresh:12Q\n", "the size after fresh:"},
        {"[a]\nkernel=/k\ninstance = fresh:10K\n", "at least 1M"},
        {"[a]\nkernel=/k\ninstance = ro:/x\n", "ro: makes no sense"},
        {"[a]\nkernel=/k\ninstance = copy:\n", "a file name is missing"},
        {"[a]\nkernel=/k\ndisk = none\n", "'none' is not a disk"},
        {"[a]\nbase = /b\n", "[a]: no kernel"},
        {"[a]\nkernel=/k\nhandoff = no\n", "handoff = no leaves nothing"},
        {"[a]\nkernel=/k\nmkinitramfs-args = -q\n", "initrd is not 'build'"},
        {"[a]\nkernel=/k\ninstance = fresh\n", "an instance disk without a base"},
        {"[a]\nkernel=/k\nappend = a\x01b\n", "control characters"},
        {"[a]\nkernel=/k\nappend = a\tb\n", "control characters"},
        {"[a]\nkernel=/k\nqemu-arg =\n", "qemu-arg: the value is empty"},
        {"[a]\nkernel=/k\nqemu-arg = a\x7f\n", "control characters"},
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bt_runfile rf;
        int r = parse(bad[i].text, &rf);
        CHECK(r < 0);
        if (!strstr(err, bad[i].want)) {
            fprintf(stderr, "  case %zu: want '%s', got '%s'\n", i, bad[i].want, err);
            CHECK(strstr(err, bad[i].want));
        }
        CHECK(rf.configs == NULL && rf.n == 0);
    }
}

TEST(runfile_qemu_arg_keeps_blanks_in_order_defaults_first)
{
    struct bt_runfile rf;
    const char *text = "[defaults]\n"
                       "kernel = /k\n"
                       "qemu-arg = -netdev\n"
                       "qemu-arg = user,id=n0,guestfwd=tcp:10.0.2.100:10809-cmd:socat - UNIX:/s\n"
                       "[a]\n"
                       "qemu-arg = -device\n"
                       "qemu-arg = virtio-net-pci,netdev=n0\n"
                       "[b]\n";
    char **argv;
    size_t n = 0;

    CHECK_INT(parse(text, &rf), 0);
    CHECK_INT(rf.n, 2);
    CHECK_INT(rf.configs[0].n_qemu_arg, 4);
    CHECK_STR(rf.configs[0].qemu_arg[0], "-netdev");
    CHECK_STR(rf.configs[0].qemu_arg[1],
              "user,id=n0,guestfwd=tcp:10.0.2.100:10809-cmd:socat - UNIX:/s");
    CHECK_STR(rf.configs[0].qemu_arg[2], "-device");
    CHECK_STR(rf.configs[0].qemu_arg[3], "virtio-net-pci,netdev=n0");
    CHECK_INT(rf.configs[1].n_qemu_arg, 2);
    /* in QEMU's argv: one argument each, last, after the blank-separated qemu-args */
    rf.configs[0].qemu_args = strdup("-cpu max");
    argv = guest_argv("qemu", &rf.configs[0], NULL, NULL, "tcg");
    CHECK(argv != NULL);
    while (argv && argv[n])
        n++;
    CHECK(n > 6);
    if (argv && n > 6) {
        CHECK_STR(argv[n - 6], "-cpu");
        CHECK_STR(argv[n - 5], "max");
        CHECK_STR(argv[n - 4], "-netdev");
        CHECK_STR(argv[n - 3], "user,id=n0,guestfwd=tcp:10.0.2.100:10809-cmd:socat - UNIX:/s");
        CHECK_STR(argv[n - 1], "virtio-net-pci,netdev=n0");
    }
    argv_free(argv);
    runfile_free(&rf);

    /* at most 16, with those of [defaults] */
    char many[2048] = "[defaults]\nkernel = /k\n";
    for (int i = 0; i < 10; i++)
        strcat(many, "qemu-arg = -x\n");
    strcat(many, "[a]\n");
    for (int i = 0; i < 7; i++)
        strcat(many, "qemu-arg = -y\n");
    CHECK(parse(many, &rf) < 0);
    CHECK(err_has("qemu-arg: at most 16 arguments with those of [defaults]"));
    char over[2048] = "[a]\nkernel = /k\n";
    for (int i = 0; i < 17; i++)
        strcat(over, "qemu-arg = -z\n");
    CHECK(parse(over, &rf) < 0);
    CHECK(err_has("t.run:19: qemu-arg: at most 16 arguments"));
}

TEST(runfile_hostile_bytes_and_sizes)
{
    struct bt_runfile rf;
    char *big;
    size_t n;

    /* a NUL inside */
    CHECK(runfile_parse("[a]\nkernel=/k\0x\n", 15, "t.run", NULL, &rf, err, sizeof err) < 0);
    CHECK(err_has("NUL"));
    /* an overlong line */
    n = RUNFILE_MAX_LINE + 100;
    big = malloc(n + 16);
    memcpy(big, "[a]\nappend = ", 13);
    memset(big + 13, 'x', n);
    big[13 + n] = '\n';
    CHECK(runfile_parse(big, 14 + n, "t.run", NULL, &rf, err, sizeof err) < 0);
    CHECK(err_has("t.run:2: line longer than 4096 bytes"));
    free(big);
    /* larger than the limit */
    n = RUNFILE_MAX_BYTES + 1;
    big = malloc(n);
    memset(big, '#', n);
    CHECK_INT(runfile_parse(big, n, "t.run", NULL, &rf, err, sizeof err), -EFBIG);
    free(big);
    /* too many configurations */
    big = malloc(100 * 32);
    n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)sprintf(big + n, "[c%d]\nkernel=/k\n", i);
    CHECK(runfile_parse(big, n, "t.run", NULL, &rf, err, sizeof err) < 0);
    CHECK(err_has("too many configurations"));
    free(big);
    /* CRLF line ends and no newline at the end are fine */
    CHECK_INT(parse("[a]\r\nkernel = /k\r\ntimeout = 7", &rf), 0);
    CHECK_STR(rf.configs[0].kernel, "/k");
    CHECK_INT(rf.configs[0].timeout_s, 7);
    runfile_free(&rf);
    /* more list entries than allowed */
    big = malloc(64 * 40);
    n = (size_t)sprintf(big, "[a]\nkernel=/k\n");
    for (int i = 0; i < RUNFILE_MAX_LIST + 1; i++)
        n += (size_t)sprintf(big + n, "expect = x%d\n", i);
    CHECK(runfile_parse(big, n, "t.run", NULL, &rf, err, sizeof err) < 0);
    CHECK(err_has("at most 16 patterns"));
    free(big);
}

TEST(sizes_and_numbers)
{
    uint64_t v;
    unsigned u;

    CHECK_INT(parse_size("64M", &v), 0);
    CHECK_INT(v, 64u << 20);
    CHECK_INT(parse_size("1GiB", &v), 0);
    CHECK_INT(v, 1u << 30);
    CHECK_INT(parse_size("4096", &v), 0);
    CHECK_INT(v, 4096);
    CHECK_INT(parse_size("", &v), -EINVAL);
    CHECK_INT(parse_size("M", &v), -EINVAL);
    CHECK_INT(parse_size("1MB5", &v), -EINVAL);
    CHECK_INT(parse_size("1Mx", &v), -EINVAL);
    CHECK_INT(parse_size("99999999999999999999999", &v), -ERANGE);
    CHECK_INT(parse_size("20000000T", &v), -ERANGE);
    CHECK_INT(parse_uint("12", 1, 20, &u), 0);
    CHECK_INT(u, 12);
    CHECK_INT(parse_uint("21", 1, 20, &u), -ERANGE);
    CHECK_INT(parse_uint("1a", 1, 20, &u), -EINVAL);
    CHECK_INT(parse_uint("+1", 1, 20, &u), -EINVAL);
    CHECK_INT(parse_uint("", 1, 20, &u), -EINVAL);
}

TEST(guest_cmdline_adds_what_is_missing_and_keeps_what_is_given)
{
    struct bt_config c = {0};
    char *s;

    c.kernel = "/k";
    c.base = "/b";
    s = guest_cmdline(&c, false);
    CHECK_STR(s, "console=ttyS0 panic=-1 root=/dev/vda");
    free(s);
    s = guest_cmdline(&c, true);
    CHECK_STR(s, "console=ttyS0 panic=-1 no_timer_check root=/dev/vda");
    free(s);
    c.append = "console=hvc0 panic=5 root=LABEL=x quiet";
    s = guest_cmdline(&c, false);
    CHECK_STR(s, "console=hvc0 panic=5 root=LABEL=x quiet");
    free(s);
    c.append = "no_timer_check quiet";
    s = guest_cmdline(&c, true);
    CHECK_STR(s, "console=ttyS0 panic=-1 root=/dev/vda no_timer_check quiet");
    free(s);
    c.append = NULL;
    c.root = "UUID=1";
    c.instance.kind = DISK_FRESH;
    s = guest_cmdline(&c, false);
    CHECK_STR(s, "console=ttyS0 panic=-1 root=UUID=1 sharedroot.instance=/dev/vdb");
    free(s);
    c.append = "sharedroot.instance=LABEL=inst";
    s = guest_cmdline(&c, false);
    CHECK_STR(s, "console=ttyS0 panic=-1 root=UUID=1 sharedroot.instance=LABEL=inst");
    free(s);
    CHECK(cmdline_has("a root=x", "root="));
    CHECK(!cmdline_has("aroot=x", "root="));
    CHECK(!cmdline_has("", "root="));
    CHECK(!cmdline_has(NULL, "root="));
}

TEST(guest_argv_attaches_base_readonly_and_escapes_commas)
{
    struct bt_config c = {0};
    struct boot_disks d = {0};
    char **argv;
    bool base = false, inst = false, ro = false, user = false;

    c.kernel = "/k";
    c.base = "/img/a,b.img";
    c.memory_mb = 256;
    c.cpus = 2;
    c.qemu_args = " -cpu  max ";
    c.n_disks = 1;
    c.disks[0].kind = DISK_RO;
    snprintf(d.instance, sizeof d.instance, "/w/i.img");
    snprintf(d.disks[0], sizeof d.disks[0], "/d.img");
    argv = guest_argv("qemu", &c, "/i.img", &d, "tcg");
    CHECK(argv != NULL);
    for (size_t i = 0; argv && argv[i]; i++) {
        base |= strcmp(argv[i], "file=/img/a,,b.img,format=raw,if=virtio,readonly=on") == 0;
        inst |= strcmp(argv[i], "file=/w/i.img,format=raw,if=virtio") == 0;
        ro |= strcmp(argv[i], "file=/d.img,format=raw,if=virtio,readonly=on") == 0;
        user |=
            strcmp(argv[i], "max") == 0 && strcmp(argv[i - 1], "-cpu") == 0 && argv[i + 1] == NULL;
    }
    CHECK(base && inst && ro && user);
    argv_free(argv);
}

TEST(runfile_base_format_key_option_and_bad_values)
{
    struct bt_runfile rf;
    struct bt_config cli;
    const char *text = "[defaults]\nkernel = /k\nbase = /b.qcow2\nbase-format = qcow2\n"
                       "[inherits]\n[own]\nbase-format = raw\n[none]\nbase = /c.img\n"
                       "base-format = auto\n";

    CHECK_INT(parse(text, &rf), 0);
    CHECK_INT(rf.n, 3);
    CHECK_INT(rf.configs[0].base_format, BASE_FORMAT_QCOW2);
    CHECK_INT(rf.configs[1].base_format, BASE_FORMAT_RAW);
    CHECK_INT(rf.configs[2].base_format, BASE_FORMAT_AUTO);
    runfile_free(&rf);

    /* unset: auto */
    CHECK_INT(parse("[a]\nkernel = /k\nbase = /b\n", &rf), 0);
    CHECK_INT(rf.configs[0].base_format, BASE_FORMAT_AUTO);
    CHECK_INT(rf.configs[0].base_img, IMG_FORMAT_RAW);
    runfile_free(&rf);

    /* the option (--base-format) wins over [defaults] and loses to the configuration */
    config_init(&cli);
    CHECK_INT(config_set(&cli, "base-format", "raw", true, err, sizeof err), 0);
    CHECK_INT(config_set(&cli, "base-format", "qcow2", true, err, sizeof err), 0);
    text = "[defaults]\nkernel = /k\nbase = /b\nbase-format = raw\n[a]\n[b]\nbase-format = auto\n";
    CHECK_INT(runfile_parse(text, strlen(text), "t.run", &cli, &rf, err, sizeof err), 0);
    CHECK_INT(rf.configs[0].base_format, BASE_FORMAT_QCOW2);
    CHECK_INT(rf.configs[1].base_format, BASE_FORMAT_AUTO);
    runfile_free(&rf);
    config_free(&cli);

    CHECK(parse("[a]\nkernel = /k\nbase = /b\nbase-format = vmdk\n", &rf) < 0);
    CHECK(err_has("t.run:4: base-format: 'vmdk' is not auto, raw or qcow2 (convert other images "
                  "with 'qemu-img convert -O qcow2')"));
    CHECK(parse("[a]\nkernel = /k\nbase = /b\nbase-format = QCOW2\n", &rf) < 0);
    CHECK(err_has("'QCOW2' is not auto, raw or qcow2"));
    CHECK(parse("[a]\nkernel = /k\nbase = /b\nbase-format =\n", &rf) < 0);
    CHECK(err_has("'' is not auto, raw or qcow2"));
    CHECK(parse("[a]\nkernel = /k\nbase = /b\nbase-format = raw\nbase-format = raw\n", &rf) < 0);
    CHECK(err_has("t.run:5: base-format is set twice"));
    CHECK(parse("[a]\nkernel = /k\nbase-format = qcow2\n", &rf) < 0);
    CHECK(err_has("base-format = qcow2 without a base: set base = FILE"));
    /* auto without a base is the default: fine */
    CHECK_INT(parse("[a]\nkernel = /k\nbase-format = auto\n", &rf), 0);
    runfile_free(&rf);
}

/* base_format_decide: asked x device x header -> attached as, warning, refusal */
static int decide(int want, int device, enum img_format hdr, enum img_format *use, bool *warn,
                  char *msg)
{
    struct bt_config c = {.base = "/srv/cloud.img", .base_format = want, .base_device = device};

    *use = IMG_FORMAT_COUNT;
    return base_format_decide(&c, hdr, use, warn, msg, 1024);
}

TEST(base_format_decides_how_qemu_reads_the_base)
{
    enum img_format use;
    bool warn;
    char msg[1024];

    /* auto: raw as raw, qcow2 as qcow2 */
    CHECK_INT(decide(BASE_FORMAT_AUTO, BASE_DEVICE_BLK, IMG_FORMAT_RAW, &use, &warn, msg), 0);
    CHECK(use == IMG_FORMAT_RAW && !warn && !msg[0]);
    CHECK_INT(decide(BASE_FORMAT_AUTO, BASE_DEVICE_BLK, IMG_FORMAT_QCOW2, &use, &warn, msg), 0);
    CHECK(use == IMG_FORMAT_QCOW2 && !warn);
    /* every other container is refused with its name and the conversion */
    for (enum img_format f = IMG_FORMAT_QCOW; f < IMG_FORMAT_COUNT; f++) {
        char want[64];
        CHECK_INT(decide(BASE_FORMAT_AUTO, BASE_DEVICE_BLK, f, &use, &warn, msg), -EINVAL);
        snprintf(want, sizeof want, "it is a %s image", img_format_name(f));
        CHECK(strstr(msg, want) != NULL);
        CHECK(strstr(msg, "qemu-img convert -O qcow2 /srv/cloud.img BASE.qcow2") != NULL);
    }
    /* raw asked: the user's choice, a warning when the header names a container */
    CHECK_INT(decide(BASE_FORMAT_RAW, BASE_DEVICE_BLK, IMG_FORMAT_RAW, &use, &warn, msg), 0);
    CHECK(use == IMG_FORMAT_RAW && !warn);
    CHECK_INT(decide(BASE_FORMAT_RAW, BASE_DEVICE_BLK, IMG_FORMAT_QCOW2, &use, &warn, msg), 0);
    CHECK(use == IMG_FORMAT_RAW && warn);
    CHECK(strstr(msg, "base-format = raw, but its header says qcow2") != NULL);
    CHECK_INT(decide(BASE_FORMAT_RAW, BASE_DEVICE_PMEM, IMG_FORMAT_VMDK, &use, &warn, msg), 0);
    CHECK(use == IMG_FORMAT_RAW && warn);
    /* qcow2 asked: the header must say so */
    CHECK_INT(decide(BASE_FORMAT_QCOW2, BASE_DEVICE_BLK, IMG_FORMAT_QCOW2, &use, &warn, msg), 0);
    CHECK(use == IMG_FORMAT_QCOW2 && !warn);
    CHECK_INT(decide(BASE_FORMAT_QCOW2, BASE_DEVICE_BLK, IMG_FORMAT_RAW, &use, &warn, msg),
              -EINVAL);
    CHECK(strstr(msg, "no qcow2 header") != NULL);
    CHECK_INT(decide(BASE_FORMAT_QCOW2, BASE_DEVICE_BLK, IMG_FORMAT_VDI, &use, &warn, msg),
              -EINVAL);
    CHECK(strstr(msg, "it is a vdi image") != NULL);
    /* virtio-pmem maps the file: raw only */
    CHECK_INT(decide(BASE_FORMAT_AUTO, BASE_DEVICE_PMEM, IMG_FORMAT_RAW, &use, &warn, msg), 0);
    CHECK(use == IMG_FORMAT_RAW);
    CHECK_INT(decide(BASE_FORMAT_AUTO, BASE_DEVICE_PMEM, IMG_FORMAT_QCOW2, &use, &warn, msg),
              -EINVAL);
    CHECK(strstr(msg, "it is a qcow2 image, and base-device = virtio-pmem maps the file") != NULL);
    CHECK(strstr(msg, "qemu-img convert -O raw /srv/cloud.img BASE.raw") != NULL);
    CHECK(strstr(msg, "truncate -s %2M BASE.raw") != NULL);
    CHECK_INT(decide(BASE_FORMAT_QCOW2, BASE_DEVICE_PMEM, IMG_FORMAT_QCOW2, &use, &warn, msg),
              -EINVAL);
    CHECK_INT(decide(BASE_FORMAT_AUTO, BASE_DEVICE_PMEM, IMG_FORMAT_VMDK, &use, &warn, msg),
              -EINVAL);
    CHECK(strstr(msg, "it is a vmdk image, and base-device = virtio-pmem") != NULL);
}

TEST(guest_argv_attaches_a_qcow2_base_as_qcow2_and_the_rest_raw)
{
    struct bt_config c = {0};
    struct boot_disks d = {0};
    char **argv;
    bool base = false, inst = false, disk = false;

    c.kernel = "/k";
    c.base = "/img/debian-12-genericcloud-amd64.qcow2";
    c.base_img = IMG_FORMAT_QCOW2;
    c.memory_mb = 256;
    c.cpus = 1;
    c.n_disks = 1;
    c.disks[0].kind = DISK_FILE;
    snprintf(d.instance, sizeof d.instance, "/w/i.qcow2"); /* a name says nothing */
    snprintf(d.disks[0], sizeof d.disks[0], "/d.img");
    argv = guest_argv("qemu", &c, NULL, &d, "kvm");
    CHECK(argv != NULL);
    for (size_t i = 0; argv && argv[i]; i++) {
        base |= strcmp(argv[i], "file=/img/debian-12-genericcloud-amd64.qcow2,format=qcow2,"
                                "if=virtio,readonly=on") == 0;
        inst |= strcmp(argv[i], "file=/w/i.qcow2,format=raw,if=virtio") == 0;
        disk |= strcmp(argv[i], "file=/d.img,format=raw,if=virtio") == 0;
    }
    CHECK(base && inst && disk);
    argv_free(argv);
}

TEST(kernel_version_from_a_bzimage_header)
{
    unsigned char img[0x400] = {0};
    char v[64];
    const char ver[] = "6.1.0-28-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP";

    memcpy(img + 0x202, "HdrS", 4);
    img[0x20e] = 0x00; /* version at 0x100 + 0x200 */
    img[0x20f] = 0x01;
    memcpy(img + 0x300, ver, sizeof ver);
    CHECK_INT(kernel_version_from_image(img, sizeof img, v, sizeof v), 0);
    CHECK_STR(v, "6.1.0-28-cloud-amd64");
    /* too small for it */
    CHECK_INT(kernel_version_from_image(img, sizeof img, v, 8), -EINVAL);
    /* pointer past the end */
    img[0x20f] = 0x09;
    CHECK_INT(kernel_version_from_image(img, sizeof img, v, sizeof v), -EINVAL);
    /* no magic */
    img[0x202] = 'X';
    CHECK_INT(kernel_version_from_image(img, sizeof img, v, sizeof v), -EINVAL);
    /* too short a file */
    CHECK_INT(kernel_version_from_image(img, 0x100, v, sizeof v), -EINVAL);
    /* an empty version string */
    memcpy(img + 0x202, "HdrS", 4);
    img[0x20f] = 0x01;
    img[0x300] = 0;
    CHECK_INT(kernel_version_from_image(img, sizeof img, v, sizeof v), -EINVAL);
}

int main(void)
{
    return test_main();
}
