/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The planned guest CPU against the one in the saved state's XML. A
 * managed-save restore takes the image's own XML, not the defined one: a
 * planned CPU that differs would silently not apply while the guest
 * resumes, and apply at its next boot to a guest that was running another
 * CPU. So any difference the guest sees is an error, with the saved value
 * as the fix. The one difference libvirt itself makes: a host-model CPU is
 * saved as the custom CPU it expanded to. */
#include "config.h"

#include "safe-xml.h"
#include "validate-private.h"

#define CPU_XPATH "/domain/cpu"

static char *
cpu_mode (xmlNode *cpu)
{
  char *mode = vr_node_attr (cpu, "mode");

  return mode ? mode : g_strdup ("custom");
}

/* A <cpu> that gives the guest a CPU (not only a topology). */
static gboolean
names_a_cpu (xmlNode *cpu)
{
  g_autofree char *mode = vr_node_attr (cpu, "mode");

  return cpu != NULL && (vr_node_child (cpu, "model") != NULL
                         || (mode != NULL && !g_str_equal (mode, "custom")));
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* "policy name, ..." sorted, "" for none. */
static char *
feature_list (xmlNode *cpu)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

  for (xmlNode *f = cpu->children; f; f = f->next)
    {
      g_autofree char *policy = NULL;
      g_autofree char *name = NULL;

      if (f->type != XML_ELEMENT_NODE
          || !g_str_equal ((const char *) f->name, "feature"))
        continue;
      policy = vr_node_attr (f, "policy");
      name = vr_node_attr (f, "name");

      g_ptr_array_add (items, g_strdup_printf ("%s %s",
                                               policy ? policy : "require",
                                               name ? name : "?"));
    }
  g_ptr_array_sort (items, compare_strings);
  g_ptr_array_add (items, NULL);
  return g_strjoinv (", ", (char **) items->pdata);
}

/* The hint when only the whole <cpu> element can fix it. */
static char *
replace_hint (VrValidation *v, xmlNode *saved)
{
  g_autofree char *edit = vr_validation_hint_edit (v);
  g_autofree char *xml = vr_node_to_xml (saved);

  return g_strdup_printf ("give it the saved state's CPU: %s, with %s",
                          edit, xml);
}

static void
add (VrValidation *v, const char *id, const char *xpath, const char *hint,
     const char *what, const char *planned, const char *saved)
{
  xmlNode *node = vr_validation_node (v, xpath);
  VrFinding *finding;

  if (node == NULL)
    node = vr_validation_node (v, CPU_XPATH);
  finding = vr_validation_add (v, id, node, hint,
                               "%s is %s here but %s in the saved state: "
                               "the guest resumes with the saved one, and "
                               "a change would apply only when it boots "
                               "again", what, planned, saved);
  vr_validation_agree (v, finding);
}

static gboolean
compare_mode (VrValidation *v, xmlNode *planned, xmlNode *saved)
{
  g_autofree char *a = cpu_mode (planned);
  g_autofree char *b = cpu_mode (saved);
  g_autofree char *hint = NULL;
  g_autofree char *model = vr_node_text (vr_node_child (planned, "model"));
  g_autofree char *saved_model = vr_node_text (vr_node_child (saved,
                                                              "model"));

  /* libvirt saves a host-model CPU as the custom CPU it became. */
  if (g_str_equal (a, b)
      || (g_str_equal (a, "host-model") && g_str_equal (b, "custom")))
    return TRUE;
  if (g_str_equal (b, "custom") && g_strcmp0 (model, saved_model) == 0)
    hint = vr_validation_hint_saved (v, CPU_XPATH "/@mode", b);
  else
    hint = replace_hint (v, saved);
  add (v, VR_FINDING_SAVE_GUEST_CPU, CPU_XPATH "/@mode", hint,
       "the CPU mode", a, b);
  return FALSE;
}

static void
compare_custom (VrValidation *v, xmlNode *planned, xmlNode *saved)
{
  g_autofree char *model = vr_node_text (vr_node_child (planned, "model"));
  g_autofree char *saved_model = vr_node_text (vr_node_child (saved,
                                                              "model"));
  g_autofree char *vendor = vr_node_text (vr_node_child (planned, "vendor"));
  g_autofree char *saved_vendor = vr_node_text (vr_node_child (saved,
                                                               "vendor"));
  g_autofree char *features = feature_list (planned);
  g_autofree char *saved_features = feature_list (saved);
  g_autofree char *hint = NULL;

  if (g_strcmp0 (model, saved_model) != 0)
    {
      hint = model ? vr_validation_hint_saved (v, CPU_XPATH "/model",
                                               saved_model)
                   : replace_hint (v, saved);
      add (v, VR_FINDING_SAVE_GUEST_CPU, CPU_XPATH "/model", hint,
           "the CPU model", model ? model : "(none)", saved_model);
      return;
    }
  if (g_strcmp0 (vendor, saved_vendor) != 0)
    {
      hint = vendor && saved_vendor
                 ? vr_validation_hint_saved (v, CPU_XPATH "/vendor",
                                             saved_vendor)
                 : replace_hint (v, saved);
      add (v, VR_FINDING_SAVE_GUEST_CPU, CPU_XPATH "/vendor", hint,
           "the CPU vendor", vendor ? vendor : "(none)",
           saved_vendor ? saved_vendor : "(none)");
    }
  if (!g_str_equal (features, saved_features))
    {
      g_free (hint);
      hint = replace_hint (v, saved);
      add (v, VR_FINDING_SAVE_GUEST_CPU, CPU_XPATH, hint, "the CPU features",
           *features ? features : "(none)",
           *saved_features ? saved_features : "(none)");
    }
}

/* Sockets, dies, cores and threads, where both sides give them. */
static void
compare_topology (VrValidation *v, xmlNode *planned, xmlNode *saved)
{
  static const char *const attrs[] = { "sockets", "dies", "cores",
                                       "threads" };
  xmlNode *mine = vr_node_child (planned, "topology");
  xmlNode *theirs = vr_node_child (saved, "topology");

  if (mine == NULL || theirs == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (attrs); i++)
    {
      g_autofree char *xpath = g_strdup_printf (CPU_XPATH "/topology/@%s",
                                                attrs[i]);
      g_autofree char *a = vr_node_attr (mine, attrs[i]);
      g_autofree char *b = vr_node_attr (theirs, attrs[i]);
      g_autofree char *what = g_strdup_printf ("the CPU topology's %s",
                                               attrs[i]);
      g_autofree char *hint = NULL;

      if (a == NULL || b == NULL || g_str_equal (a, b))
        continue;
      hint = vr_validation_hint_saved (v, xpath, b);
      add (v, VR_FINDING_SAVE_VCPUS, xpath, hint, what, a, b);
    }
}

void
vr_validate_saved_cpu (VrValidation *v, xmlDoc *image)
{
  xmlNode *planned = vr_doc_element (v->doc, "cpu", NULL);
  xmlNode *saved = vr_doc_element (image, "cpu", NULL);
  g_autofree char *saved_xml = NULL;
  g_autofree char *hint = NULL;
  VrFinding *finding;

  compare_topology (v, planned, saved);
  if (!names_a_cpu (saved))
    return;
  if (!names_a_cpu (planned))
    {
      saved_xml = vr_node_to_xml (saved);
      hint = replace_hint (v, saved);
      finding = vr_validation_add (
          v, VR_FINDING_SAVE_GUEST_CPU,
          planned ? planned : vr_validation_node (v, "/domain"), hint,
          "the planned XML names no guest CPU, but the guest was saved "
          "running %s: it resumes with that one, and would boot with "
          "another", saved_xml);
      vr_validation_agree (v, finding);
      return;
    }
  if (compare_mode (v, planned, saved))
    {
      g_autofree char *mode = cpu_mode (planned);
      g_autofree char *saved_mode = cpu_mode (saved);

      if (g_str_equal (mode, "custom") && g_str_equal (saved_mode, "custom"))
        compare_custom (v, planned, saved);
    }
}
