/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The measure command of sharedroot-boottest (sharedroot-boottest(1), MEASURE): run against
 * a guest once it has booted, while it is up; what it prints as KEY=VALUE lines is stored in
 * that boot's record. The parser of its output and the environment it gets.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MEASURE_MAX_VALUES 64
#define MEASURE_KEY_MAX 64
#define MEASURE_VALUE_MAX 1024
#define MEASURE_OUTPUT_MAX (1024 * 1024) /* bytes of its standard output that are read */

struct measured {
    char key[MEASURE_KEY_MAX + 1];
    char *value;
};

struct measure_values {
    struct measured v[MEASURE_MAX_VALUES];
    size_t n;
    unsigned ignored; /* lines that are not KEY=VALUE, or beyond MEASURE_MAX_VALUES keys */
};

/* Read the output of a measure command (len bytes, may hold anything): each line
 * KEY=VALUE, KEY 1 to 64 letters, digits, '_', '.' or '-' starting with a letter, digit or
 * '_', VALUE the rest of the line (a carriage return at its end removed) of at most 1024
 * bytes without control characters. Other lines (and blank ones) are ignored and counted;
 * a key given again takes the new value; keys beyond 64 are ignored. 0, or -ENOMEM. */
int measure_parse(const char *text, size_t len, struct measure_values *out);
void measure_values_free(struct measure_values *mv);
const char *measure_value(const struct measure_values *mv, const char *key);

/* What the command is told about the guest. */
struct measure_env {
    const char *config;
    unsigned rep;
    bool warmup;
    unsigned group, guest; /* 1.. */
    pid_t qemu_pid;
    const pid_t *up_pids; /* the group's guests that are up, in guest order */
    size_t n_up;
    const char *log;    /* the serial console's log */
    const char *output; /* the output directory */
    const char *accel;
    unsigned memory_mb;
    const char *base;        /* NULL: none */
    const char *base_device; /* "virtio-blk", "virtio-pmem" */
    const char *base_format; /* "raw", "qcow2": as QEMU reads the base */
};

#define MEASURE_ENV_MAX 16

/* The BOOTTEST_* NAME=VALUE strings for e, NULL-terminated, into out (MEASURE_ENV_MAX + 1
 * entries), newly allocated; free with measure_env_free(). -ENOMEM. */
int measure_env_build(const struct measure_env *e, char **out);
void measure_env_free(char **env);
