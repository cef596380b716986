/*
 * instance_text.h - the files `petrel create` writes (internal to
 * src/app/instance.c; instance_text.c holds the texts).
 */
#ifndef PETREL_APP_INSTANCE_TEXT_H
#define PETREL_APP_INSTANCE_TEXT_H

/* etc/petrel.conf, complete. */
extern const char instance_conf_text[];
/* etc/users.properties up to the admin line, which instance.c appends. */
extern const char instance_users_head[];
/* etc/groups.properties, complete. */
extern const char instance_groups_text[];
/* etc/acl.conf, complete. */
extern const char instance_acl_text[];

#endif
