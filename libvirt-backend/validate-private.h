/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the check families (validate-*.c) share: one validation run. */

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "findings.h"
#include "host-caps.h"
#include "import-dir.h"
#include "planned-system.h"
#include "save-image.h"
#include "safe-xml.h"
#include "store.h"
#include "validate.h"

G_BEGIN_DECLS

typedef struct {
  VrHostCaps *caps;
  VrStore *store;
  xmlDoc *doc;              /* the domain XML being validated (borrowed) */
  xmlXPathContext *xpath;   /* on doc, one per run */
  char *name;               /* /domain/name */
  char *uuid;               /* /domain/uuid, normalized */
  VrPlannedSystem *system;  /* NULL for a DIR or FILE.xml */
  const char *file;         /* the XML's file, for a DIR or FILE.xml */
  VrImportDir *dir;         /* where relative paths lead; may be NULL */
  const char *save_file;    /* the save image in dir, or NULL */
  gboolean check_save;      /* FALSE for a bare FILE.xml */
  GPtrArray *findings;
  GPtrArray *skipped;       /* names of checks skipped, for one finding */
  GPtrArray *kept;          /* strings the run hands out (cache copies) */
  GHashTable *fixes;        /* hint text -> VrFindingFix, for the hints
                               that are one edit (vr_validation_hint_set) */
  VrValidateOptions options;

  /* What the platform checks resolved, for the checks after them. */
  char *virttype;           /* /domain/@type */
  char *arch;
  char *emulator;
  char *machine;            /* canonical: an alias such as "pc" resolved */
  gboolean platform_ok;     /* type, arch, emulator and machine fit */
  const VrDomainCaps *dcaps; /* NULL when the connection has none */
} VrValidation;

/* The check families, in the order they run. */
void vr_validate_schema (VrValidation *v);
void vr_validate_platform (VrValidation *v);
void vr_validate_resources (VrValidation *v);
void vr_validate_cpu (VrValidation *v); /* validate-cpu.c */
void vr_validate_devices (VrValidation *v);
void vr_validate_firmware (VrValidation *v);
void vr_validate_references (VrValidation *v);
void vr_validate_conflicts (VrValidation *v);
void vr_validate_mac_conflicts (VrValidation *v); /* validate-mac.c */
void vr_validate_targets (VrValidation *v); /* validate-targets.c */
void vr_validate_saved_state (VrValidation *v);
void vr_validate_host_access_run (VrValidation *v);

/* libvirt's own check of the planned XML against the saved state's
 * (saved: the image's XML) (validate-saved-abi.c). */
void vr_validate_saved_abi (VrValidation *v,
                            const VrSaveImage *image,
                            xmlDoc *saved,
                            const char *file);

/* Whether every <emulator> of doc is one the host's capabilities list
 * (none: libvirt picks a listed one). libvirt probes, so runs, the
 * emulator of every domain XML it parses, even one it never defines
 * (thirteenth review, C1): no unlisted one may reach it. */
gboolean vr_validation_emulators_listed (VrHostCaps *caps, xmlDoc *doc);

/* The planned <cpu> against the saved state's XML (image) (validate-saved-cpu.c). */
void vr_validate_saved_cpu (VrValidation *v, xmlDoc *image);

/* The host's machine type of that name for the validated arch and domain
 * type, or NULL (validate-platform.c). */
const VrMachine *vr_validation_find_machine (VrValidation *v,
                                             const char *name);

/* Why the host cannot run a <cpu>, or NULL when it can or cannot tell
 * (then what is noted as skipped) (validate-resources.c). */
const char *vr_validation_cpu_unusable (VrValidation *v,
                                        const char *cpu_xml,
                                        const char *what);

/* Helpers (validate.c). */

/* The nodes an XPath selects in the validated XML (NULL for none); the
 * caller frees the object. */
xmlXPathObject *vr_validation_select (VrValidation *v, const char *expr);
/* The first node an XPath selects, or NULL. */
xmlNode *vr_validation_node (VrValidation *v, const char *expr);
/* The node a finding about an attribute points at: the attribute, else
 * its element (when the attribute is absent). */
xmlNode *vr_validation_attr_node (VrValidation *v,
                                  const char *element,
                                  const char *attr);
/* The string value of an XPath, NULL when empty. */
char *vr_validation_string (VrValidation *v, const char *expr);
/* The string value of an XPath relative to node, NULL when empty. */
char *vr_node_string (xmlNode *node, const char *expr);
/* The first node an XPath relative to node selects, or NULL. */
xmlNode *vr_node_find (xmlNode *node, const char *expr);
/* The tree API for fixed paths, where an XPath context (built anew for
 * each vr_node_string) would cost more than the check itself. */
/* The first child element of that name, or NULL (node may be NULL). */
xmlNode *vr_node_child (xmlNode *node, const char *name);
/* The element at the child names below the root (the root itself
 * first, unnamed): vr_doc_element (doc, "os", "loader", NULL). */
xmlNode *vr_doc_element (xmlDoc *doc, ...) G_GNUC_NULL_TERMINATED;
/* An attribute's value, NULL when absent or empty (node may be NULL). */
char *vr_node_attr (xmlNode *node, const char *name);
/* An element's text, stripped, NULL when empty (node may be NULL). */
char *vr_node_text (xmlNode *node);
/* An XPath that selects node (attributes too), for a finding's source. */
char *vr_node_xpath (xmlNode *node);

/* The import directory at path as validation reads it: only its fd and
 * path, NULL when it cannot be opened (validate.c). */
VrImportDir *vr_validation_open_dir (const char *path);

/* The XML text of one element and its children. */
char *vr_node_to_xml (xmlNode *node);

/* Adds a finding whose source is node (its XPath and line); node may be
 * NULL for the whole domain. A hint made by vr_validation_hint_set,
 * _saved or _remove, given as it is, gives the finding its fix as data
 * (VrFindingFix); one that wraps it in more words (copy a file first,
 * give up the saved state) gives none: that edit alone does not fix it. */
VrFinding *vr_validation_add (VrValidation *v,
                              const char *id,
                              xmlNode *node,
                              const char *hint,
                              const char *format,
                              ...) G_GNUC_PRINTF (5, 6);

/* One problem, one fix: every other finding about the same source takes
 * finding's hint and fix (a saved state's value, the only one it resumes
 * with). */
void vr_validation_agree (VrValidation *v, VrFinding *finding);

/* Whether a host path the XML names is there, as the one who asks could
 * tell (validate-refs.c): in-process by this process's access(path,
 * mode); for the agent's caller only as they could find it themself
 * (vr_caller_resolve), so no finding tells them of a place closed to
 * them: VR_SEEN_HIDDEN then, and the checks say nothing of it. */
typedef enum {
  VR_SEEN_PRESENT,
  VR_SEEN_MISSING,
  VR_SEEN_HIDDEN,
} VrSeen;

VrSeen vr_validation_look (VrValidation *v, const char *path, int mode);

/* Notes a check the connection cannot answer; they become one finding. */
void vr_validation_skip (VrValidation *v, const char *what);

/* Hints: the change that makes a fix, in words any front end shows as
 * they are (no command line: the CLI renders a fix's edit itself,
 * cli/hint.c). */
char *vr_validation_hint_set (VrValidation *v,
                              const char *xpath,
                              const char *value);
char *vr_validation_hint_remove (VrValidation *v, const char *xpath);
/* As vr_validation_hint_set with a value to choose (NEW, OTHER): no fix
 * as data, as it is no value to apply. */
char *vr_validation_hint_set_example (VrValidation *v,
                                      const char *xpath,
                                      const char *example);
/* The saved state's value as the fix, saying so. */
char *vr_validation_hint_saved (VrValidation *v,
                                const char *xpath,
                                const char *value);
/* A fix that only a guest booting afresh can take: with a saved state,
 * keep (what keeps it) first, then how to give it up and set. */
char *vr_validation_hint_afresh (VrValidation *v,
                                 const char *keep,
                                 const char *set);
/* For a planned system whose import directory is gone: put it back (or
 * re-import it from its new place); NULL when the directory is there. */
char *vr_validation_moved_dir_hint (VrValidation *v);
/* Change the planned XML as a whole, or "edit FILE". */
char *vr_validation_hint_edit (VrValidation *v);

G_END_DECLS
