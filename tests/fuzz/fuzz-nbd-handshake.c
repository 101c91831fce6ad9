/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The client side of the NBD handshake (nbd/nbd-handshake.c), against a server whose every
 * byte is the input: the input is written in advance into one end of a socketpair and that
 * end is shut, so the client reads exactly the input and then the end of the stream. The
 * server may be anyone on the network the guest boots from. */
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "nbd-handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nbd_export e;
    char why[512];
    int sv[2];

    /* well inside a socket's buffer, so that writing it in advance never blocks */
    if (size > 32 * 1024 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 0;
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    if (write(sv[1], data, size) == (ssize_t)size && shutdown(sv[1], SHUT_WR) == 0) {
        int r = nbd_handshake(sv[0], "base", 2000, &e, why, sizeof why);
        /* a success is a checked export: a size, and a description that is a string */
        if (r == 0 &&
            (e.size == 0 || strnlen(e.description, sizeof e.description) == sizeof e.description))
            abort();
        if (r < 0 && strnlen(why, sizeof why) == sizeof why)
            abort();
    }
    close(sv[0]);
    close(sv[1]);
    return 0;
}
