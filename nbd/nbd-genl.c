// SPDX-License-Identifier: GPL-2.0-or-later
#include "nbd-genl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/nbd-netlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define NBD_NL_BUF 4096

struct family_reply {
    uint16_t id;
    uint32_t group;
};

static int group_attr(const struct nlattr *a, void *data)
{
    const struct nlattr **tb = data;
    int type = mnl_attr_get_type(a);

    if (type == CTRL_ATTR_MCAST_GRP_NAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
        tb[type] = a;
    if (type == CTRL_ATTR_MCAST_GRP_ID && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
        tb[type] = a;
    return MNL_CB_OK;
}

static int groups_attr(const struct nlattr *a, void *data)
{
    struct family_reply *f = data;
    const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = {0};

    if (mnl_attr_parse_nested(a, group_attr, tb) < 0)
        return MNL_CB_OK;
    if (tb[CTRL_ATTR_MCAST_GRP_NAME] && tb[CTRL_ATTR_MCAST_GRP_ID] &&
        strcmp(mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]), NBD_GENL_MCAST_GROUP_NAME) == 0)
        f->group = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
    return MNL_CB_OK;
}

static int family_attr(const struct nlattr *a, void *data)
{
    struct family_reply *f = data;

    if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(a, MNL_TYPE_U16) == 0)
        f->id = mnl_attr_get_u16(a);
    if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
        mnl_attr_parse_nested(a, groups_attr, f);
    return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr, data);
    return MNL_CB_OK;
}

static struct nlmsghdr *genl_request(char *buf, uint16_t family, uint8_t cmd, uint8_t version)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct genlmsghdr *genl;

    nlh->nlmsg_type = family;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    genl = mnl_nlmsg_put_extra_header(nlh, sizeof *genl);
    genl->cmd = cmd;
    genl->version = version;
    return nlh;
}

int nbd_genl_open(struct nbd_genl *g)
{
    char buf[NBD_NL_BUF];
    struct nlmsghdr *nlh;
    struct family_reply f = {0};
    int r;

    memset(g, 0, sizeof *g);
    r = nl_open(&g->nl, NETLINK_GENERIC);
    if (r < 0)
        return r;
    nlh = genl_request(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
    mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NBD_GENL_FAMILY_NAME);
    r = nl_talk(&g->nl, nlh, family_cb, &f);
    if (r == 0 && !f.id)
        r = -ENOENT;
    if (r < 0) {
        nl_close(&g->nl);
        return r;
    }
    g->family = f.id;
    g->mcast_group = f.group;
    return 0;
}

void nbd_genl_close(struct nbd_genl *g)
{
    nl_close(&g->nl);
}

static void put_sockets(struct nlmsghdr *nlh, const int *fds, size_t n)
{
    struct nlattr *socks = mnl_attr_nest_start(nlh, NBD_ATTR_SOCKETS);

    for (size_t i = 0; i < n; i++) {
        struct nlattr *item = mnl_attr_nest_start(nlh, NBD_SOCK_ITEM);
        mnl_attr_put_u32(nlh, NBD_SOCK_FD, (uint32_t)fds[i]);
        mnl_attr_nest_end(nlh, item);
    }
    mnl_attr_nest_end(nlh, socks);
}

static int index_attr(const struct nlattr *a, void *data)
{
    if (mnl_attr_get_type(a) == NBD_ATTR_INDEX && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
        *(int *)data = (int)mnl_attr_get_u32(a);
    return MNL_CB_OK;
}

static int index_cb(const struct nlmsghdr *nlh, void *data)
{
    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), index_attr, data);
    return MNL_CB_OK;
}

int nbd_genl_connect(struct nbd_genl *g, const int *fds, size_t n,
                     const struct nbd_connect_params *p, int *index)
{
    char buf[NBD_NL_BUF];
    struct nlmsghdr *nlh = genl_request(buf, g->family, NBD_CMD_CONNECT, NBD_GENL_VERSION);
    int idx = -1, r;

    mnl_attr_put_u64(nlh, NBD_ATTR_SIZE_BYTES, p->size);
    mnl_attr_put_u64(nlh, NBD_ATTR_BLOCK_SIZE_BYTES, p->block_size);
    mnl_attr_put_u64(nlh, NBD_ATTR_SERVER_FLAGS, p->server_flags);
    mnl_attr_put_u64(nlh, NBD_ATTR_TIMEOUT, p->io_timeout_s);
    mnl_attr_put_u64(nlh, NBD_ATTR_DEAD_CONN_TIMEOUT, p->dead_timeout_s);
    if (p->backend)
        mnl_attr_put_strz(nlh, NBD_ATTR_BACKEND_IDENTIFIER, p->backend);
    put_sockets(nlh, fds, n);
    r = nl_talk(&g->nl, nlh, index_cb, &idx);
    if (r < 0)
        return r;
    if (idx < 0)
        return -EPROTO;
    *index = idx;
    return 0;
}

int nbd_genl_reconfigure(struct nbd_genl *g, int index, const int *fds, size_t n,
                         const char *backend)
{
    char buf[NBD_NL_BUF];
    struct nlmsghdr *nlh = genl_request(buf, g->family, NBD_CMD_RECONFIGURE, NBD_GENL_VERSION);

    mnl_attr_put_u32(nlh, NBD_ATTR_INDEX, (uint32_t)index);
    if (backend)
        mnl_attr_put_strz(nlh, NBD_ATTR_BACKEND_IDENTIFIER, backend);
    put_sockets(nlh, fds, n);
    return nl_talk(&g->nl, nlh, NULL, NULL);
}

struct status {
    int index; /* -1: every device */
    int connected;
    int *list; /* with index -1: the connected ones */
    size_t max, n;
};

static int device_attr(const struct nlattr *a, void *data)
{
    const struct nlattr **tb = data;
    int type = mnl_attr_get_type(a);

    if (type == NBD_DEVICE_INDEX && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
        tb[type] = a;
    if (type == NBD_DEVICE_CONNECTED && mnl_attr_validate(a, MNL_TYPE_U8) == 0)
        tb[type] = a;
    return MNL_CB_OK;
}

static int item_attr(const struct nlattr *a, void *data)
{
    struct status *s = data;
    const struct nlattr *tb[NBD_DEVICE_ATTR_MAX + 1] = {0};

    if (mnl_attr_get_type(a) != NBD_DEVICE_ITEM || mnl_attr_parse_nested(a, device_attr, tb) < 0)
        return MNL_CB_OK;
    if (!tb[NBD_DEVICE_INDEX] || !tb[NBD_DEVICE_CONNECTED])
        return MNL_CB_OK;
    if (s->index < 0) {
        if (mnl_attr_get_u8(tb[NBD_DEVICE_CONNECTED]) && s->n < s->max &&
            mnl_attr_get_u32(tb[NBD_DEVICE_INDEX]) <= INT32_MAX)
            s->list[s->n++] = (int)mnl_attr_get_u32(tb[NBD_DEVICE_INDEX]);
    } else if ((int)mnl_attr_get_u32(tb[NBD_DEVICE_INDEX]) == s->index) {
        s->connected = mnl_attr_get_u8(tb[NBD_DEVICE_CONNECTED]) ? 1 : 0;
    }
    return MNL_CB_OK;
}

static int list_attr(const struct nlattr *a, void *data)
{
    if (mnl_attr_get_type(a) == NBD_ATTR_DEVICE_LIST)
        mnl_attr_parse_nested(a, item_attr, data);
    return MNL_CB_OK;
}

static int status_cb(const struct nlmsghdr *nlh, void *data)
{
    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), list_attr, data);
    return MNL_CB_OK;
}

int nbd_genl_connected(struct nbd_genl *g, int index)
{
    char buf[NBD_NL_BUF];
    struct nlmsghdr *nlh = genl_request(buf, g->family, NBD_CMD_STATUS, NBD_GENL_VERSION);
    struct status s = {.index = index, .connected = -ENODEV};
    int r;

    mnl_attr_put_u32(nlh, NBD_ATTR_INDEX, (uint32_t)index);
    r = nl_talk(&g->nl, nlh, status_cb, &s);
    return r < 0 ? r : s.connected;
}

int nbd_genl_connected_list(struct nbd_genl *g, int *list, size_t max, size_t *n)
{
    char buf[NBD_NL_BUF];
    /* no index: the kernel answers for every device it has */
    struct nlmsghdr *nlh = genl_request(buf, g->family, NBD_CMD_STATUS, NBD_GENL_VERSION);
    struct status s = {.index = -1, .list = list, .max = max};
    int r = nl_talk(&g->nl, nlh, status_cb, &s);

    *n = r < 0 ? 0 : s.n;
    return r;
}

int nbd_genl_disconnect(struct nbd_genl *g, int index)
{
    char buf[NBD_NL_BUF];
    struct nlmsghdr *nlh = genl_request(buf, g->family, NBD_CMD_DISCONNECT, NBD_GENL_VERSION);

    mnl_attr_put_u32(nlh, NBD_ATTR_INDEX, (uint32_t)index);
    return nl_talk(&g->nl, nlh, NULL, NULL);
}

int nbd_genl_watch_open(const struct nbd_genl *g, struct nl *watch)
{
    int r, fd;

    if (!g->mcast_group)
        return -ENOTSUP;
    r = nl_open(watch, NETLINK_GENERIC);
    if (r < 0)
        return r;
    fd = mnl_socket_get_fd(watch->sock);
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g->mcast_group,
                   sizeof g->mcast_group) < 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        r = -errno;
        nl_close(watch);
        return r;
    }
    return 0;
}

struct dead {
    int index;
    int count;
};

static int dead_cb(const struct nlmsghdr *nlh, void *data)
{
    struct dead *d = data;
    const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
    int idx = -1;

    if (genl->cmd != NBD_CMD_LINK_DEAD)
        return MNL_CB_OK;
    mnl_attr_parse(nlh, sizeof *genl, index_attr, &idx);
    if (idx == d->index)
        d->count++;
    return MNL_CB_OK;
}

int nbd_genl_watch_read(struct nl *watch, int index)
{
    char buf[NBD_NL_BUF];
    struct dead d = {.index = index};

    for (;;) {
        ssize_t n = recv(mnl_socket_get_fd(watch->sock), buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return d.count ? d.count : -EAGAIN;
        if (n < 0)
            return errno == ENOBUFS ? 1 : -errno; /* events lost: assume the worst */
        if (n == 0)
            return d.count;
        /* events carry sequence and port 0: accept them whatever ours are */
        mnl_cb_run(buf, (size_t)n, 0, 0, dead_cb, &d);
    }
}

int nbd_block_size(uint32_t server_min, unsigned requested, uint32_t *out, char *why, size_t n)
{
    uint32_t bs = requested ? requested : server_min > 512 ? server_min : 512;

    if (bs > 4096) {
        snprintf(why, n,
                 "the server needs blocks of %u bytes; the kernel's nbd driver handles at "
                 "most 4096 (a page)",
                 server_min);
        return -EINVAL;
    }
    if (requested && server_min > requested) {
        snprintf(why, n, "bs=%u is smaller than the server's minimum block size %u", requested,
                 server_min);
        return -EINVAL;
    }
    *out = bs;
    return 0;
}
