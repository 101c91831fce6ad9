// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reading of a qcow2 image's header and backing chain before QEMU opens it (basic/qcow2.c,
 * for sharedroot-boottest and sharedroot-check-base): the virtual size, the backing file's
 * name and format, an external data file, and which names QEMU would read as a protocol.
 * Headers built here byte by byte, good and hostile (names and extensions out of bounds,
 * overflowing offsets, random bytes). Reading real images through qemu-img is in
 * tests/priv/boottest.sh.
 */
#define TESTLIB_IMPLEMENTATION
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcow2.h"

#define CLUSTER 65536

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

/* A version 3 header of a 10 MiB disk with 64 KiB clusters, no backing file, no extensions. */
static unsigned char *header(void)
{
    unsigned char *b = calloc(1, CLUSTER);
    memcpy(b, "QFI\xfb", 4);
    put32(b + 4, 3);
    put32(b + 20, 16);
    put64(b + 24, 10 << 20);
    put32(b + 100, 112);
    return b;
}

static void set_backing(unsigned char *b, uint64_t off, const char *name, size_t len)
{
    put64(b + 8, off);
    put32(b + 16, (uint32_t)len);
    if (name) /* NULL: the fields alone, pointing anywhere */
        memcpy(b + off, name, len);
}

/* Header extension at off: type, length, data. The offset after it. */
static size_t put_ext(unsigned char *b, size_t off, uint32_t type, const void *data, uint32_t len)
{
    put32(b + off, type);
    put32(b + off + 4, len);
    memcpy(b + off + 8, data, len);
    return off + 8 + ((len + 7) & ~7U);
}

TEST(qcow2_header_reads_the_virtual_size_and_no_backing_file)
{
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), 0);
    CHECK(h.size == 10 << 20);
    CHECK_INT((int)h.version, 3);
    CHECK_STR(h.backing, "");
    CHECK_STR(h.backing_fmt, "");
    CHECK(!h.data_file);
    free(b);
}

TEST(qcow2_header_reads_the_backing_name_and_format)
{
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    put_ext(b, 112, 0xE2792ACA, "qcow2", 5);
    set_backing(b, 4096, "base.qcow2", 10);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), 0);
    CHECK_STR(h.backing, "base.qcow2");
    CHECK_STR(h.backing_fmt, "qcow2");
    free(b);
}

TEST(qcow2_header_version_2_has_its_extensions_after_72_bytes)
{
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    put32(b + 4, 2);
    put_ext(b, 72, 0xE2792ACA, "raw", 3);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), 0);
    CHECK_STR(h.backing_fmt, "raw");
    free(b);
}

TEST(qcow2_header_keeps_the_backing_name_up_to_a_nul_as_qemu_does)
{
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    set_backing(b, 4096, "a.img\0nbd://10.0.0.1/x", 22);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), 0);
    CHECK_STR(h.backing, "a.img");
    free(b);
}

TEST(qcow2_header_keeps_a_hostile_backing_name_as_it_is)
{
    static const char json[] = "json:{\"driver\": \"nbd\", \"server\": {\"host\": \"10.0.0.1\"}}";
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    set_backing(b, 4096, json, sizeof json - 1);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), 0);
    CHECK_STR(h.backing, json);
    CHECK(qemu_name_has_protocol(h.backing));
    free(b);
}

TEST(qcow2_header_refuses_a_backing_name_out_of_bounds)
{
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    set_backing(b, CLUSTER - 4, NULL, 8); /* runs past the first cluster */
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "backing file name") != NULL);
    set_backing(b, UINT64_MAX - 2, NULL, 8); /* an offset that overflows */
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    set_backing(b, 4096, NULL, 1024); /* longer than QEMU's 1023 */
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    set_backing(b, 4096, NULL, 0xFFFFFFFF);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    free(b);
}

TEST(qcow2_header_reads_only_its_first_cluster)
{
    unsigned char *b = header(), *big = calloc(1, 2 * CLUSTER);
    struct qcow2_header h;
    char why[512];

    memcpy(big, b, CLUSTER);
    set_backing(big, CLUSTER + 16, NULL, 4); /* in the buffer, but in the second cluster */
    memcpy(big + CLUSTER + 16, "x.img", 5);
    CHECK_INT(qcow2_header_parse(big, 2 * CLUSTER, &h, why, sizeof why), -EINVAL);
    /* a file shorter than its cluster: within the bytes there are */
    set_backing(b, 200, "x.img", 5);
    CHECK_INT(qcow2_header_parse(b, 205, &h, why, sizeof why), 0);
    CHECK_STR(h.backing, "x.img");
    CHECK_INT(qcow2_header_parse(b, 204, &h, why, sizeof why), -EINVAL);
    free(b);
    free(big);
}

TEST(qcow2_header_refuses_an_extension_past_the_cluster)
{
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    put32(b + 112, 0xE2792ACA);
    put32(b + 116, 0xFFFFFFF0);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "extension") != NULL);
    put32(b + 116, CLUSTER - 112 - 8 + 1);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    free(b);
}

TEST(qcow2_header_refuses_an_overlong_backing_format)
{
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    put_ext(b, 112, 0xE2792ACA, "qcow2qcow2qcow2q", 16);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    free(b);
}

TEST(qcow2_header_sees_an_external_data_file)
{
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    put_ext(b, 112, 0x44415441, "nbd://10.0.0.1/data", 19);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), 0);
    CHECK(h.data_file);
    free(b);
    b = header();
    put64(b + 72, 1 << 2); /* the incompatible feature bit alone */
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), 0);
    CHECK(h.data_file);
    free(b);
}

TEST(qcow2_header_refuses_what_is_not_a_qcow2_header)
{
    unsigned char *b = header();
    struct qcow2_header h;
    char why[512];

    CHECK_INT(qcow2_header_parse(b, 0, &h, why, sizeof why), -EINVAL);
    CHECK_INT(qcow2_header_parse(b, 71, &h, why, sizeof why), -EINVAL);
    CHECK_INT(qcow2_header_parse(b, 103, &h, why, sizeof why), -EINVAL); /* v3, cut short */
    put32(b + 4, 1);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "version 1") != NULL);
    put32(b + 4, 3);
    put32(b + 20, 8);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    put32(b + 20, 22);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    put32(b + 20, 16);
    put32(b + 100, 0xFFFFFFFF); /* a header length past the cluster */
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    put32(b + 100, 112);
    memcpy(b, "QFI\xfa", 4);
    CHECK_INT(qcow2_header_parse(b, CLUSTER, &h, why, sizeof why), -EINVAL);
    free(b);
}

TEST(qcow2_header_survives_random_bytes)
{
    unsigned char *b = malloc(CLUSTER);
    struct qcow2_header h;
    char why[512];
    uint32_t x = 12345;

    for (int round = 0; round < 3000; round++) {
        for (size_t i = 0; i < 4096; i++) {
            x = x * 1103515245 + 12345;
            b[i] = (unsigned char)(x >> 16);
        }
        memcpy(b, "QFI\xfb", 4);
        put32(b + 4, 2 + (round & 1));
        put32(b + 20,
              9 + (uint32_t)(round % 4)); /* 512 bytes to 4 KiB: names, extensions land in it */
        if (round % 3 == 0)
            put32(b + 100, 104 + (uint32_t)(round % 64) * 8);
        int r = qcow2_header_parse(b, 4096, &h, why, sizeof why);
        CHECK(r == 0 || r == -EINVAL);
        if (r == 0)
            CHECK(strlen(h.backing) < sizeof h.backing &&
                  strlen(h.backing_fmt) < sizeof h.backing_fmt);
    }
    free(b);
}

TEST(qemu_name_has_protocol_as_qemu_reads_it)
{
    CHECK(qemu_name_has_protocol("nbd://127.0.0.1:10809/x"));
    CHECK(qemu_name_has_protocol("nbd:127.0.0.1:10809"));
    CHECK(qemu_name_has_protocol("http://example.org/a.img"));
    CHECK(qemu_name_has_protocol("json:{\"driver\":\"file\",\"filename\":\"/etc/shadow\"}"));
    CHECK(qemu_name_has_protocol("file:/etc/shadow"));
    CHECK(qemu_name_has_protocol("a:b"));
    CHECK(!qemu_name_has_protocol("base.qcow2"));
    CHECK(!qemu_name_has_protocol("/srv/img/base:1.qcow2"));
    CHECK(!qemu_name_has_protocol("./nbd:x"));
    CHECK(!qemu_name_has_protocol("dir/a:b"));
    CHECK(!qemu_name_has_protocol(""));
}

/* qcow2_chain_check on files: a directory of images whose headers are built here. */
static char chain_dir[] = "/tmp/test-qcow2.XXXXXX";

static void write_file(const char *name, const void *data, size_t len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", chain_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, data, len) == (ssize_t)len);
    close(fd);
}

/* a qcow2 image NAME whose backing file is BACKING (NULL: none) in format FMT (NULL: not said) */
static void write_qcow2(const char *name, const char *backing, const char *fmt)
{
    unsigned char *b = header();
    if (fmt)
        put_ext(b, 112, 0xE2792ACA, fmt, (uint32_t)strlen(fmt));
    if (backing)
        set_backing(b, 4096, backing, strlen(backing));
    write_file(name, b, 8192);
    free(b);
}

static int chain(const char *name, char *why, size_t n)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", chain_dir, name);
    why[0] = '\0';
    return qcow2_chain_check(path, NULL, why, n);
}

TEST(qcow2_chain_check_follows_plain_files_and_refuses_the_rest)
{
    char why[1024], raw[4096] = {0};

    CHECK(mkdtemp(chain_dir) != NULL);
    write_file("base.raw", raw, sizeof raw);
    write_qcow2("alone.qcow2", NULL, NULL);
    write_qcow2("mid.qcow2", "base.raw", "raw");
    write_qcow2("top.qcow2", "mid.qcow2", "qcow2");
    write_qcow2("probed.qcow2", "mid.qcow2", NULL); /* format not said: read from the file */
    write_qcow2("net.qcow2", "nbd://10.0.0.1:10809/base", "raw");
    write_qcow2("json.qcow2", "json:{\"driver\": \"file\", \"filename\": \"/etc/shadow\"}", NULL);
    write_qcow2("on-net.qcow2", "net.qcow2", "qcow2"); /* the protocol one level down */
    write_qcow2("dev.qcow2", "/dev/null", "raw");
    write_qcow2("missing.qcow2", "gone.qcow2", "qcow2");
    write_qcow2("self.qcow2", "self.qcow2", "qcow2");
    write_qcow2("vmdk.qcow2", "base.raw", "vmdk");

    CHECK_INT(chain("alone.qcow2", why, sizeof why), 0);
    CHECK_INT(chain("top.qcow2", why, sizeof why), 0);
    CHECK_INT(chain("probed.qcow2", why, sizeof why), 0);
    CHECK_INT(chain("net.qcow2", why, sizeof why), -EPERM);
    CHECK(strstr(why, "named 'nbd://10.0.0.1:10809/base', a protocol or json: name") != NULL);
    CHECK_INT(chain("json.qcow2", why, sizeof why), -EPERM);
    CHECK(strstr(why, "a protocol or json: name") != NULL);
    CHECK_INT(chain("on-net.qcow2", why, sizeof why), -EPERM);
    CHECK(strstr(why, "net.qcow2 is named 'nbd:") != NULL);
    CHECK_INT(chain("dev.qcow2", why, sizeof why), -EPERM);
    CHECK(strstr(why, "its backing file /dev/null is not a regular file") != NULL);
    CHECK_INT(chain("missing.qcow2", why, sizeof why), -ENOENT);
    CHECK(strstr(why, "gone.qcow2 cannot be read") != NULL);
    CHECK_INT(chain("self.qcow2", why, sizeof why), -ELOOP);
    CHECK_INT(chain("vmdk.qcow2", why, sizeof why), -EPERM);
    CHECK(strstr(why, "is in vmdk format") != NULL);
    CHECK_INT(chain("no-such.qcow2", why, sizeof why), -ENOENT);

    /* a relative name is looked for beside the image as named, as QEMU does: through a link
     * in another directory, base.raw is looked for beside the link (and is not there) */
    char sub[PATH_MAX], link[PATH_MAX], target[PATH_MAX], cwd[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/sub", chain_dir);
    CHECK(mkdir(sub, 0700) == 0);
    snprintf(link, sizeof link, "%s/sub/link.qcow2", chain_dir);
    snprintf(target, sizeof target, "%s/mid.qcow2", chain_dir);
    CHECK(symlink(target, link) == 0);
    CHECK_INT(chain("sub/link.qcow2", why, sizeof why), -ENOENT);
    CHECK(strstr(why, "/sub/base.raw cannot be read") != NULL);
    /* a relative path is taken from the working directory */
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(chain_dir) == 0);
    CHECK_INT(qcow2_chain_check("top.qcow2", NULL, why, sizeof why), 0);
    CHECK_INT(qcow2_chain_check("net.qcow2", NULL, why, sizeof why), -EPERM);
    /* the chain's header and its files' allocated bytes: all three files of top's chain */
    struct qcow2_chain c, one;
    struct stat st;
    uint64_t sum = 0;
    const char *files[] = {"top.qcow2", "mid.qcow2", "base.raw"};
    for (size_t i = 0; i < 3; i++) {
        CHECK(stat(files[i], &st) == 0);
        sum += (uint64_t)st.st_blocks * 512;
    }
    CHECK_INT(qcow2_chain_check("top.qcow2", &c, why, sizeof why), 0);
    CHECK(c.top.size == 10 << 20);
    CHECK_STR(c.top.backing, "mid.qcow2");
    CHECK(c.allocated == sum);
    CHECK_INT(qcow2_chain_check("alone.qcow2", &one, why, sizeof why), 0);
    CHECK(stat("alone.qcow2", &st) == 0);
    CHECK(one.allocated == (uint64_t)st.st_blocks * 512);
    CHECK(chdir(cwd) == 0);

    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", chain_dir);
    CHECK_INT(system(cmd), 0);
}

int main(void)
{
    return test_main();
}
