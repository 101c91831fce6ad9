/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "busybox.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "elfdeps.h"
#include "elfread.h"

#define APPLET_NAME_MAX 64

const char *busybox_default(void)
{
    static const char *const candidates[] = {"/usr/bin/busybox", "/bin/busybox"};

    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

/* Run "shell --list" into a buffer; -ENOEXEC when it is not a busybox. */
static int list_applets(const char *shell, char **ret, size_t *ret_size)
{
    _cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    FILE *f = tmpfile();
    char *buf = NULL;
    size_t size = 0;
    int r;

    if (!f)
        return -errno;
    /* Another shell complains about "--list" on stderr; that is how it is told apart. */
    r = run_program((char *const[]){(char *)shell, "--list", NULL}, fileno(f), null);
    if (r == 0) {
        long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
        rewind(f);
        if (len < 0 || len > 1024 * 1024 || !(buf = calloc(1, (size_t)len + 1)))
            r = -ENOMEM;
        else
            size = fread(buf, 1, (size_t)len, f);
    } else if (r > 0) {
        r = -ENOEXEC;
    }
    fclose(f);
    if (r < 0) {
        free(buf);
        return r;
    }
    *ret = buf;
    *ret_size = size;
    return 0;
}

static bool applet_name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > APPLET_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *c = name; *c; c++)
        if (*c == '/' || *c <= ' ' || *c == 0x7f)
            return false;
    return true;
}

static int add_applets(struct plan *p, const char *shell, char *list)
{
    _cleanup_free_ char *reason = NULL;
    char *save = NULL;

    if (asprintf(&reason, "applet of %s", shell) < 0)
        return -ENOMEM;
    for (char *name = strtok_r(list, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!applet_name_ok(name) || strcmp(name, "busybox") == 0)
            continue;
        if (!(path = path_join("/bin", name)))
            return -ENOMEM;
        r = plan_add_symlink(p, path, "busybox", "applet", reason);
        if (r < 0)
            return mk_error(r, "cannot add busybox applet %s: %m", path);
    }
    return plan_add_symlink(p, "/bin/sh", "busybox", "applet", reason);
}

char *busybox_reason(const char *shell)
{
    struct elf_info info = {0};
    struct stat st;
    bool is_static = elf_parse_file(shell, &info) == 0 && !info.interp &&
                     (info.type == ET_EXEC || info.type == ET_DYN);
    char *ret = NULL;
    int r;

    elf_info_done(&info);
    if (is_static && stat(shell, &st) == 0)
        r = asprintf(&ret,
                     "emergency shell, from %s; statically linked, %jd KiB: a busybox linked "
                     "against libc (Debian's busybox package), which the image has anyway, "
                     "makes the image smaller: --shell PATH",
                     shell, (intmax_t)(st.st_size + 1023) / 1024);
    else
        r = asprintf(&ret, "emergency shell, from %s", shell);
    return r < 0 ? NULL : ret;
}

int busybox_add(struct plan *p, const struct ldso *l, const char *shell)
{
    _cleanup_free_ char *list = NULL, *reason = NULL;
    size_t size = 0;
    int r;

    if (access(shell, X_OK) < 0)
        return mk_error(errno, "shell %s: %m; give another with --shell or use --no-shell", shell);
    r = list_applets(shell, &list, &size);
    if (r == -ENOEXEC || (r >= 0 && size == 0)) {
        if (asprintf(&reason, "emergency shell, from %s", shell) < 0)
            return -ENOMEM;
        return elfdeps_add_binary(p, l, shell, "/bin/sh", "shell", reason);
    }
    if (r < 0)
        return mk_error(r, "cannot run %s --list: %m", shell);
    if (!(reason = busybox_reason(shell)))
        return -ENOMEM;
    r = elfdeps_add_binary(p, l, shell, "/bin/busybox", "shell", reason);
    if (r < 0)
        return r;
    return add_applets(p, shell, list);
}
