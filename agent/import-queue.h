/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The agent's imports (manifest hashing reads whole disks): at most max
 * at once, the rest waiting in order; one caller (uid) runs at most
 * max - 1 of them (one when max is 1), so that one user's imports never
 * hold every slot while others wait (F11 of the blind review). */
typedef struct _VrImportQueue VrImportQueue;

/* stopping: cancelled when the agent stops, which cancels every import
 * under way or waiting (their tasks' cancellables). max_waiting: the
 * imports one uid (not root) may have waiting for a slot (agent.conf
 * MaxWaitingImportsPerUser, named with config_path when one more is
 * refused). */
VrImportQueue *vr_import_queue_new (guint max,
                                    guint max_waiting,
                                    const char *config_path,
                                    GCancellable *stopping);

/* Runs func as g_task_run_in_thread would, when uid's turn comes. When
 * uid (not root) has max_waiting imports waiting already, the task ends
 * at once with VR_ERROR_IN_USE naming MaxWaitingImportsPerUser. When the
 * task's cancellable is cancelled while it waits (its caller left, its
 * job was cancelled), it leaves the queue at once and the task ends
 * with G_IO_ERROR_CANCELLED (from an idle of its context); func never
 * runs for it. */
void vr_import_queue_push (VrImportQueue *queue,
                           guint uid,
                           GTask *task,
                           GTaskThreadFunc func);

/* Waits for every import, running and waiting, then frees the queue. */
void vr_import_queue_free (VrImportQueue *queue);

G_END_DECLS
