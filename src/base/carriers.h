/* carriers.h -- names for peers (`--carriers FILE`): one "CIDR-or-hostname NAME" pair per
 * line, '#' starts a comment. An address is named by the longest matching prefix; a host
 * name (from a Request-URI, Contact, Record-Route or Server) by exact match or as a
 * sub-domain ("sbc1.carrier.example" matches a line "carrier.example"). sipdx never
 * resolves names over the network. */
#ifndef SX_CARRIERS_H
#define SX_CARRIERS_H

#include "../base/sx.h"

typedef struct carriers carriers;

/* Loads the file; NULL with a message naming the line in err if it is unreadable or bad. */
carriers *carriers_load(const char *path, char *err, size_t errsz);
/* Name of the peer at this address, or NULL. */
const char *carriers_by_addr(const carriers *c, const sx_addr *a);
/* Name of the network owning this host name, or NULL. */
const char *carriers_by_host(const carriers *c, sx_sv host);
size_t carriers_count(const carriers *c);
void carriers_free(carriers *c);

#endif
