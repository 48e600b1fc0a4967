/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "realize-journal.h"

G_BEGIN_DECLS

/* Removes what the journal says this job made, and nothing else: a file
 * only while its name still leads to the inode the job made, in a
 * directory that is still the one the job opened; the domain only while
 * its metadata carries this job's id. pool_fd and save_fd are the job's
 * own directory fds, or -1 to reopen them by the journal's paths (after a
 * crash). Safe to run twice. FALSE when libvirt could not be asked
 * whether the domain is there (the connection is gone): the journal must
 * then stay, and the undo be run again later. */
gboolean vr_realize_undo (virConnectPtr conn,
                          const VrRealizeJournal *journal,
                          int pool_fd,
                          int save_fd,
                          GError **error);

/* Whether dom's <metadata> carries this job's element (job id job);
 * FALSE with error when libvirt cannot tell. */
gboolean vr_realize_domain_is_ours (virDomainPtr dom,
                                    const char *job,
                                    gboolean *ours,
                                    GError **error);

/* The journal's domain in *out when it is there and this job's (its
 * tag), else *out NULL; FALSE with error when libvirt cannot be asked. */
gboolean vr_realize_journal_domain (virConnectPtr conn,
                                    const VrRealizeJournal *journal,
                                    virDomainPtr *out,
                                    GError **error);

G_END_DECLS
