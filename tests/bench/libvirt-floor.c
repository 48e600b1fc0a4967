/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The least a validate against a libvirt connection does: load libvirt,
 * open the URI, ask for one domain by UUID (the conflict check), close.
 * bench-validate times it beside virt-xml-validate: the floor of any
 * program that checks a planned system against libvirt. */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>

static void
quiet (void *data, virErrorPtr error)
{
}

int
main (int argc, char **argv)
{
  virConnectPtr conn;
  virDomainPtr dom;

  if (argc != 2)
    {
      fprintf (stderr, "usage: libvirt-floor URI\n");
      return 2;
    }
  virSetErrorFunc (NULL, quiet);
  conn = virConnectOpen (argv[1]);
  if (conn == NULL)
    return 1;
  dom = virDomainLookupByUUIDString (conn,
                                     "5a1ad0c0-7e57-4b3d-9c1e-000000000001");
  if (dom != NULL)
    virDomainFree (dom);
  virConnectClose (conn);
  return 0;
}
