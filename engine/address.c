/* address.c - neuron addresses: "h1", "h1[2]", "h1[0,3]", "h1[1:3]", "h1[\"x>y\"]", "input[x]". */
#include "address.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lists the site names for an "unknown site" message. */
static void site_list(const iv_model *m, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int s = 0; s < iv_model_site_count(m) && used + 1 < n; s++) {
        char name[128];
        iv_model_site_name(m, s, name, sizeof name);
        used += (size_t)snprintf(buf + used, n - used, "%s%s", s ? ", " : "", name);
    }
}

static int find_label(const iv_model *m, int site, const char *label)
{
    for (int i = 0; i < iv_model_site_width(m, site); i++) {
        const char *l = iv_model_neuron_label(m, site, i);
        if (l && strcmp(l, label) == 0)
            return i;
    }
    return -1;
}

/* Parses one bracket item (an index, a half-open range, or a label) and marks its neurons. */
static int parse_item(const iv_model *m, int site, const char *text, const char *item, bool *mark,
                      iv_error *err)
{
    int width = iv_model_site_width(m, site);
    char site_name[128];
    iv_model_site_name(m, site, site_name, sizeof site_name);
    size_t len = strlen(item);
    if (len >= 2 && item[0] == '"' && item[len - 1] == '"') {
        char label[256];
        snprintf(label, sizeof label, "%.*s", (int)(len - 2), item + 1);
        int i = find_label(m, site, label);
        if (i < 0)
            return iv_error_set(err, "%s: no neuron of %s is labelled \"%s\"", text, site_name, label);
        mark[i] = true;
        return 0;
    }
    const char *colon = strchr(item, ':');
    if (colon) {
        char lo_text[32] = "", hi_text[32] = "";
        snprintf(lo_text, sizeof lo_text, "%.*s", (int)(colon - item), item);
        snprintf(hi_text, sizeof hi_text, "%s", colon + 1);
        long lo = 0, hi = width;
        if ((*lo_text && iv_parse_int(lo_text, 0, width, &lo) < 0) ||
            (*hi_text && iv_parse_int(hi_text, 0, width, &hi) < 0) || lo >= hi)
            return iv_error_set(err, "%s: bad range '%s' (%s has %d neurons; a range FROM:TO is "
                                "half-open, 0 <= FROM < TO <= %d)", text, item, site_name, width,
                                width);
        for (long i = lo; i < hi; i++)
            mark[i] = true;
        return 0;
    }
    if (isdigit((unsigned char)item[0]) || item[0] == '-') {
        long i;
        if (iv_parse_int(item, 0, width - 1, &i) < 0)
            return iv_error_set(err, "%s: no neuron %s in %s (it has %d: 0 to %d)", text, item,
                                site_name, width, width - 1);
        mark[i] = true;
        return 0;
    }
    int i = find_label(m, site, item); /* a bare label, e.g. input[x] */
    if (i < 0)
        return iv_error_set(err, "%s: '%s' is neither an index nor a label of %s", text, item,
                            site_name);
    mark[i] = true;
    return 0;
}

/* Splits the inside of the brackets at commas outside quotes and parses each item. */
static int parse_items(const iv_model *m, int site, const char *text, const char *inside,
                       bool *mark, iv_error *err)
{
    const char *p = inside;
    for (;;) {
        while (*p == ' ')
            p++;
        const char *start = p;
        bool quoted = false;
        while (*p && (quoted || *p != ',')) {
            if (*p == '"')
                quoted = !quoted;
            p++;
        }
        const char *end = p;
        while (end > start && end[-1] == ' ')
            end--;
        if (end == start)
            return iv_error_set(err, "%s: empty item between brackets or commas", text);
        char item[256];
        snprintf(item, sizeof item, "%.*s", (int)(end - start), start);
        if (parse_item(m, site, text, item, mark, err) < 0)
            return -1;
        if (!*p)
            return 0;
        p++; /* the comma */
    }
}

int iv_addr_parse(const iv_model *m, const char *text, iv_addr *out, iv_error *err)
{
    memset(out, 0, sizeof *out);
    const char *bracket = strchr(text, '[');
    size_t name_len = bracket ? (size_t)(bracket - text) : strlen(text);
    char name[128];
    if (name_len == 0 || name_len >= sizeof name)
        return iv_error_set(err, "'%s' is not a neuron address (expected SITE or SITE[...], e.g. "
                            "h1[0])", text);
    memcpy(name, text, name_len);
    name[name_len] = '\0';
    int site = iv_model_site_find(m, name);
    if (site < 0) {
        char sites[512];
        site_list(m, sites, sizeof sites);
        return iv_error_set(err, "unknown site '%s' (sites: %s)", name, sites);
    }
    int width = iv_model_site_width(m, site);
    bool *mark = iv_xcalloc((size_t)width, sizeof(bool));
    if (!bracket) {
        for (int i = 0; i < width; i++)
            mark[i] = true;
    } else {
        size_t len = strlen(bracket);
        if (len < 2 || bracket[len - 1] != ']') {
            free(mark);
            return iv_error_set(err, "%s: missing ']'", text);
        }
        char *inside = iv_xstrdup(bracket + 1);
        inside[len - 2] = '\0';
        int rc = parse_items(m, site, text, inside, mark, err);
        free(inside);
        if (rc < 0) {
            free(mark);
            return -1;
        }
    }
    out->site = site;
    out->idx = iv_xmalloc(sizeof(int) * (size_t)width);
    for (int i = 0; i < width; i++)
        if (mark[i])
            out->idx[out->n++] = i;
    free(mark);
    return 0;
}

char *iv_addr_format(const iv_model *m, const iv_addr *a)
{
    char site[128];
    iv_model_site_name(m, a->site, site, sizeof site);
    if (a->n == iv_model_site_width(m, a->site))
        return iv_xstrdup(site);
    iv_buf b = {0};
    iv_buf_printf(&b, "%s[", site);
    /* Runs of two or more consecutive neurons print as half-open ranges. */
    for (int i = 0; i < a->n;) {
        int j = i;
        while (j + 1 < a->n && a->idx[j + 1] == a->idx[j] + 1)
            j++;
        if (i)
            iv_buf_append(&b, ",", 1);
        if (j - i >= 1)
            iv_buf_printf(&b, "%d:%d", a->idx[i], a->idx[j] + 1);
        else
            iv_buf_printf(&b, "%d", a->idx[i]);
        i = j + 1;
    }
    iv_buf_append(&b, "]", 1);
    return b.data;
}

void iv_addr_copy(iv_addr *dst, const iv_addr *src)
{
    dst->site = src->site;
    dst->n = src->n;
    dst->idx = iv_xmalloc(sizeof(int) * (size_t)(src->n ? src->n : 1));
    memcpy(dst->idx, src->idx, sizeof(int) * (size_t)src->n);
}

void iv_addr_clear(iv_addr *a)
{
    free(a->idx);
    a->idx = NULL;
    a->n = 0;
}
