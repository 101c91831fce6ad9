// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "swap.h"
#include "testlib.h"

static int parse(const char *s, unsigned long long *v)
{
    return swap_parse_size(s, v);
}

TEST(parse_size_accepts_units)
{
    unsigned long long v = 0;
    CHECK_INT(parse("512M", &v), 0);
    CHECK(v == 512ULL << 20);
    CHECK_INT(parse("1G", &v), 0);
    CHECK(v == 1ULL << 30);
    CHECK_INT(parse("65536K", &v), 0);
    CHECK(v == 65536ULL << 10);
    CHECK_INT(parse("2g", &v), 0);
    CHECK(v == 2ULL << 30);
    CHECK_INT(parse("1T", &v), 0);
    CHECK(v == 1ULL << 40);
    CHECK_INT(parse("1048576", &v), 0);
    CHECK(v == 1048576);
    CHECK_INT(parse("40960", &v), 0);
    CHECK(v == 40960);
    CHECK_INT(parse("40K", &v), 0);
    CHECK(v == 40960);
    CHECK_INT(parse("0040K", &v), 0);
}

TEST(parse_size_rejects_zero_and_junk)
{
    unsigned long long v = 7;
    const char *bad[] = {"",     "0",    "0M", "M",        "-1G", "+1G", " 1G", "1G ", "1 G", "1GB",
                         "1GiB", "1.5G", "1X", "0x100000", "1e9", "1\n", "1M1", "G1",  NULL};
    for (const char **b = bad; *b; b++) {
        int r = parse(*b, &v);
        if (r != -EINVAL)
            fprintf(stderr, "  '%s' gave %d\n", *b, r);
        CHECK_INT(r, -EINVAL);
    }
    CHECK(v == 7); /* untouched on error */
    CHECK_INT(parse(NULL, &v), -EINVAL);
}

TEST(parse_size_rejects_out_of_range)
{
    unsigned long long v = 7;
    CHECK_INT(parse("40959", &v), -ERANGE);
    CHECK_INT(parse("39K", &v), -ERANGE);
    CHECK_INT(parse("1025G", &v), -ERANGE);
    CHECK_INT(parse("2T", &v), -ERANGE);
    CHECK_INT(parse("1099511627777", &v), -ERANGE);
    CHECK_INT(parse("18446744073709551615", &v), -ERANGE);
    CHECK_INT(parse("18446744073709551616", &v), -ERANGE);
    CHECK_INT(parse("99999999999999999999999999", &v), -ERANGE);
    CHECK_INT(parse("17179869184G", &v), -ERANGE); /* 2^34 G overflows 64 bits */
    CHECK_INT(parse("16777216T", &v), -ERANGE);
    CHECK(v == 7);
}

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof dir, "/tmp/test-swap-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
}

static void rm_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "  cleanup of %s failed\n", dir);
}

TEST(create_file_is_0600_full_size_without_holes)
{
    char p[128];
    struct stat st;
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/swapfile", dir);
    mode_t old = umask(0);
    CHECK_INT(swap_create_file(p, 4ULL << 20), 0);
    umask(old);
    CHECK_INT(lstat(p, &st), 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK_INT(st.st_mode & 07777, 0600);
    CHECK_INT(st.st_size, 4 << 20);
    CHECK((long long)st.st_blocks * 512 >= 4LL << 20);
    rm_dir();
}

TEST(create_file_leaves_existing_file_alone)
{
    char p[128];
    struct stat st;
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/swapfile", dir);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, "data", 4), 4);
    close(fd);
    CHECK_INT(swap_create_file(p, 1ULL << 20), -EEXIST);
    CHECK_INT(lstat(p, &st), 0);
    CHECK_INT(st.st_size, 4);
    CHECK_INT(st.st_mode & 07777, 0644);
    rm_dir();
}

TEST(create_file_does_not_follow_a_symlink)
{
    char p[128], target[128];
    struct stat st;
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/swapfile", dir);
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    CHECK_INT(symlink(target, p), 0);
    CHECK_INT(swap_create_file(p, 1ULL << 20), -EEXIST);
    CHECK(lstat(target, &st) < 0 && errno == ENOENT);
    rm_dir();
}

TEST(create_file_refuses_silly_sizes)
{
    char p[128];
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/swapfile", dir);
    CHECK_INT(swap_create_file(p, 0), -ERANGE);
    CHECK_INT(swap_create_file(p, 4096), -ERANGE);
    CHECK_INT(swap_create_file(p, (1ULL << 40) + 1), -ERANGE);
    CHECK(access(p, F_OK) < 0);
    rm_dir();
}

TEST(create_file_missing_directory_enoent)
{
    CHECK_INT(swap_create_file("/tmp/sharedroot-no-such-dir/x/swapfile", 1ULL << 20), -ENOENT);
}

TEST(check_target_blank_file_is_free)
{
    char p[128], why[200];
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/blank", dir);
    int fd = open(p, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    CHECK_INT(ftruncate(fd, 1 << 20), 0);
    close(fd);
    CHECK_INT(swap_check_target(p, why, sizeof why), -ENOENT);
    rm_dir();
}

TEST(check_target_missing_is_enodev_not_enoent)
{
    char why[200] = "";
    CHECK_INT(swap_check_target("/tmp/sharedroot-no-such-swap", why, sizeof why), -ENODEV);
    CHECK(strstr(why, "does not exist") != NULL);
}

TEST(check_target_directory_is_enotblk)
{
    char why[200] = "";
    CHECK_INT(swap_check_target("/tmp", why, sizeof why), -ENOTBLK);
    CHECK_INT(swap_check_target("/dev/null", NULL, 0), -ENOTBLK);
}

static bool have(const char *bin)
{
    return access(bin, X_OK) == 0;
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(check_target_names_ext4)
{
    char p[128], cmd[512], why[200] = "";
    if (!have("/sbin/mkfs.ext4"))
        SKIP("no /sbin/mkfs.ext4");
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/ext4.img", dir);
    snprintf(cmd, sizeof cmd, "truncate -s 8M %s && /sbin/mkfs.ext4 -q -F %s", p, p);
    CHECK_INT(run(cmd), 0);
    CHECK_INT(swap_check_target(p, why, sizeof why), -EEXIST);
    CHECK_STR(why, "ext4 filesystem");
    rm_dir();
}

TEST(mkswap_not_allowed_eperm)
{
    char p[128], why[200] = "";
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/blank", dir);
    CHECK_INT(swap_create_file(p, 1ULL << 20), 0);
    CHECK_INT(swap_mkswap_full(p, false, NULL, 0, why, sizeof why), -EPERM);
    CHECK(strstr(why, "sharedroot.mkswap") != NULL);
    CHECK_INT(swap_check_target(p, NULL, 0), -ENOENT);
    rm_dir();
}

TEST(mkswap_file_then_swap_signature)
{
    char p[128], why[300] = "";
    if (!have("/sbin/mkswap"))
        SKIP("no /sbin/mkswap");
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/swapfile", dir);
    CHECK_INT(swap_create_file(p, 1ULL << 20), 0);
    CHECK_INT(swap_mkswap_full(p, true, NULL, 0, why, sizeof why), 0);
    if (why[0])
        fprintf(stderr, "  why: %s\n", why);
    CHECK_INT(swap_check_target(p, why, sizeof why), 0);
    /* An old swap signature may be initialised again. */
    CHECK_INT(swap_mkswap_full(p, true, NULL, 0, why, sizeof why), 0);
    rm_dir();
}

static void write_script(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    CHECK_INT(chmod(path, 0755), 0);
}

TEST(mkswap_wait_is_bounded)
{
    char p[128], fake[128], why[300] = "";
    struct timespec a, b;
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/swapfile", dir);
    snprintf(fake, sizeof fake, "%s/mkswap", dir);
    CHECK_INT(swap_create_file(p, 1ULL << 20), 0);
    write_script(fake, "exec sleep 30");
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK_INT(swap_mkswap_full(p, true, fake, 300, why, sizeof why), -ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    CHECK(ms >= 300 && ms < 3000);
    CHECK(strstr(why, "did not finish") != NULL);
    rm_dir();
}

TEST(mkswap_failure_reports_stderr)
{
    char p[128], fake[128], why[300] = "";
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/swapfile", dir);
    snprintf(fake, sizeof fake, "%s/mkswap", dir);
    CHECK_INT(swap_create_file(p, 1ULL << 20), 0);
    write_script(fake, "echo 'mkswap: no luck' >&2; exit 3");
    CHECK_INT(swap_mkswap_full(p, true, fake, 5000, why, sizeof why), -EIO);
    CHECK(strstr(why, "exit status 3") != NULL);
    CHECK(strstr(why, "mkswap: no luck") != NULL);
    rm_dir();
}

TEST(mkswap_missing_binary_enopkg)
{
    char p[128], why[300] = "";
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/swapfile", dir);
    CHECK_INT(swap_create_file(p, 1ULL << 20), 0);
    CHECK_INT(swap_mkswap_full(p, true, "/nonexistent/mkswap", 5000, why, sizeof why), -ENOPKG);
    rm_dir();
}

TEST(mkswap_refused_over_ext4_file)
{
    char p[128], cmd[512], why[300] = "", fake[128];
    if (!have("/sbin/mkfs.ext4"))
        SKIP("no /sbin/mkfs.ext4");
    mkdir_tmp();
    snprintf(p, sizeof p, "%s/ext4.img", dir);
    snprintf(fake, sizeof fake, "%s/mkswap", dir);
    /* A fake mkswap that would leave a mark: it must never run. */
    char body[200];
    snprintf(body, sizeof body, "touch %s/ran", dir);
    write_script(fake, body);
    snprintf(cmd, sizeof cmd, "truncate -s 8M %s && /sbin/mkfs.ext4 -q -F %s", p, p);
    CHECK_INT(run(cmd), 0);
    CHECK_INT(swap_mkswap_full(p, true, fake, 5000, why, sizeof why), -EEXIST);
    CHECK(strstr(why, "ext4 filesystem") != NULL);
    snprintf(cmd, sizeof cmd, "%s/ran", dir);
    CHECK(access(cmd, F_OK) < 0);
    rm_dir();
}

int main(void)
{
    return test_main();
}
