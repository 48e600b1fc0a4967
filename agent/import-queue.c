/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "import-queue.h"

#include "errors.h"
#include "uid-share.h"

struct _VrImportQueue {
  GMutex lock;
  GCond idle;           /* signalled whenever an import ends */
  GThreadPool *workers; /* only ever given an import that may run now */
  GQueue waiting;       /* of Item, in order of arrival */
  VrUidShare *share;    /* who runs how many */
  guint running;
  guint max;
  guint max_waiting;    /* per uid (not root) */
  char *config_path;    /* for messages */
  /* Cancelled when the agent stops: an import under way stops hashing
   * (nothing of it is kept) and a waiting one ends as soon as it runs. */
  GCancellable *stopping;
};

/* Shared (g_atomic_rc_box) by the queue and the handler on the task's
 * cancellable that drops it while it waits; task is the queue's until the
 * import runs or is dropped. */
typedef struct {
  VrImportQueue *queue;
  guint uid;
  GTask *task;
  GTaskThreadFunc func;
  gulong dropped_id; /* the handler, 0 without a cancellable */
} Item;

static void
item_release (gpointer item)
{
  g_atomic_rc_box_release (item);
}

static void
count (VrImportQueue *queue, guint uid, int delta)
{
  queue->running += delta;
  vr_uid_share_count (queue->share, uid, delta);
}

/* Hands the workers the first waiting imports whose callers are below
 * their share, while slots are free. Under the lock. */
static void
start_ready (VrImportQueue *queue)
{
  GList *l = queue->waiting.head;

  while (l != NULL && queue->running < queue->max)
    {
      GList *next = l->next;
      Item *item = l->data;

      if (vr_uid_share_allows (queue->share, item->uid))
        {
          g_queue_delete_link (&queue->waiting, l);
          count (queue, item->uid, 1);
          g_thread_pool_push (queue->workers, item, NULL);
        }
      l = next;
    }
}

static void
cancel_import (GCancellable *stopping, gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
}

static gboolean
return_dropped (gpointer task)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "cancelled while it waited for an import slot");
  return G_SOURCE_REMOVE;
}

/* The task's cancellable was cancelled (its caller left the bus, its job
 * was cancelled): a waiting import goes at once, not when its turn comes,
 * and what it holds (the caller's folder, their message) with it
 * (eighteenth review F6: a caller's 960 waiting imports held the agent's
 * every descriptor after the caller was killed). Its task ends from an
 * idle of its own context: nothing runs inside the cancel, which may be
 * in a handler the task's callback would disconnect. */
static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  Item *item = data;
  VrImportQueue *queue = item->queue;
  g_autoptr (GSource) source = NULL;
  gboolean waiting;

  g_mutex_lock (&queue->lock);
  waiting = g_queue_remove (&queue->waiting, item);
  g_cond_broadcast (&queue->idle);
  g_mutex_unlock (&queue->lock);
  if (!waiting)
    return;
  source = g_idle_source_new ();
  g_source_attach (source, g_task_get_context (item->task));
  g_source_set_callback (source, return_dropped, g_steal_pointer (&item->task),
                         g_object_unref);
  g_atomic_rc_box_release (item); /* the queue's */
}

static void
run (gpointer data, gpointer user_data)
{
  Item *item = data;
  VrImportQueue *queue = user_data;
  GTask *task = g_steal_pointer (&item->task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  gulong handler = 0;

  /* Off the waiting list: the handler that drops a waiting import has
   * nothing more to do (this waits for one under way). */
  if (item->dropped_id != 0)
    g_cancellable_disconnect (cancellable, item->dropped_id);
  if (cancellable != NULL)
    handler = g_cancellable_connect (queue->stopping,
                                     G_CALLBACK (cancel_import), cancellable,
                                     NULL);
  item->func (task, g_task_get_source_object (task),
              g_task_get_task_data (task), cancellable);
  g_cancellable_disconnect (queue->stopping, handler);
  g_object_unref (task);
  g_mutex_lock (&queue->lock);
  count (queue, item->uid, -1);
  start_ready (queue);
  g_cond_broadcast (&queue->idle);
  g_mutex_unlock (&queue->lock);
  g_atomic_rc_box_release (item);
}

VrImportQueue *
vr_import_queue_new (guint max, guint max_waiting, const char *config_path,
                     GCancellable *stopping)
{
  VrImportQueue *queue = g_new0 (VrImportQueue, 1);

  queue->stopping = g_object_ref (stopping);
  queue->max_waiting = MAX (max_waiting, 1);
  queue->config_path = g_strdup (config_path ? config_path : "agent.conf");
  g_mutex_init (&queue->lock);
  g_cond_init (&queue->idle);
  g_queue_init (&queue->waiting);
  queue->max = MAX (max, 1);
  queue->share = vr_uid_share_new (queue->max);
  queue->workers = g_thread_pool_new (run, queue, (int) queue->max, FALSE,
                                      NULL);
  return queue;
}

/* uid's imports waiting for a slot. Under the lock. */
static guint
waiting_of (VrImportQueue *queue, guint uid)
{
  guint n = 0;

  for (GList *l = queue->waiting.head; l != NULL; l = l->next)
    n += ((Item *) l->data)->uid == uid;
  return n;
}

void
vr_import_queue_push (VrImportQueue *queue, guint uid, GTask *task,
                      GTaskThreadFunc func)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  Item *item = g_atomic_rc_box_new0 (Item);
  guint waiting = 0;
  gboolean cancelled;

  item->queue = queue;
  item->uid = uid;
  item->task = g_object_ref (task);
  item->func = func;
  /* Connected before it waits; a cancel before it is queued is seen
   * under the lock below. */
  if (cancellable != NULL)
    item->dropped_id = g_cancellable_connect (
        cancellable, G_CALLBACK (on_cancelled),
        g_atomic_rc_box_acquire (item), item_release);
  g_mutex_lock (&queue->lock);
  cancelled = cancellable != NULL && g_cancellable_is_cancelled (cancellable);
  /* Each waiting import holds its caller's folder and message: one user
   * (not root) has a bounded number waiting (eighteenth review F6). */
  if (!cancelled && uid != 0)
    waiting = waiting_of (queue, uid);
  if (!cancelled && waiting < queue->max_waiting)
    {
      g_queue_push_tail (&queue->waiting, item);
      start_ready (queue);
      g_mutex_unlock (&queue->lock);
      return;
    }
  g_mutex_unlock (&queue->lock);
  if (item->dropped_id != 0)
    g_cancellable_disconnect (cancellable, item->dropped_id);
  g_clear_object (&item->task);
  g_atomic_rc_box_release (item);
  if (cancelled)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "cancelled before it waited for an import "
                             "slot");
  else
    g_task_return_new_error (
        task, VR_ERROR, VR_ERROR_IN_USE,
        "uid %u has %u imports waiting for an import slot, the most %s "
        "allows one user (MaxWaitingImportsPerUser=%u): wait for them",
        uid, waiting, queue->config_path, queue->max_waiting);
}

void
vr_import_queue_free (VrImportQueue *queue)
{
  if (queue == NULL)
    return;
  g_mutex_lock (&queue->lock);
  while (queue->running > 0 || queue->waiting.length > 0)
    g_cond_wait (&queue->idle, &queue->lock);
  g_mutex_unlock (&queue->lock);
  g_thread_pool_free (queue->workers, FALSE, TRUE);
  vr_uid_share_free (queue->share);
  g_mutex_clear (&queue->lock);
  g_cond_clear (&queue->idle);
  g_object_unref (queue->stopping);
  g_free (queue->config_path);
  g_free (queue);
}
