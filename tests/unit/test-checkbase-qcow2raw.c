// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sharedroot-check-base on a qcow2 image (checkbase/qcow2raw.c): whether its raw copy may be
 * tried in TMPDIR, and how the image is named to qemu-img. The conversion itself, signals,
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

int main(void)
{
    return test_main();
}
