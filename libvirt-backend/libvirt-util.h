/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virDomain, virDomainFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virStoragePool, virStoragePoolFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virStorageVol, virStorageVolFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virNetwork, virNetworkFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virStream, virStreamFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virError, virFreeError)

/* Initializes libvirt once per process: quiets its stderr printing and runs
 * its default event loop on a thread (the embedded QEMU driver and events
 * need one registered before any connect). */
void vr_libvirt_init (void);

/* Opens uri (NULL: libvirt's default, as virsh does). */
virConnectPtr vr_libvirt_open (const char *uri, GError **error);

/* "virsh -c 'URI'" for conn: a hint's command must act on the connection
 * that was checked, not on whatever virsh opens by default
 * (qemu:///system may hold a domain of the same name, or be another
 * host's). Plain "virsh" when libvirt does not say its URI. */
char *vr_libvirt_virsh_on (virConnectPtr conn);

/* Sets error from this thread's last libvirt error, keeping libvirt's text
 * and mapping its virErrorNumber to a VR_ERROR code. The error is taken
 * before the arguments are evaluated: every public libvirt call among
 * them (virDomainGetName…) resets it. */
#define vr_libvirt_set_error(error, ...) \
  G_STMT_START \
  { \
    virErrorPtr vr_libvirt_saved_ = virSaveLastError (); \
    vr_libvirt_set_saved_error (vr_libvirt_saved_, (error), __VA_ARGS__); \
  } \
  G_STMT_END

/* Sets error from saved (virSaveLastError's copy, freed here). */
void vr_libvirt_set_saved_error (virErrorPtr saved, GError **error,
                                 const char *format, ...)
  G_GNUC_PRINTF (3, 4);

/* The VR_ERROR code for a virErrorNumber. */
int vr_libvirt_error_code (int vir_error_number);

G_END_DECLS
