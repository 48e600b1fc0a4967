/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent context: dispatch to its one implementation (daemon.c). */
#include "config.h"

#include "agent-context.h"

G_DEFINE_INTERFACE (VrAgentContext, vr_agent_context, G_TYPE_OBJECT)

static void
vr_agent_context_default_init (VrAgentContextInterface *iface)
{
}

VrStore *
vr_agent_context_get_store (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_store (context);
}

void
vr_agent_context_index_options (VrAgentContext *context,
                                VrValidateOptions *options)
{
  g_return_if_fail (VR_IS_AGENT_CONTEXT (context));
  VR_AGENT_CONTEXT_GET_IFACE (context)->index_options (context, options);
}

gboolean
vr_agent_context_is_session (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), FALSE);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->is_session (context);
}

const char *const *
vr_agent_context_get_pool_dirs (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_pool_dirs (context);
}

const char *const *
vr_agent_context_get_trusted_import_dirs (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_trusted_import_dirs (
      context);
}

const VrRealizeLimits *
vr_agent_context_get_realize_limits (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_realize_limits (context);
}

VrRealizeHolds *
vr_agent_context_get_realize_holds (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_realize_holds (context);
}

VrUserQuotas *
vr_agent_context_get_user_quotas (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_user_quotas (context);
}

VrUuidOwners *
vr_agent_context_get_uuid_owners (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_uuid_owners (context);
}

const char *const *
vr_agent_context_get_bridges (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_bridges (context);
}

const char *
vr_agent_context_get_config_path (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_config_path (context);
}

void
vr_agent_context_run_import (VrAgentContext *context, guint uid, GTask *task,
                             GTaskThreadFunc func)
{
  g_return_if_fail (VR_IS_AGENT_CONTEXT (context));
  VR_AGENT_CONTEXT_GET_IFACE (context)->run_import (context, uid, task, func);
}

gboolean
vr_agent_context_ref_libvirt (VrAgentContext *context, virConnectPtr *conn,
                              VrHostCaps **caps, GError **error)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), FALSE);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->ref_libvirt (context, conn, caps,
                                                            error);
}

gboolean
vr_agent_context_ref_host (VrAgentContext *context, const char *host,
                           const char *option, virConnectPtr *conn,
                           VrHostCaps **caps, GError **error)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), FALSE);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->ref_host (context, host, option,
                                                         conn, caps, error);
}

VrHostConnections *
vr_agent_context_get_hosts (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_hosts (context);
}

void
vr_agent_context_authorize_details (VrAgentContext *context,
                                    GDBusMethodInvocation *invocation,
                                    const char *action,
                                    const char *const *details,
                                    VrAuthorizedFunc func, gpointer data,
                                    GDestroyNotify destroy)
{
  vr_agent_context_authorize_early (context, invocation, action, details,
                                    NULL, func, data, destroy);
}

void
vr_agent_context_authorize_early (VrAgentContext *context,
                                  GDBusMethodInvocation *invocation,
                                  const char *action,
                                  const char *const *details,
                                  VrAuthorizedFunc early,
                                  VrAuthorizedFunc func, gpointer data,
                                  GDestroyNotify destroy)
{
  g_return_if_fail (VR_IS_AGENT_CONTEXT (context));
  VR_AGENT_CONTEXT_GET_IFACE (context)->authorize_details (
      context, invocation, action, details, early, func, data, destroy);
}

char **
vr_agent_context_host_details (VrAgentContext *context, const char *host)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->host_details (context, host);
}

const char *
vr_agent_context_export_system (VrAgentContext *context,
                                VrPlannedSystem *system)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->export_system (context, system);
}

void
vr_agent_context_unexport_system (VrAgentContext *context, const char *uuid)
{
  g_return_if_fail (VR_IS_AGENT_CONTEXT (context));
  VR_AGENT_CONTEXT_GET_IFACE (context)->unexport_system (context, uuid);
}

void
vr_agent_context_run_system_work (VrAgentContext *context, const char *uuid,
                                  GTask *task, GTaskThreadFunc func)
{
  g_return_if_fail (VR_IS_AGENT_CONTEXT (context));
  VR_AGENT_CONTEXT_GET_IFACE (context)->run_system_work (context, uuid, task,
                                                         func);
}

const char *
vr_agent_context_system_name (VrAgentContext *context, const char *uuid)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->system_name (context, uuid);
}

GPtrArray *
vr_agent_context_list_system_paths (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->list_system_paths (context);
}

GVariant *
vr_agent_context_list_system_summaries (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->list_system_summaries (context);
}

int
vr_agent_context_get_summaries_fd (VrAgentContext *context, GError **error)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), -1);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->get_summaries_fd (context,
                                                                 error);
}

const char *
vr_agent_context_queue_realize (VrAgentContext *context,
                                VrPlannedSystem *system,
                                const VrRealizeOptions *options,
                                guint owner_uid, VrRealizeHold *hold,
                                GError **error)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->queue_realize (
      context, system, options, owner_uid, hold, error);
}

VrJobObject *
vr_agent_context_add_import_job (VrAgentContext *context, const char *name,
                                 guint owner_uid, GError **error)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->add_import_job (
      context, name, owner_uid, error);
}

gboolean
vr_agent_context_system_busy (VrAgentContext *context, const char *uuid)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), FALSE);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->system_busy (context, uuid);
}

GPtrArray *
vr_agent_context_list_job_paths (VrAgentContext *context)
{
  g_return_val_if_fail (VR_IS_AGENT_CONTEXT (context), NULL);
  return VR_AGENT_CONTEXT_GET_IFACE (context)->list_job_paths (context);
}

void
vr_agent_context_authorize (VrAgentContext *context,
                            GDBusMethodInvocation *invocation,
                            const char *action, VrAuthorizedFunc func,
                            gpointer data, GDestroyNotify destroy)
{
  vr_agent_context_authorize_details (context, invocation, action, NULL, func,
                                      data, destroy);
}
