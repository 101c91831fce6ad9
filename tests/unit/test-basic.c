// SPDX-License-Identifier: GPL-2.0-or-later
/* basic/: cleanup attributes, monotonic time, full writes, array growth, JSON strings. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "array.h"
#include "cleanup.h"
#include "imgformat.h"
#include "io-util.h"
#include "json.h"
#include "log.h"
#include "time-util.h"
#include "why.h"

TEST(cleanup_close_closes_at_scope_exit)
{
    int copy;
    {
        _cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        copy = fd;
    }
    CHECK(fcntl(copy, F_GETFD) < 0 && errno == EBADF);
}

TEST(take_fd_and_take_ptr_hand_ownership_out)
{
    int fd;
    char *p;
    {
        _cleanup_close_ int f = open("/dev/null", O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *s = strdup("kept");
        fd = take_fd(&f);
        CHECK_INT(f, -1);
        p = TAKE_PTR(s);
        CHECK(s == NULL);
    }
    CHECK(fcntl(fd, F_GETFD) >= 0);
    CHECK_STR(p, "kept");
    close(fd);
    free(p);
}

TEST(now_ms_does_not_go_back)
{
    uint64_t a = now_ms(), b = now_ms();
    CHECK(a > 0);
    CHECK(b >= a);
}

TEST(write_all_writes_everything_through_a_pipe)
{
    int p[2];
    static char big[200000], back[200000];
    CHECK_INT(pipe2(p, O_CLOEXEC), 0);
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = 'y';
    /* larger than the pipe buffer: a child reads while we write, short writes happen */
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        size_t got = 0;
        ssize_t n;
        while (got < sizeof back && (n = read(p[0], back + got, sizeof back - got)) > 0)
            got += (size_t)n;
        _exit(got == sizeof back && back[sizeof back - 1] == 'y' && back[0] == 'x' ? 0 : 1);
    }
    close(p[0]);
    CHECK_INT(write_all(p[1], big, sizeof big), 0);
    close(p[1]);
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(read_small_file_at_reads_one_bounded_line_and_says_why_not)
{
    char dir[] = "/tmp/test-basic-read.XXXXXX";
    char path[PATH_MAX], buf[8];
    CHECK(mkdtemp(dir) != NULL);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(dfd >= 0);

    snprintf(path, sizeof path, "%s/attr", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0 && write_all(fd, "live\nmore\n", 10) == 0);
    close(fd);
    /* whole (up to n - 1 bytes), NUL-terminated */
    CHECK(read_small_file_at(dfd, "attr", buf, sizeof buf) == 7);
    CHECK_STR(buf, "live\nmo");
    /* the first line, by a path from the working directory too */
    CHECK_INT(read_first_line_at(AT_FDCWD, path, buf, sizeof buf), 0);
    CHECK_STR(buf, "live");
    /* a one-byte buffer holds the NUL alone; none at all is refused */
    CHECK(read_small_file_at(dfd, "attr", buf, 1) == 0);
    CHECK_STR(buf, "");
    CHECK(read_small_file_at(dfd, "attr", buf, 0) == -EINVAL);
    /* empty file: an empty line */
    fd = openat(dfd, "empty", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    close(fd);
    strcpy(buf, "x");
    CHECK_INT(read_first_line_at(dfd, "empty", buf, sizeof buf), 0);
    CHECK_STR(buf, "");
    /* what cannot be read: the open's or the read's errno, buf "" */
    strcpy(buf, "x");
    CHECK_INT(read_first_line_at(dfd, "missing", buf, sizeof buf), -ENOENT);
    CHECK_STR(buf, "");
    CHECK(read_small_file_at(dfd, ".", buf, sizeof buf) == -EISDIR);
    CHECK_STR(buf, "");
    close(dfd);
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
}

TEST(mkdir_p_creates_every_missing_parent_and_accepts_existing_ones)
{
    char dir[] = "/tmp/test-basic.XXXXXX";
    char path[PATH_MAX + 16], file[PATH_MAX];
    struct stat st;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/a//b/c/", dir);
    CHECK_INT(mkdir_p(path, 0700), 0);
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
    CHECK_INT(mkdir_p(path, 0755), 0); /* exists: fine */
    snprintf(file, sizeof file, "%s/a/f", dir);
    CHECK(close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) == 0);
    snprintf(path, sizeof path, "%s/a/f/g", dir);
    CHECK_INT(mkdir_p(path, 0755), -ENOTDIR); /* a file in the way */
    CHECK_INT(mkdir_p("", 0755), -ENOENT);
    memset(path, 'x', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    CHECK_INT(mkdir_p(path, 0755), -ENAMETOOLONG);
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
}

TEST(write_all_returns_the_error)
{
    CHECK_INT(write_all(-1, "x", 1), -EBADF);
    CHECK_INT(write_all(-1, "", 0), 0);
}

TEST(array_grow_doubles_and_keeps_the_contents)
{
    int *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 1000; i++) {
        CHECK_INT(array_grow(&v, n, 1, &cap, sizeof *v), 0);
        CHECK(cap > n);
        v[n++] = i;
    }
    CHECK(cap >= 1000 && cap < 2048);
    for (int i = 0; i < 1000; i++)
        CHECK_INT(v[i], i);
    /* room for several at once */
    size_t before = cap;
    CHECK_INT(array_grow(&v, n, cap, &cap, sizeof *v), 0);
    CHECK(cap >= n + before);
    free(v);
}

TEST(array_grow_refuses_overflow)
{
    char *v = NULL;
    size_t cap = 0;
    CHECK_INT(array_grow(&v, 0, SIZE_MAX, &cap, 1), -ENOMEM);
    CHECK_INT(array_grow(&v, 0, SIZE_MAX / 2, &cap, 16), -ENOMEM);
    CHECK(v == NULL);
    CHECK_INT((int)cap, 0);
}

TEST(utf8_valid_accepts_utf8_and_refuses_the_rest)
{
    CHECK(utf8_valid(""));
    CHECK(utf8_valid("plain /etc/fstab"));
    CHECK(utf8_valid("h\xc3\xa9te \xe2\x82\xac \xf0\x9f\x98\x80"));
    CHECK(!utf8_valid("\xff"));
    CHECK(!utf8_valid("\xc3"));             /* cut */
    CHECK(!utf8_valid("\xc0\xaf"));         /* overlong */
    CHECK(!utf8_valid("\xed\xa0\x80"));     /* surrogate */
    CHECK(!utf8_valid("\xf4\x90\x80\x80")); /* above U+10FFFF */
}

static char *json_of(const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    json_string(f, s);
    fclose(f);
    return buf;
}

#define CHECK_JSON(in, out)                                                                        \
    do {                                                                                           \
        char *_j = json_of(in);                                                                    \
        CHECK_STR(_j, out);                                                                        \
        free(_j);                                                                                  \
    } while (0)

TEST(json_escapes_quotes_backslashes_and_controls)
{
    CHECK_JSON("a\"b\\c", "\"a\\\"b\\\\c\"");
    CHECK_JSON("l1\nl2\t\x1b", "\"l1\\u000al2\\u0009\\u001b\"");
    CHECK_JSON("", "\"\"");
}

TEST(json_keeps_utf8_and_replaces_invalid_bytes)
{
    CHECK_JSON("h\xc3\xa9te", "\"h\xc3\xa9te\"");
    CHECK_JSON("a\xff"
               "b",
               "\"a\\ufffdb\"");
    CHECK_JSON("\xc3", "\"\\ufffd\"");                       /* cut sequence at the end */
    CHECK_JSON("\xc0\xaf", "\"\\ufffd\\ufffd\"");            /* overlong '/' */
    CHECK_JSON("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
}

TEST(json_null_is_the_empty_string)
{
    CHECK_JSON(NULL, "\"\"");
}

TEST(json_string_or_null_says_null_only_for_an_absent_value)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    json_string_or_null(f, NULL);
    fputc(',', f);
    json_string_or_null(f, "");
    fputc(',', f);
    json_string_or_null(f, "a\"");
    fclose(f);
    CHECK_STR(buf, "null,\"\",\"a\\\"\"");
    free(buf);
}

/* Runs fn with stderr going to a pipe; returns what it wrote. */
static char *stderr_of(void (*fn)(void))
{
    static char buf[8192];
    int p[2], saved = dup(2);
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    fflush(stderr);
    dup2(p[1], 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    close(p[0]);
    close(p[1]);
    return buf;
}

static int log_ret;
static void log_a_failure(void)
{
    log_ret = log_error_errno(-ENOENT, "Cannot open %s: %m", "/x\ny");
}
static void log_a_debug_line(void)
{
    log_debug("hidden");
}

TEST(log_without_a_sink_goes_to_stderr_as_one_line)
{
    log_set_program(NULL);
    CHECK_STR(stderr_of(log_a_failure),
              "sharedroot: ERROR: Cannot open /x y: No such file or directory\n");
    CHECK_INT(log_ret, -ENOENT);
    CHECK_STR(stderr_of(log_a_debug_line), "");
}

static void log_a_warning(void)
{
    log_warning("%s is a socket; left out", "/run/x");
}

TEST(log_of_a_command_is_prefixed_with_its_name)
{
    log_set_program("sharedroot-check-base");
    CHECK_STR(stderr_of(log_a_failure),
              "sharedroot-check-base: Cannot open /x y: No such file or directory\n");
    CHECK_STR(stderr_of(log_a_warning),
              "sharedroot-check-base: warning: /run/x is a socket; left out\n");
    log_set_program(NULL);
}

static void log_a_why(void)
{
    char why[WHY_MAX] = "";
    log_ret = why_fail(why, sizeof why, -EROFS, "%s is read-only", "/dev/vdb");
    fputs(why, stderr);
    log_ret = log_ret == -EROFS ? why_fail(NULL, 0, -EIO, "dropped") : 0;
}

TEST(why_fail_fills_the_buffer_and_returns_the_error)
{
    CHECK_STR(stderr_of(log_a_why), "/dev/vdb is read-only");
    CHECK_INT(log_ret, -EIO); /* a NULL buffer is allowed */
}

/* A temporary file holding n bytes of buf (and zeros up to size); its fd. */
static int image_with(const void *buf, size_t n, off_t size)
{
    char path[] = "/tmp/test-imgformat.XXXXXX";
    int fd = mkstemp(path);

    CHECK(fd >= 0);
    unlink(path);
    CHECK(ftruncate(fd, size) == 0);
    CHECK(pwrite(fd, buf, n, 0) == (ssize_t)n);
    return fd;
}

static enum img_format detect(const void *buf, size_t n, off_t size)
{
    enum img_format fmt = IMG_FORMAT_COUNT;
    _cleanup_close_ int fd = image_with(buf, n, size);

    CHECK_INT(img_format_detect(fd, &fmt), 0);
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 0); /* pread only: the position is not moved */
    return fmt;
}

TEST(img_format_detect_names_each_container_by_its_header)
{
    unsigned char vdi[0x44] = "<<< Oracle VM VirtualBox Disk Image >>>\n";

    CHECK_INT(detect("QFI\xfb\0\0\0\3", 8, 4096), IMG_FORMAT_QCOW2);
    CHECK_INT(detect("QFI\xfb\0\0\0\2", 8, 4096), IMG_FORMAT_QCOW2);
    CHECK_INT(detect("QFI\xfb\0\0\0\1", 8, 4096), IMG_FORMAT_QCOW);
    CHECK_INT(detect("QED\0", 4, 4096), IMG_FORMAT_QED);
    CHECK_INT(detect("KDMV", 4, 4096), IMG_FORMAT_VMDK);
    CHECK_INT(detect("COWD", 4, 4096), IMG_FORMAT_VMDK);
    CHECK_INT(detect("# Disk DescriptorFile\nversion=1\n", 32, 4096), IMG_FORMAT_VMDK);
    vdi[0x40] = 0x7f, vdi[0x41] = 0x10, vdi[0x42] = 0xda, vdi[0x43] = 0xbe;
    CHECK_INT(detect(vdi, sizeof vdi, 4096), IMG_FORMAT_VDI);
    CHECK_INT(detect("vhdxfile", 8, 4096), IMG_FORMAT_VHDX);
    CHECK_INT(detect("conectix", 8, 4096), IMG_FORMAT_VPC);
    CHECK_STR(img_format_name(IMG_FORMAT_QCOW2), "qcow2");
    CHECK_STR(img_format_name(IMG_FORMAT_VPC), "vpc");
    CHECK_STR(img_format_name(IMG_FORMAT_RAW), "raw");
    CHECK_STR(img_format_name(IMG_FORMAT_COUNT), "unknown");
}

TEST(img_format_detect_finds_a_fixed_vhd_by_its_footer)
{
    _cleanup_close_ int fd = image_with("\xeb\x63\x90", 3, 8192);
    enum img_format fmt = IMG_FORMAT_COUNT;

    CHECK_INT(img_format_detect(fd, &fmt), 0);
    CHECK_INT(fmt, IMG_FORMAT_RAW);
    CHECK(pwrite(fd, "conectix", 8, 8192 - 512) == 8);
    CHECK_INT(img_format_detect(fd, &fmt), 0);
    CHECK_INT(fmt, IMG_FORMAT_VPC);
}

TEST(img_format_detect_says_raw_for_filesystems_short_files_and_unknown_versions)
{
    unsigned char ext4[2048] = {0};
    enum img_format fmt = IMG_FORMAT_COUNT;

    ext4[1080] = 0x53, ext4[1081] = 0xef; /* the ext superblock magic */
    CHECK_INT(detect(ext4, sizeof ext4, 1 << 20), IMG_FORMAT_RAW);
    CHECK_INT(detect("", 0, 0), IMG_FORMAT_RAW);                     /* empty */
    CHECK_INT(detect("QFI", 3, 3), IMG_FORMAT_RAW);                  /* shorter than the magic */
    CHECK_INT(detect("QFI\xfb", 4, 4), IMG_FORMAT_RAW);              /* no version */
    CHECK_INT(detect("QFI\xfb\0\0\0\x09", 8, 4096), IMG_FORMAT_RAW); /* unknown version */
    CHECK_INT(detect("conecti", 7, 7), IMG_FORMAT_RAW);
    /* a pipe cannot be read at an offset: the error, not a guess */
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(img_format_detect(p[0], &fmt) == -ESPIPE);
    close(p[0]);
    close(p[1]);
    CHECK(img_format_detect(-1, &fmt) == -EBADF);
}

int main(void)
{
    return test_main();
}
