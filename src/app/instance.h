/*
 * instance.h - broker instance folders: `petrel create DIR` makes one,
 * `petrel run DIR` runs one (like `apollo create` / `apollo-broker run`).
 *
 * An instance is a directory holding everything one broker needs:
 *   etc/petrel.conf        the configuration (paths in it are relative to etc/)
 *   etc/users.properties   users and password hashes (mode 0600)
 *   etc/groups.properties  groups of users, for the ACL
 *   etc/acl.conf           who may read and write which topics
 *   data/                  the persistent store
 *   log/                   the log file
 */
#ifndef PETREL_APP_INSTANCE_H
#define PETREL_APP_INSTANCE_H

#include <stddef.h>
#include <stdio.h>

/* Creates an instance in dir, which must not exist (its missing parents are
 * created) or be an empty directory; nothing that exists is ever
 * overwritten. Generates an `admin` user (member of `admins`, which the ACL
 * lets use every topic) with a random 16-character password, stores only
 * its hash, and prints the password once to out with how to run the
 * instance. Returns 0, or -1 with err set to "path: why" (files written
 * before a failure are left in place and named by the message). Blocks on
 * file I/O and password hashing: call it from the command line, not from a
 * loop thread. */
int instance_create(const char *dir, FILE *out, char *err, size_t errlen);

/* Writes the path of dir's configuration file (DIR/etc/petrel.conf) into
 * out. Returns 0, or -1 when it does not fit in cap bytes. */
int instance_config_path(const char *dir, char *out, size_t cap);

#endif
