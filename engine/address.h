/* address.h - neuron addresses: which neurons of one site a command names. */
#ifndef IV_ADDRESS_H
#define IV_ADDRESS_H

#include "model.h"

/* A set of neurons at one site. Text forms: h1 (all), h1[2], h1[0,3], h1[1:3] (half-open),
 * h1["x>y"] (by label), and mixtures: h1[0, 2:4, "y"]. */
typedef struct iv_addr {
    int site;
    int n;        /* neurons addressed */
    int *idx;     /* (n) ascending, no repeats */
} iv_addr;

/* Parses an address; on an error the message names the address and what is wrong with it (an
 * unknown site lists the sites, an unknown label the labels). */
int iv_addr_parse(const iv_model *m, const char *text, iv_addr *out, iv_error *err);
/* Canonical text: "h1[0:2]", "h1[0,3]", "h1" when all neurons. Caller frees. */
char *iv_addr_format(const iv_model *m, const iv_addr *a);
void iv_addr_copy(iv_addr *dst, const iv_addr *src);
/* Whether two addresses name the same neurons of the same site. */
bool iv_addr_equal(const iv_addr *a, const iv_addr *b);
void iv_addr_clear(iv_addr *a);

#endif
