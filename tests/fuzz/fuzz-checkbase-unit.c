/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd unit files of an image, as sharedroot-check-base reads them for StateDirectory=
 * (checkbase/check-services.c); each value is looked up inside an empty root. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "check-services.h"
#include "checks.h"
#include "fuzz.h"

/* An empty directory as the checked root, made once per process. */
static int empty_root(void)
{
    static int fd = -1;
    static char dir[] = "/tmp/fuzz-checkbase-unit.XXXXXX";
    if (fd < 0 && mkdtemp(dir))
        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct findings out = {0};
    size_t n;
    const struct check *table = checks_table(&n);
    struct check_ctx ctx = {.rootfd = empty_root(), .target = "fuzz", .out = &out};
    char *text;

    if (size > 1024 * 1024 || ctx.rootfd < 0)
        return 0;
    text = fuzz_string(data, size);
    if (!text)
        return 0;
    (void)check_unit_text(&ctx, &table[0], "fuzz.service", text);
    free(text);
    findings_done(&out);
    return 0;
}
