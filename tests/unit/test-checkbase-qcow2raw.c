// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-check-base on a qcow2 image (checkbase/qcow2raw.c): whether its raw copy may be
 * tried in TMPDIR, how the image is named to qemu-img, and how a qemu-img run ends (killed
 * when silent, out of room, another failure). The conversion itself, signals,
 * a full TMPDIR and hostile backing files are in tests/priv/checkbase-qcow2.sh.
 */
#define TESTLIB_IMPLEMENTATION
#include "testlib.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2raw.h"

#define MIB (1024ULL * 1024)

TEST(space_refuses_less_room_than_the_chains_data)
{
    bool tight = false;
    CHECK_INT(qcow2raw_space(300 * MIB, 2048 * MIB, 299 * MIB, &tight), -ENOSPC);
    CHECK_INT(qcow2raw_space(300 * MIB, 2048 * MIB, 0, &tight), -ENOSPC);
}

TEST(space_tries_between_the_data_and_the_virtual_size_and_says_it_is_tight)
{
    bool tight = false;
    CHECK_INT(qcow2raw_space(300 * MIB, 2048 * MIB, 300 * MIB, &tight), 0);
    CHECK(tight);
    CHECK_INT(qcow2raw_space(300 * MIB, 2048 * MIB, 2047 * MIB, &tight), 0);
    CHECK(tight);
}

TEST(space_is_not_tight_with_room_for_the_whole_disk)
{
    bool tight = true;
    CHECK_INT(qcow2raw_space(300 * MIB, 2048 * MIB, 2048 * MIB, &tight), 0);
    CHECK(!tight);
    /* an empty image (no data) always fits */
    CHECK_INT(qcow2raw_space(0, 2048 * MIB, 0, &tight), 0);
    CHECK(tight);
}

TEST(source_is_named_as_a_file_read_only_and_shared)
{
    char *o = qcow2raw_source_opts("/srv/images/debian-12-genericcloud-amd64.qcow2");
    CHECK_STR(o, "driver=qcow2,read-only=on,force-share=on,file.driver=file,"
                 "file.filename=/srv/images/debian-12-genericcloud-amd64.qcow2");
    free(o);
}

TEST(source_name_that_looks_like_a_protocol_or_options_stays_a_file_name)
{
    /* a ':' is no protocol under driver=file; a ',' is doubled so it starts no option */
    char *o = qcow2raw_source_opts("/srv/nbd://x,file.driver=nbd,server.host=10.0.0.1");
    CHECK_STR(o, "driver=qcow2,read-only=on,force-share=on,file.driver=file,"
                 "file.filename=/srv/nbd://x,,file.driver=nbd,,server.host=10.0.0.1");
    free(o);
}

/* Scripts stand in for qemu-img: the bound is on silence, not on the run's length. */
TEST(run_kills_a_qemu_img_that_prints_no_progress)
{
    char err[256];
    char *argv[] = {"/bin/sh", "-c", "exec sleep 60", NULL};
    CHECK_INT(qcow2raw_run(argv, 200, err, sizeof err), -ETIMEDOUT);
}

TEST(run_lets_a_qemu_img_that_makes_progress_go_past_the_bound)
{
    char err[256];
    /* 1.5 s of steps 0.1 s apart, with a bound of 1 s on silence */
    char *argv[] = {"/bin/sh", "-c",
                    "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do "
                    "printf '    (%d.00/100%%)\\r' $i; sleep 0.1; done",
                    NULL};
    CHECK_INT(qcow2raw_run(argv, 1000, err, sizeof err), 0);
}

TEST(run_says_when_qemu_img_ran_out_of_room)
{
    char err[256];
    char *argv[] = {"/bin/sh", "-c",
                    "echo 'qemu-img: error while writing at byte 1048576: No space left on "
                    "device' >&2; echo second >&2; exit 1",
                    NULL};
    CHECK_INT(qcow2raw_run(argv, 10000, err, sizeof err), -ENOSPC);
    CHECK_STR(err, "qemu-img: error while writing at byte 1048576: No space left on device");
}

TEST(run_gives_the_first_line_of_a_failure_printable)
{
    char err[256];
    char *argv[] = {"/bin/sh", "-c", "printf 'qemu-img: bad\\033[2J image\\nmore\\n' >&2; exit 1",
                    NULL};
    CHECK_INT(qcow2raw_run(argv, 10000, err, sizeof err), -EIO);
    CHECK_STR(err, "qemu-img: bad?[2J image");
    char *quiet[] = {"/bin/sh", "-c", "exit 3", NULL};
    CHECK_INT(qcow2raw_run(quiet, 10000, err, sizeof err), -EIO);
    CHECK_STR(err, "exit status 3, no message");
}

int main(void)
{
    return test_main();
}
