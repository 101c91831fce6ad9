/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Identity a base image carries from the machine it was built on: machine-id, dbus's copy
 * of it, ssh host keys, hostname, resolv.conf, random seeds, and the backups --fix leaves.
 */
#pragma once

#include "checks.h"

int check_machine_id(struct check_ctx *ctx, const struct check *c);
int check_dbus_machine_id(struct check_ctx *ctx, const struct check *c);
int check_ssh_host_keys(struct check_ctx *ctx, const struct check *c);
int check_hostname(struct check_ctx *ctx, const struct check *c);
int check_resolv_conf(struct check_ctx *ctx, const struct check *c);
int check_random_seed(struct check_ctx *ctx, const struct check *c);
int check_backup_left(struct check_ctx *ctx, const struct check *c);
