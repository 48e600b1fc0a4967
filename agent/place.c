/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placement through the agent: the backend's placement (placement.c) over
 * the connections the agent keeps to its listed hosts. */
#include "config.h"

#include "place.h"

#include "errors.h"
#include "placement.h"

typedef struct {
  char *name;   /* as the caller named it */
  char *listed; /* its name in agent.conf, for polkit */
  char *uri;
  virConnectPtr conn; /* NULL: not reachable, error says why */
  VrHostCaps *caps;
  GError *error;
} PlaceHost;

struct _VrPlace {
  GPtrArray *hosts; /* of PlaceHost */
  gboolean copy_disks;
};

static void
place_host_free (PlaceHost *host)
{
  g_free (host->name);
  g_free (host->listed);
  g_free (host->uri);
  g_clear_object (&host->caps);
  g_clear_pointer (&host->conn, virConnectClose);
  g_clear_error (&host->error);
  g_free (host);
}

void
vr_place_free (VrPlace *place)
{
  if (place == NULL)
    return;
  g_ptr_array_unref (place->hosts);
  g_free (place);
}

static void
add_host (VrPlace *place, VrAgentContext *context, const char *name,
          const char *uri)
{
  PlaceHost *host = g_new0 (PlaceHost, 1);

  host->name = g_strdup (name);
  host->listed = g_strdup (
      vr_host_connections_name (vr_agent_context_get_hosts (context), uri));
  host->uri = g_strdup (uri);
  vr_agent_context_ref_host (context, uri, "hosts", &host->conn, &host->caps,
                             &host->error);
  g_ptr_array_add (place->hosts, host);
}

VrPlace *
vr_place_new (VrAgentContext *context, const char *const *names,
              gboolean copy_disks, GError **error)
{
  VrHostConnections *listed = vr_agent_context_get_hosts (context);
  g_autoptr (VrPlace) place = g_new0 (VrPlace, 1);
  g_autoptr (GVariant) all = vr_host_connections_list (listed);

  place->hosts = g_ptr_array_new_with_free_func (
      (GDestroyNotify) place_host_free);
  place->copy_disks = copy_disks;
  g_variant_ref_sink (all);
  if (names != NULL && names[0] != NULL)
    {
      g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash,
                                                      g_str_equal);

      for (guint i = 0; names[i] != NULL; i++)
        {
          const char *uri = vr_host_connections_resolve (listed, names[i],
                                                         "hosts", error);

          if (uri == NULL)
            return NULL;
          /* Each listed host once: a name repeated 100000 times was
           * 100000 checks of root's CPU (fourth blind review, F4). */
          if (g_hash_table_add (seen, (gpointer) uri))
            add_host (place, context, names[i], uri);
        }
      return g_steal_pointer (&place);
    }
  for (gsize i = 0; i < g_variant_n_children (all); i++)
    {
      const char *name;
      const char *uri;

      g_variant_get_child (all, i, "(&s&s)", &name, &uri);
      add_host (place, context, name, uri);
    }
  if (place->hosts->len == 0)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "option 'hosts': the agent's configuration lists no "
                   "host ([Hosts] in agent.conf)");
      return NULL;
    }
  return g_steal_pointer (&place);
}

/* Every host's listed name, then every URI, each list one string: a rule
 * that allows one host only allows a Place over that host alone. */
char **
vr_place_details (VrPlace *place)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_null_terminated (
      place->hosts->len, NULL, TRUE);
  g_autoptr (GPtrArray) uris = g_ptr_array_new_null_terminated (
      place->hosts->len, NULL, TRUE);
  g_autofree char *name = NULL;
  g_autofree char *uri = NULL;

  for (guint i = 0; i < place->hosts->len; i++)
    {
      PlaceHost *host = place->hosts->pdata[i];

      g_ptr_array_add (names, host->listed);
      g_ptr_array_add (uris, host->uri);
    }
  name = g_strjoinv (", ", (char **) names->pdata);
  uri = g_strjoinv (" ", (char **) uris->pdata);
  {
    const char *const details[] = { "host", name, "host_uri", uri, NULL };

    return g_strdupv ((char **) details);
  }
}

GVariant *
vr_place_run (VrPlace *place, VrStore *store, VrPlannedSystem *system,
              const VrValidateOptions *options)
{
  g_autoptr (GPtrArray) checked = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vr_placement_host_free);
  GVariantBuilder builder;

  for (guint i = 0; i < place->hosts->len; i++)
    {
      PlaceHost *host = place->hosts->pdata[i];
      VrPlacementHost *result = vr_placement_host_new (host->uri);

      g_ptr_array_add (checked, result);
      /* The caller left the bus: nobody reads the answer. */
      if (g_cancellable_is_cancelled (options->cancellable))
        vr_placement_unreachable (result, "not checked: the caller left");
      else if (host->conn == NULL)
        vr_placement_unreachable (result, host->error->message);
      else
        vr_placement_check_on (result, host->conn, host->caps, store, system,
                               options, place->copy_disks);
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssbbstu)"));
  for (guint i = 0; i < checked->len; i++)
    {
      VrPlacementHost *result = checked->pdata[i];

      g_variant_builder_add (&builder, "(ssbbstu)",
                             ((PlaceHost *) place->hosts->pdata[i])->name,
                             result->uri, result->reachable, result->fits,
                             result->blocking ? result->blocking : "",
                             (guint64) result->free_memory, result->cpus);
    }
  return g_variant_new ("(a(ssbbstu)i)", &builder,
                        vr_placement_choose (checked));
}
