/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Hostile planned systems for the trust tests: a copy of a test-bed
 * import directory with one construct added to domain.xml or only to
 * the save image's own XML (written into its header in place, as a
 * crafted image would carry it). XML is edited with the tree API. */

#define HOSTILE_QEMU_NS "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"

/* fragment added under the first node parent selects, or (fragment
 * NULL) that node's text set to value. */
typedef struct {
  const char *parent;
  const char *fragment;
  const char *value;
} HostileEdit;

/* xml with the edit made. */
char *hostile_xml_edit (const char *xml, const HostileEdit *edit);

/* Replaces the domain XML in the header of the save image at path,
 * keeping libvirt's layout (XML, NUL, cookie, NUL, zero padding). */
void hostile_save_image_set_xml (const char *path, const char *xml);

/* The path of the *.save file in dir. */
char *hostile_save_file_of (const char *dir);

/* A copy (0755, the caller removes it) of the test bed's variant with
 * the edit in domain.xml, or with in_image only in NAME.save's XML. */
char *hostile_import_dir (const char *variant,
                          const HostileEdit *edit,
                          gboolean in_image);

/* Tenth review, F1: what a caller may do to a carried disk between the
 * realize's plan and its copy (hostile_swap_disk (swap), e.g. at
 * VR_TEST_PAUSE_AT=planned-disks). */
typedef struct {
  char *disk;   /* the planned qcow2 disk in the import directory */
  char *target; /* the host file the swapped-in header names */
  gboolean data_file; /* as its external data file, else as its backing
                         file (the same bytes, qemu-img rebase -u) */
} HostileSwap;

void hostile_swap_disk (gpointer swap);

G_END_DECLS
