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

/* ---- a transformer's sites: positions, heads and the values of each ------------------------------ */

/* The three axes of a site with positions (model.h): the flat index of (p, h, k). */
typedef struct {
    iv_site_kind kind;
    int T, H, K; /* positions, heads (1 for a value at each position), values at each */
} axes;

static axes axes_of(const iv_site *s)
{
    return (axes){s->kind, s->positions, s->heads ? s->heads : 1, s->inner};
}

static void unflatten(axes a, int i, int *p, int *h, int *k)
{
    *k = i % a.K;
    if (a.kind == IV_SITE_ATTN) {
        *p = i / a.K % a.T;
        *h = i / a.K / a.T;
    } else {
        *h = i / a.K % a.H;
        *p = i / a.K / a.H;
    }
}

/* A number from lo to hi; one below 0 counts from the end of an axis of n (-1 the last) when
 * `ends`. */
static bool axis_number(const char *s, long lo, long hi, int n, bool ends, long *out)
{
    if (iv_parse_int(s, ends ? -n : lo, hi, out) < 0)
        return false;
    if (*out < 0)
        *out += n;
    return true;
}

/* Marks what VALUE of an axis of n names: an index or a half-open range FROM:TO (either end may be
 * left out; `ends` lets them count from the end, as positions do). */
static int axis_item(const char *text, const char *what, const char *value, int n, bool ends,
                     bool *mark, iv_error *err)
{
    const char *colon = strchr(value, ':');
    long lo = 0, hi = n;
    if (!colon) {
        if (!axis_number(value, 0, n - 1, n, ends, &lo))
            return iv_error_set(err, "%s: no %s %s (there are %d: 0 to %d%s)", text, what, value,
                                n, n - 1, ends ? ", or -1 for the last" : "");
        mark[lo] = true;
        return 0;
    }
    char lo_text[32], hi_text[32];
    snprintf(lo_text, sizeof lo_text, "%.*s", (int)(colon - value), value);
    snprintf(hi_text, sizeof hi_text, "%s", colon + 1);
    bool ok = (!*lo_text || axis_number(lo_text, 0, n - 1, n, ends, &lo)) &&
              (!*hi_text || axis_number(hi_text, 0, n, n, ends, &hi));
    if (!ok || lo >= hi)
        return iv_error_set(err, "%s: bad %s range '%s' (there are %d; a range FROM:TO is "
                            "half-open)", text, what, value, n);
    for (long i = lo; i < hi; i++)
        mark[i] = true;
    return 0;
}

/* The items of a transformer site's brackets: pos=, head=, #FLAT, and plain indices or ranges of
 * the values at each position (a pattern's keys). Each axis left out is whole. */
static int parse_axes(const iv_model *m, int site, const char *text, const char *inside,
                      bool *mark, iv_error *err)
{
    axes a = axes_of(&m->sites[site]);
    int width = m->sites[site].width;
    bool *pos = iv_xcalloc((size_t)(a.T + a.H + a.K), sizeof(bool)), *head = pos + a.T,
         *inner = head + a.H;
    bool any_pos = false, any_head = false, any_inner = false, any_flat = false;
    int rc = 0;
    char *copy = iv_xstrdup(inside);
    for (char *item = copy, *next; item && rc == 0; item = next) {
        next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        while (*item == ' ')
            item++;
        for (size_t len = strlen(item); len && item[len - 1] == ' ';)
            item[--len] = '\0';
        if (strncmp(item, "pos=", 4) == 0) {
            rc = axis_item(text, "position", item + 4, a.T, true, pos, err);
            any_pos = true;
        } else if (strncmp(item, "head=", 5) == 0) {
            if (a.kind == IV_SITE_RESID)
                rc = iv_error_set(err, "%s: %s has no heads", text, m->sites[site].name);
            else
                rc = axis_item(text, "head", item + 5, a.H, false, head, err);
            any_head = true;
        } else if (item[0] == '#') {
            rc = axis_item(text, "value", item + 1, width, false, mark, err);
            any_flat = true;
        } else if (*item) {
            rc = axis_item(text, a.kind == IV_SITE_ATTN ? "key position" : "index", item, a.K,
                           a.kind == IV_SITE_ATTN, inner, err);
            any_inner = true;
        } else {
            rc = iv_error_set(err, "%s: empty item between brackets or commas", text);
        }
    }
    free(copy);
    if (rc == 0 && any_flat && (any_pos || any_head || any_inner))
        rc = iv_error_set(err, "%s: #INDEX items name values of the whole site and do not mix "
                          "with pos=, head= or indices", text);
    if (rc == 0 && !any_flat) {
        for (int i = 0; i < width; i++) {
            int p, h, k;
            unflatten(a, i, &p, &h, &k);
            mark[i] = (!any_pos || pos[p]) && (!any_head || head[h]) && (!any_inner || inner[k]);
        }
    }
    free(pos);
    return rc;
}

/* Appends the members of set (n booleans) as indices and half-open ranges: "0:3,5". */
static void format_set(iv_buf *b, const bool *set, int n)
{
    bool first = true;
    for (int i = 0; i < n;) {
        if (!set[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j + 1 < n && set[j + 1])
            j++;
        iv_buf_printf(b, first ? "%d" : ",%d", i);
        if (j > i)
            iv_buf_printf(b, ":%d", j + 1);
        first = false;
        i = j + 1;
    }
}

/* A transformer site's address as the axes it spans, when it is all of some positions x heads x
 * values (what pos=, head= and indices name); otherwise its values as #INDEX items. */
static char *format_axes(const iv_model *m, const iv_addr *ad)
{
    const iv_site *s = &m->sites[ad->site];
    axes a = axes_of(s);
    bool *pos = iv_xcalloc((size_t)(a.T + a.H + a.K), sizeof(bool)), *head = pos + a.T,
         *inner = head + a.H;
    for (int j = 0; j < ad->n; j++) {
        int p, h, k;
        unflatten(a, ad->idx[j], &p, &h, &k);
        pos[p] = head[h] = inner[k] = true;
    }
    int np = 0, nh = 0, nk = 0;
    for (int i = 0; i < a.T; i++)
        np += pos[i];
    for (int i = 0; i < a.H; i++)
        nh += head[i];
    for (int i = 0; i < a.K; i++)
        nk += inner[i];
    iv_buf b = {0};
    iv_buf_printf(&b, "%s[", s->name);
    size_t open = b.len;
    if ((long)np * nh * nk == ad->n) {
        if (np < a.T) {
            iv_buf_append(&b, "pos=", 4);
            format_set(&b, pos, a.T);
        }
        if (nh < a.H) {
            iv_buf_printf(&b, "%shead=", b.len > open ? ", " : "");
            format_set(&b, head, a.H);
        }
        if (nk < a.K) {
            if (b.len > open)
                iv_buf_append(&b, ", ", 2);
            format_set(&b, inner, a.K);
        }
    } else {
        bool *all = iv_xcalloc((size_t)s->width, sizeof(bool));
        for (int j = 0; j < ad->n; j++)
            all[ad->idx[j]] = true;
        iv_buf_append(&b, "#", 1);
        format_set(&b, all, s->width);
        /* every run after the first is its own #item */
        for (size_t i = open + 1; i < b.len; i++)
            if (b.data[i] == ',') {
                char *rest = iv_xstrdup(b.data + i + 1);
                b.len = i + 1;
                b.data[b.len] = '\0';
                iv_buf_printf(&b, "#%s", rest);
                free(rest);
            }
        free(all);
    }
    iv_buf_append(&b, "]", 1);
    free(pos);
    return b.data;
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
        int rc = m->sites[site].positions ? parse_axes(m, site, text, inside, mark, err)
                                          : parse_items(m, site, text, inside, mark, err);
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
    if (m->sites[a->site].positions)
        return format_axes(m, a);
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

bool iv_addr_equal(const iv_addr *a, const iv_addr *b)
{
    return a->site == b->site && a->n == b->n &&
           (a->n == 0 || memcmp(a->idx, b->idx, sizeof(int) * (size_t)a->n) == 0);
}

void iv_addr_clear(iv_addr *a)
{
    free(a->idx);
    a->idx = NULL;
    a->n = 0;
}
