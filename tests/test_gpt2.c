/* test_gpt2.c - the GPT-2 architecture in the engine: its sites under TransformerLens's names,
 * the forward pass against a plain double-precision evaluation of the same formulas, causality, a
 * model rebuilt at another length, and the backward pass through every operation against central
 * finite differences (site values and parameters). The PyTorch fixtures are compared in
 * test_gpt2_fixtures.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "backward.h"
#include "gpt2.h"
#include "commands.h"
#include "logit_lens.h"
#include "report.h"
#include "support.h"

/* ---- a small random model, from an in-memory source -------------------------------------------- */

enum { L_ = 2, H_ = 2, D_ = 8, DM_ = 32, V_ = 11, CTX_ = 6, T_ = 5 };

typedef struct {
    uint64_t seed;
    float *buf;
} random_source;

static float uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return (float)((*s >> 40) / 16777216.0) * 2 - 1;
}

/* Each tensor's values follow from its name, so a rebuilt model asks for the same numbers; layer
 * norm weights near 1. */
static const float *random_tensor(void *user, const char *name, long count, iv_error *err)
{
    (void)err;
    random_source *S = user;
    uint64_t s = S->seed;
    for (const char *c = name; *c; c++)
        s = s * 31 + (unsigned char)*c;
    free(S->buf);
    S->buf = malloc(sizeof(float) * (size_t)count);
    bool ln_weight = strstr(name, "ln_") && strstr(name, ".weight");
    for (long i = 0; i < count; i++)
        S->buf[i] = ln_weight ? 1 + 0.2f * uniform(&s) : 0.5f * uniform(&s);
    return S->buf;
}

static iv_gpt2_config small_config(void)
{
    return (iv_gpt2_config){.n_layer = L_, .n_head = H_, .d_model = D_, .d_mlp = DM_,
                            .n_ctx = CTX_, .d_vocab = V_, .ln_eps = 1e-5f,
                            .act = IV_ACT_GELU_TANH, .tied = true};
}

static iv_model *small_model(iv_gpt2_config c, int positions)
{
    random_source S = {7, NULL};
    iv_gpt2_source src = {&S, random_tensor};
    iv_error err;
    iv_model *m = iv_gpt2_build("small", "small", &c, &src, positions, &err);
    free(S.buf);
    if (!m)
        fail_msg("%s", err.msg);
    return m;
}

static const float tokens[2][T_] = {{3, 1, 4, 1, 5}, {9, 2, 6, 5, 3}};

static iv_acts *run(const iv_model *m, const float *input, long n)
{
    iv_error err;
    iv_acts *a = iv_acts_new(m, n, &err);
    assert_non_null(a);
    iv_forward(m, input, a, NULL, NULL);
    return a;
}

static const float *values(const iv_model *m, const iv_acts *a, const char *site)
{
    int s = iv_model_site_find(m, site);
    if (s < 0)
        fail_msg("no site %s", site);
    return a->site[s];
}

/* ---- sites ---------------------------------------------------------------------------------------- */

static void test_sites_and_names(void **state)
{
    (void)state;
    iv_model *m = small_model(small_config(), T_);
    static const struct {
        const char *name;
        iv_site_kind kind;
        int width, heads, inner;
    } want[] = {
        {"hook_embed", IV_SITE_RESID, T_ * D_, 0, D_},
        {"blocks.0.hook_resid_pre", IV_SITE_RESID, T_ * D_, 0, D_},
        {"blocks.0.ln1.hook_normalized", IV_SITE_RESID, T_ * D_, 0, D_},
        {"blocks.1.attn.hook_q", IV_SITE_HEAD, T_ * D_, H_, D_ / H_},
        {"blocks.1.attn.hook_k", IV_SITE_HEAD, T_ * D_, H_, D_ / H_},
        {"blocks.1.attn.hook_v", IV_SITE_HEAD, T_ * D_, H_, D_ / H_},
        {"blocks.0.attn.hook_pattern", IV_SITE_ATTN, H_ * T_ * T_, H_, T_},
        {"blocks.0.attn.hook_z", IV_SITE_HEAD, T_ * D_, H_, D_ / H_},
        {"blocks.0.hook_attn_out", IV_SITE_RESID, T_ * D_, 0, D_},
        {"blocks.0.hook_resid_mid", IV_SITE_RESID, T_ * D_, 0, D_},
        {"blocks.0.ln2.hook_normalized", IV_SITE_RESID, T_ * D_, 0, D_},
        {"blocks.0.mlp.hook_pre", IV_SITE_RESID, T_ * DM_, 0, DM_},
        {"blocks.0.mlp.hook_post", IV_SITE_RESID, T_ * DM_, 0, DM_},
        {"blocks.0.hook_mlp_out", IV_SITE_RESID, T_ * D_, 0, D_},
        {"blocks.1.hook_resid_post", IV_SITE_RESID, T_ * D_, 0, D_},
        {"ln_final.hook_normalized", IV_SITE_RESID, T_ * D_, 0, D_},
        {"logits", IV_SITE_RESID, T_ * V_, 0, V_},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        int s = iv_model_site_find(m, want[k].name);
        if (s < 0)
            fail_msg("no site %s", want[k].name);
        assert_int_equal(m->sites[s].kind, want[k].kind);
        assert_int_equal(m->sites[s].width, want[k].width);
        assert_int_equal(m->sites[s].positions, T_);
        assert_int_equal(m->sites[s].heads, want[k].heads);
        assert_int_equal(m->sites[s].inner, want[k].inner);
    }
    assert_int_equal(iv_model_output_site(m), iv_model_site_find(m, "logits"));
    assert_int_equal(m->n_inputs, T_);
    assert_int_equal(m->positions, T_);
    /* a block's input is the block before's output, under both names, and the short ones */
    int post0 = iv_model_site_find(m, "blocks.0.hook_resid_post");
    assert_int_equal(iv_model_site_find(m, "blocks.1.hook_resid_pre"), post0);
    assert_int_equal(iv_model_site_find(m, "resid1"), post0);
    assert_int_equal(iv_model_site_find(m, "resid_post0"), post0);
    assert_int_equal(iv_model_site_find(m, "resid0"),
                     iv_model_site_find(m, "blocks.0.hook_resid_pre"));
    assert_int_equal(iv_model_site_find(m, "resid2"),
                     iv_model_site_find(m, "blocks.1.hook_resid_post"));
    assert_int_equal(iv_model_site_find(m, "z1"), iv_model_site_find(m, "blocks.1.attn.hook_z"));
    assert_int_equal(iv_model_site_find(m, "pattern0"),
                     iv_model_site_find(m, "blocks.0.attn.hook_pattern"));
    assert_int_equal(iv_model_site_find(m, "mlp_post1"),
                     iv_model_site_find(m, "blocks.1.mlp.hook_post"));
    assert_int_equal(iv_model_site_find(m, "resid3"), -1);
    /* GPT-2's parameter count: tied embeddings, one table for both */
    long d = D_, blocks = L_ * (4 * d + 3 * d * d + 3 * d + d * d + d + DM_ * d + DM_ + d * DM_ + d);
    assert_int_equal(m->n_params, V_ * d + CTX_ * d + blocks + 2 * d);
    iv_model_free(m);
}

/* ---- the forward pass against the formulas, in double ---------------------------------------- */

/* The small model's tensors again, in double, straight from the source. */
static double *tensor_d(const char *name, long count)
{
    random_source S = {7, NULL};
    iv_error err;
    const float *f = random_tensor(&S, name, count, &err);
    double *d = malloc(sizeof(double) * (size_t)count);
    for (long i = 0; i < count; i++)
        d[i] = f[i];
    free(S.buf);
    return d;
}

static void layernorm_d(const double *x, double *y, const char *prefix)
{
    char name[64];
    snprintf(name, sizeof name, "%s.weight", prefix);
    double *w = tensor_d(name, D_);
    snprintf(name, sizeof name, "%s.bias", prefix);
    double *b = tensor_d(name, D_);
    for (int p = 0; p < T_; p++) {
        double mean = 0, var = 0;
        for (int k = 0; k < D_; k++)
            mean += x[p * D_ + k] / D_;
        for (int k = 0; k < D_; k++)
            var += (x[p * D_ + k] - mean) * (x[p * D_ + k] - mean) / D_;
        for (int k = 0; k < D_; k++)
            y[p * D_ + k] = (x[p * D_ + k] - mean) / sqrt(var + 1e-5) * w[k] + b[k];
    }
    free(w);
    free(b);
}

/* y[p] = x[p] W^T + b, W (n_out, n_in). */
static void linear_d(const double *x, double *y, const double *W, const double *b, int n_in,
                     int n_out)
{
    for (int p = 0; p < T_; p++)
        for (int o = 0; o < n_out; o++) {
            double acc = b ? b[o] : 0;
            for (int i = 0; i < n_in; i++)
                acc += x[p * n_in + i] * W[o * n_in + i];
            y[p * n_out + o] = acc;
        }
}

/* GPT-2 on one prompt, every loop written out; the logits (T, V). */
static void reference_logits(const float *tok, double *logits)
{
    enum { dh = D_ / H_ };
    double x[T_ * D_], ln[T_ * D_], qkv[T_ * 3 * D_], z[T_ * D_], out[T_ * D_];
    double pre[T_ * DM_];
    double *wte = tensor_d("wte", V_ * D_), *wpe = tensor_d("wpe", CTX_ * D_);
    for (int p = 0; p < T_; p++)
        for (int k = 0; k < D_; k++)
            x[p * D_ + k] = wte[(int)tok[p] * D_ + k] + wpe[p * D_ + k];
    for (int L = 0; L < L_; L++) {
        char name[64], prefix[32];
        snprintf(prefix, sizeof prefix, "h.%d.ln_1", L);
        layernorm_d(x, ln, prefix);
        snprintf(name, sizeof name, "h.%d.attn.c_attn.weight", L);
        double *W = tensor_d(name, 3 * D_ * D_);
        snprintf(name, sizeof name, "h.%d.attn.c_attn.bias", L);
        double *b = tensor_d(name, 3 * D_);
        linear_d(ln, qkv, W, b, D_, 3 * D_); /* (T, [q | k | v]) */
        free(W);
        free(b);
        for (int h = 0; h < H_; h++)
            for (int i = 0; i < T_; i++) {
                double s[T_], top = -INFINITY, sum = 0;
                for (int j = 0; j <= i; j++) {
                    s[j] = 0;
                    for (int e = 0; e < dh; e++)
                        s[j] += qkv[i * 3 * D_ + h * dh + e] * qkv[j * 3 * D_ + D_ + h * dh + e];
                    s[j] /= sqrt(dh);
                    top = fmax(top, s[j]);
                }
                for (int j = 0; j <= i; j++)
                    sum += s[j] = exp(s[j] - top);
                for (int e = 0; e < dh; e++) {
                    double acc = 0;
                    for (int j = 0; j <= i; j++)
                        acc += s[j] / sum * qkv[j * 3 * D_ + 2 * D_ + h * dh + e];
                    z[i * D_ + h * dh + e] = acc;
                }
            }
        snprintf(name, sizeof name, "h.%d.attn.c_proj.weight", L);
        W = tensor_d(name, D_ * D_);
        snprintf(name, sizeof name, "h.%d.attn.c_proj.bias", L);
        b = tensor_d(name, D_);
        linear_d(z, out, W, b, D_, D_);
        free(W);
        free(b);
        for (int i = 0; i < T_ * D_; i++)
            x[i] += out[i];
        snprintf(prefix, sizeof prefix, "h.%d.ln_2", L);
        layernorm_d(x, ln, prefix);
        snprintf(name, sizeof name, "h.%d.mlp.c_fc.weight", L);
        W = tensor_d(name, DM_ * D_);
        snprintf(name, sizeof name, "h.%d.mlp.c_fc.bias", L);
        b = tensor_d(name, DM_);
        linear_d(ln, pre, W, b, D_, DM_);
        free(W);
        free(b);
        for (int i = 0; i < T_ * DM_; i++) {
            double v = pre[i];
            pre[i] = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
        }
        snprintf(name, sizeof name, "h.%d.mlp.c_proj.weight", L);
        W = tensor_d(name, D_ * DM_);
        snprintf(name, sizeof name, "h.%d.mlp.c_proj.bias", L);
        b = tensor_d(name, D_);
        linear_d(pre, out, W, b, DM_, D_);
        free(W);
        free(b);
        for (int i = 0; i < T_ * D_; i++)
            x[i] += out[i];
    }
    layernorm_d(x, ln, "ln_f");
    linear_d(ln, logits, wte, NULL, D_, V_); /* tied */
    free(wte);
    free(wpe);
}

static void test_forward_against_formulas(void **state)
{
    (void)state;
    iv_model *m = small_model(small_config(), T_);
    iv_acts *a = run(m, &tokens[0][0], 2);
    const float *logits = values(m, a, "logits");
    for (int r = 0; r < 2; r++) {
        double want[T_ * V_];
        reference_logits(tokens[r], want);
        for (int i = 0; i < T_ * V_; i++)
            if (fabs(logits[r * T_ * V_ + i] - want[i]) > 1e-5 * (1 + fabs(want[i])))
                fail_msg("row %d logit %d: %g, the formulas give %g", r, i,
                         logits[r * T_ * V_ + i], want[i]);
    }
    /* each head's pattern: rows of the causal triangle, summing to 1 */
    const float *P = values(m, a, "pattern1");
    for (int r = 0; r < 2; r++)
        for (int h = 0; h < H_; h++)
            for (int i = 0; i < T_; i++) {
                double sum = 0;
                for (int j = 0; j < T_; j++) {
                    float v = P[((r * H_ + h) * T_ + i) * T_ + j];
                    if (j > i)
                        assert_true(v == 0);
                    sum += v;
                }
                assert_true(fabs(sum - 1) < 1e-6);
            }
    iv_acts_free(a);
    iv_model_free(m);
}

/* A later token changes nothing before it; a model rebuilt for fewer positions gives the same
 * values at the positions it has. */
static void test_causal_and_rebuilt(void **state)
{
    (void)state;
    iv_model *m = small_model(small_config(), T_);
    float changed[T_];
    memcpy(changed, tokens[0], sizeof changed);
    changed[T_ - 1] = 10;
    iv_acts *a = run(m, tokens[0], 1), *b = run(m, changed, 1);
    const float *la = values(m, a, "logits"), *lb = values(m, b, "logits");
    for (int i = 0; i < (T_ - 1) * V_; i++)
        assert_true(la[i] == lb[i]);
    bool moved = false;
    for (int i = (T_ - 1) * V_; i < T_ * V_; i++)
        moved |= la[i] != lb[i];
    assert_true(moved);

    iv_error err;
    iv_model *m3 = iv_gpt2_rebuild(m, 3, &err);
    assert_non_null(m3);
    assert_int_equal(m3->positions, 3);
    assert_int_equal(m3->n_params, m->n_params);
    assert_memory_equal(m3->params, m->params, sizeof(float) * (size_t)m->n_params);
    iv_acts *c = run(m3, tokens[0], 1);
    const float *lc = values(m3, c, "logits");
    for (int i = 0; i < 3 * V_; i++)
        assert_true(fabs(lc[i] - la[i]) <= 1e-6 * (1 + fabs(la[i])));
    assert_null(iv_gpt2_rebuild(m, CTX_ + 1, &err));
    assert_non_null(strstr(err.msg, "7 positions, expected 1 to the model's context of 6"));
    iv_acts_free(a);
    iv_acts_free(b);
    iv_acts_free(c);
    iv_model_free(m3);
    iv_model_free(m);
}

/* ---- the backward pass against finite differences ---------------------------------------------- */

/* L = sum over rows and logits of c[i] logit[i], c fixed and random. */
typedef struct {
    const iv_model *m;
    iv_acts *a;
    const float *input;
    long n;
    const float *c;
    int site, index; /* the value nudged */
    float delta;
} fd_problem;

static void nudge_hook(int site, float *v, long n, int width, void *user)
{
    (void)n, (void)width;
    fd_problem *p = user;
    if (site == p->site)
        v[p->index] += p->delta;
}

static double loss_at(fd_problem *p, float delta)
{
    p->delta = delta;
    iv_forward(p->m, p->input, p->a, nudge_hook, p);
    const float *out = p->a->site[iv_model_output_site(p->m)];
    double sum = 0;
    for (long i = 0; i < p->n * iv_model_output_width(p->m); i++)
        sum += (double)p->c[i] * out[i];
    return sum;
}

#define EPS 1e-2f
static double five_point(fd_problem *p)
{
    double d1 = loss_at(p, EPS) - loss_at(p, -EPS), d2 = loss_at(p, 2 * EPS) - loss_at(p, -2 * EPS);
    return (8 * d1 - d2) / (12.0 * EPS);
}

static void close_enough(double analytic, double fd, const char *what, int index)
{
    if (!(fabs(analytic - fd) <= 2e-3 * fabs(fd) + 2e-4))
        fail_msg("%s[%d]: backward %.7g, finite difference %.7g", what, index, analytic, fd);
}

static void test_backward_against_differences(void **state)
{
    (void)state;
    iv_model *m = small_model(small_config(), T_);
    long n = 2, out_count = n * iv_model_output_width(m);
    float *c = malloc(sizeof(float) * (size_t)out_count);
    uint64_t s = 11;
    for (long i = 0; i < out_count; i++)
        c[i] = uniform(&s);
    iv_error err;
    iv_acts *a = run(m, &tokens[0][0], n), *g = iv_acts_new(m, n, &err);
    iv_backward(m, a, c, g, 0);
    fd_problem p = {m, iv_acts_new(m, n, &err), &tokens[0][0], n, c, -1, 0, 0};
    /* every site after the input, at a spread of its values in both rows */
    int checked = 0;
    for (int site = 1; site < m->n_sites; site++) {
        int width = m->sites[site].width;
        for (int k = 0; k < 6; k++) {
            p.site = site;
            p.index = (int)((k * 7919L + site * 31) % (n * width));
            close_enough(g->site[site][p.index], five_point(&p), m->sites[site].name, p.index);
            checked++;
        }
    }
    assert_true(checked >= 6 * 30);
    /* the parameters: embeddings (tied, so the table's gradient has both uses), layer norms,
     * every projection */
    float *dparams = calloc((size_t)m->n_params, sizeof(float));
    iv_backward_param_block(m, a, g, dparams);
    p.site = -1;
    for (int k = 0; k < 200; k++) {
        long at = (k * 104729L) % m->n_params;
        float keep = m->params[at];
        double f[4];
        static const float steps[4] = {EPS, -EPS, 2 * EPS, -2 * EPS};
        for (int i = 0; i < 4; i++) {
            m->params[at] = keep + steps[i];
            f[i] = loss_at(&p, 0);
        }
        m->params[at] = keep;
        close_enough(dparams[at], (8 * (f[0] - f[1]) - (f[2] - f[3])) / (12.0 * EPS), "param",
                     (int)at);
    }
    free(dparams);
    free(c);
    iv_acts_free(p.a);
    iv_acts_free(a);
    iv_acts_free(g);
    iv_model_free(m);
}

/* Exact GELU and an untied unembedding go through the same operations; the gradient check passes
 * for them too. */
static void test_untied_exact_gelu(void **state)
{
    (void)state;
    iv_gpt2_config cfg = small_config();
    cfg.tied = false;
    cfg.act = IV_ACT_GELU;
    iv_model *m = small_model(cfg, T_);
    long d = D_;
    assert_int_equal(m->n_params, 2 * V_ * d + CTX_ * d +
                                      L_ * (4 * d + 4 * d * d + 4 * d + 2 * DM_ * d + DM_ + d) +
                                      2 * d);
    float c[T_ * V_];
    uint64_t s = 5;
    for (int i = 0; i < T_ * V_; i++)
        c[i] = uniform(&s);
    iv_error err;
    iv_acts *a = run(m, tokens[1], 1), *g = iv_acts_new(m, 1, &err);
    iv_backward(m, a, c, g, 0);
    fd_problem p = {m, iv_acts_new(m, 1, &err), tokens[1], 1, c, iv_model_site_find(m, "mlp_pre0"),
                    0, 0};
    for (p.index = 0; p.index < T_ * DM_; p.index += 7)
        close_enough(g->site[p.site][p.index], five_point(&p), "mlp_pre0", p.index);
    iv_acts_free(p.a);
    iv_acts_free(a);
    iv_acts_free(g);
    iv_model_free(m);
}

/* ---- addresses: positions and heads ----------------------------------------------------------- */

static void parses_to(const iv_model *m, const char *text, const int *want, int n,
                      const char *canonical)
{
    iv_addr a;
    iv_error err;
    if (iv_addr_parse(m, text, &a, &err) < 0)
        fail_msg("%s: %s", text, err.msg);
    if (a.n != n)
        fail_msg("%s: %d values, expected %d", text, a.n, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(a.idx[i], want[i]);
    char *back = iv_addr_format(m, &a);
    if (strcmp(back, canonical) != 0)
        fail_msg("%s formats as %s, expected %s", text, back, canonical);
    iv_addr again; /* the canonical text names the same values */
    assert_int_equal(iv_addr_parse(m, back, &again, &err), 0);
    assert_int_equal(again.n, a.n);
    assert_memory_equal(again.idx, a.idx, sizeof(int) * (size_t)a.n);
    iv_addr_clear(&again);
    free(back);
    iv_addr_clear(&a);
}

static void test_addresses(void **state)
{
    (void)state;
    iv_model *m = small_model(small_config(), T_);
    enum { dh = D_ / H_ };
    /* z (T, H, dh): head 1 at position 4 is values (4 H + 1) dh ... + dh */
    int z[dh], resid[4], heads[T_ * dh], pattern[T_];
    for (int k = 0; k < dh; k++)
        z[k] = (4 * H_ + 1) * dh + k;
    parses_to(m, "blocks.0.attn.hook_z[head=1, pos=4]", z, dh, "blocks.0.attn.hook_z[pos=4, head=1]");
    parses_to(m, "z0[pos=-1,head=1]", z, dh, "blocks.0.attn.hook_z[pos=4, head=1]");
    for (int k = 0; k < 4; k++)
        resid[k] = (T_ - 1) * D_ + k;
    parses_to(m, "resid2[pos=-1, 0:4]", resid, 4, "blocks.1.hook_resid_post[pos=4, 0:4]");
    for (int p = 0; p < T_; p++)
        for (int k = 0; k < dh; k++)
            heads[p * dh + k] = (p * H_ + 0) * dh + k;
    parses_to(m, "z1[head=0]", heads, T_ * dh, "blocks.1.attn.hook_z[head=0]");
    /* a pattern (H, query, key): head 1, query 3, every key */
    for (int k = 0; k < T_; k++)
        pattern[k] = (1 * T_ + 3) * T_ + k;
    parses_to(m, "pattern0[head=1, pos=3]", pattern, T_, "blocks.0.attn.hook_pattern[pos=3, head=1]");
    int two[2] = {5, 17};
    parses_to(m, "resid0[#5,#17]", two, 2, "blocks.0.hook_resid_pre[#5,#17]");
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"z0[pos=5]", "z0[pos=5]: no position 5 (there are 5: 0 to 4, or -1 for the last)"},
        {"z0[pos=-6]", "no position -6"},
        {"z0[head=2]", "z0[head=2]: no head 2 (there are 2: 0 to 1)"},
        {"resid0[head=0]", "resid0[head=0]: blocks.0.hook_resid_pre has no heads"},
        {"resid0[8]", "resid0[8]: no index 8 (there are 8: 0 to 7)"},
        {"resid0[pos=3:1]", "bad position range '3:1'"},
        {"resid0[#3, pos=1]", "do not mix with pos=, head= or indices"},
        {"resid0[pos=1,,2]", "empty item"},
        {"resid9", "unknown site 'resid9'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        iv_addr a;
        iv_error err;
        int rc = iv_addr_parse(m, bad[k].text, &a, &err);
        if (rc == 0)
            fail_msg("%s was taken", bad[k].text);
        test_expect_error(rc, &err, bad[k].message);
    }
    iv_model_free(m);
}

/* ---- interventions through the commands --------------------------------------------------------- */

/* What a hook writes at one site: the values at idx replaced by `by` (one per index). */
typedef struct {
    int site, n;
    const int *idx;
    const float *by;
} replacement;

static void replace_hook(int site, float *v, long rows, int width, void *user)
{
    (void)rows, (void)width;
    const replacement *r = user;
    if (site == r->site)
        for (int i = 0; i < r->n; i++)
            v[r->idx[i]] = r->by[i];
}

/* The logits of one prompt with that replacement made as the forward pass goes. */
static void logits_replaced(const iv_model *m, const float *tok, const replacement *r,
                            float *logits)
{
    iv_error err;
    iv_acts *a = iv_acts_new(m, 1, &err);
    iv_forward(m, tok, a, replace_hook, (void *)r);
    memcpy(logits, values(m, a, "logits"), sizeof(float) * T_ * V_);
    iv_acts_free(a);
}

static void same_logits(const iv_workspace *ws, const float *want)
{
    const float *got = ws->intervened->site[iv_model_output_site(ws->model)];
    for (int i = 0; i < T_ * V_; i++)
        if (fabs(got[i] - want[i]) > 1e-5 * (1 + fabs(want[i])))
            fail_msg("logit %d: %g, expected %g", i, got[i], want[i]);
}

/* Zero, mean and patch on a head and a position, against the same replacement made by hand. */
static void test_interventions(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(small_model(small_config(), T_), &err);
    assert_non_null(ws);
    const iv_model *m = ws->model;
    test_run(ws, "input 3 1 4 1 5; source 9 2 6 5 3");
    enum { dh = D_ / H_ };
    int idx[T_ * dh];
    float by[T_ * dh], want[T_ * V_];
    iv_addr a;
    assert_int_equal(iv_addr_parse(m, "z1[head=1]", &a, &err), 0);
    assert_int_equal(a.n, T_ * dh);
    memcpy(idx, a.idx, sizeof idx);
    iv_addr_clear(&a);
    /* zero: head 1 of block 1 silenced at every position */
    memset(by, 0, sizeof by);
    replacement r = {iv_model_site_find(m, "z1"), T_ * dh, idx, by};
    logits_replaced(m, tokens[0], &r, want);
    test_run(ws, "ablate blocks.1.attn.hook_z[head=1] zero");
    same_logits(ws, want);
    /* mean: each value its mean over a dataset of prompts, at its own position */
    char path[] = "/tmp/iv-prompts-XXXXXX.csv";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "t0,t1,t2,t3,t4\n3,1,4,1,5\n9,2,6,5,3\n5,8,9,7,9\n0,0,1,10,2\n");
    fclose(f);
    char *line = iv_xasprintf("clear; data load %s; ablate z1[head=1] mean", path);
    test_run(ws, line);
    free(line);
    static const float rows[4][T_] = {{3, 1, 4, 1, 5}, {9, 2, 6, 5, 3}, {5, 8, 9, 7, 9},
                                      {0, 0, 1, 10, 2}};
    iv_acts *all = run(m, &rows[0][0], 4);
    const float *z = values(m, all, "z1");
    for (int i = 0; i < T_ * dh; i++) {
        double sum = 0;
        for (int k = 0; k < 4; k++)
            sum += z[k * T_ * D_ + idx[i]];
        by[i] = (float)(sum / 4);
    }
    iv_acts_free(all);
    logits_replaced(m, tokens[0], &r, want);
    same_logits(ws, want);
    /* patch: the residual stream at position 2 from the source prompt */
    iv_acts *src = run(m, tokens[1], 1);
    r.site = iv_model_site_find(m, "resid1");
    r.n = D_;
    for (int k = 0; k < D_; k++) {
        idx[k] = 2 * D_ + k;
        by[k] = values(m, src, "resid1")[idx[k]];
    }
    iv_acts_free(src);
    logits_replaced(m, tokens[0], &r, want);
    test_run(ws, "clear; patch blocks.1.hook_resid_pre[pos=2]");
    same_logits(ws, want);
    /* a patch at the last position cannot reach the earlier ones */
    test_run(ws, "clear; patch resid1[pos=-1]");
    const float *clean = ws->clean->site[iv_model_output_site(m)];
    const float *patched = ws->intervened->site[iv_model_output_site(m)];
    assert_memory_equal(clean, patched, sizeof(float) * (T_ - 1) * V_);
    /* tokens outside the vocabulary, typed or in a dataset, are refused */
    assert_non_null(strstr(test_run_fails(ws, "input 3 1 4 1 11"),
                           "'11': 11 is not a token id (the vocabulary has 11: 0 to 10)"));
    assert_non_null(strstr(test_run_fails(ws, "source 3 1 4.5 1 1"), "4.5 is not a token id"));
    f = fopen(path, "w");
    fprintf(f, "t0,t1,t2,t3,t4\n3,1,4,1,5\n9,2,6,5,-1\n");
    fclose(f);
    line = iv_xasprintf("data load %s", path);
    assert_non_null(strstr(test_run_fails(ws, line), "row 1, t4: -1 is not a token id"));
    free(line);
    unlink(path);
    iv_workspace_free(ws);
}

/* A head's ablation switched on and off reruns only the intervened pass, from the head's block
 * on; its values are a fresh workspace's. A new prompt length (a model rebuilt) and new tokens run
 * the clean pass again. */
static void test_clean_kept_transformer(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(small_model(small_config(), T_), &err);
    assert_non_null(ws);
    test_run(ws, "input 3 1 4 1 5; source 9 2 6 5 3");
    long passes = ws->clean_passes;
    test_run(ws, "ablate z1[head=1] zero; toggle 1; toggle 1");
    assert_int_equal(ws->clean_passes, passes);
    test_expect_clean_current(ws);
    iv_workspace *fresh = iv_workspace_new(small_model(small_config(), T_), &err);
    assert_non_null(fresh);
    test_run(fresh, "input 3 1 4 1 5; source 9 2 6 5 3; ablate z1[head=1] zero");
    const iv_model *m = ws->model;
    for (int s = 0; s < m->n_sites; s++) {
        size_t bytes = sizeof(float) * (size_t)m->sites[s].width;
        assert_memory_equal(ws->clean->site[s], fresh->clean->site[s], bytes);
        assert_memory_equal(ws->intervened->site[s], fresh->intervened->site[s], bytes);
    }
    iv_workspace_free(fresh);
    /* fewer positions: the model is rebuilt, its inputs start again at zero */
    test_run(ws, "clear; source none; positions 3");
    assert_int_equal(ws->model->positions, 3);
    test_expect_clean_current(ws);
    test_run(ws, "input 3 1 4; source 9 2 6");
    test_expect_clean_current(ws);
    test_run(ws, "input 3 1 5");
    test_expect_clean_current(ws);
    iv_workspace_free(ws);
}

/* A sample with a tokenizer: a new prompt (text, the same length) and a prompt of another length
 * (a model rebuilt) each run the clean pass again; an ablation toggled does not. */
static void test_clean_follows_prompt(void **state)
{
    (void)state;
    const char *srcdir = getenv("srcdir") ? getenv("srcdir") : ".";
    char *line = iv_xasprintf("model %s/sample_models/tiny-max; prompt 3 5 =", srcdir);
    iv_workspace *ws = test_ws_from_text("inputs x\nlayer out identity\n  weights\n    1\n");
    test_run(ws, line);
    free(line);
    test_expect_clean_current(ws);
    test_run(ws, "prompt 7 2 =");
    test_expect_clean_current(ws);
    long passes = ws->clean_passes;
    test_run(ws, "ablate z1[head=0] zero; toggle 1; toggle 1");
    assert_int_equal(ws->clean_passes, passes);
    test_run(ws, "clear; prompt 4 =");
    assert_int_equal(ws->model->positions, 2);
    test_expect_clean_current(ws);
    iv_workspace_free(ws);
}

static double loss_gap(iv_workspace *ws)
{
    return test_number(ws, "effect", IV_RESULT_EFFECT, "loss_gap");
}

static const float prompts[4][T_] = {{3, 1, 4, 1, 5}, {9, 2, 6, 5, 3}, {5, 8, 9, 7, 9},
                                     {0, 0, 1, 10, 2}};

static char *write_prompts(void)
{
    char *path = iv_xstrdup("/tmp/iv-prompts-XXXXXX.csv");
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "t0,t1,t2,t3,t4\n");
    for (int r = 0; r < 4; r++)
        fprintf(f, "%g,%g,%g,%g,%g\n", prompts[r][0], prompts[r][1], prompts[r][2], prompts[r][3],
                prompts[r][4]);
    fclose(f);
    return path;
}

/* Noise, resample, optimal, rotate and add on a head or a position: each acts on the values it
 * names and on nothing else. */
static void test_every_kind(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(small_model(small_config(), T_), &err);
    const iv_model *m = ws->model;
    char *path = write_prompts(), *line = iv_xasprintf("data load %s; input row 0", path);
    test_run(ws, line);
    free(line);
    int z = iv_model_site_find(m, "z1");
    iv_addr head;
    assert_int_equal(iv_addr_parse(m, "z1[head=1]", &head, &err), 0);
    bool *in_head = calloc((size_t)m->sites[z].width, sizeof(bool));
    for (int i = 0; i < head.n; i++)
        in_head[head.idx[i]] = true;
    /* noise moves the head's values and only them */
    test_run(ws, "ablate z1[head=1] noise sigma=0.5 samples=1 seed=3");
    for (int i = 0; i < m->sites[z].width; i++) {
        float c = ws->clean->site[z][i], v = ws->intervened->site[z][i];
        assert_true(in_head[i] ? v != c : v == c);
    }
    /* resample: the head's values at every position are one dataset prompt's */
    test_run(ws, "clear; ablate z1[head=1] resample samples=1 seed=3");
    iv_acts *all = run(m, &prompts[0][0], 4);
    int from = -1;
    for (int r = 0; r < 4 && from < 0; r++) {
        bool same = true;
        for (int i = 0; i < head.n; i++)
            same &= ws->intervened->site[z][head.idx[i]] == all->site[z][r * m->sites[z].width +
                                                                          head.idx[i]];
        from = same ? r : -1;
    }
    assert_true(from >= 0);
    iv_acts_free(all);
    /* optimal ablation loses no more than mean ablation, which loses something */
    test_run(ws, "clear; ablate z1[head=1] mean");
    double mean_gap = loss_gap(ws);
    test_run(ws, "clear; ablate z1[head=1] optimal");
    double optimal_gap = loss_gap(ws);
    assert_true(mean_gap > 0 && optimal_gap <= mean_gap + 1e-9);
    /* rotate toward the source at one position, and a vector added at the last: what comes before
     * them in the sequence stays */
    test_run(ws, "clear; source row 1; ablate resid1[pos=2] rotate dims=3 seed=1");
    int out = iv_model_output_site(m);
    assert_memory_equal(ws->clean->site[out], ws->intervened->site[out], sizeof(float) * 2 * V_);
    assert_memory_not_equal(ws->clean->site[out], ws->intervened->site[out],
                            sizeof(float) * T_ * V_);
    test_run(ws, "clear; ablate resid2[pos=-1] add alpha=2 vector=1,0,0,0,0,0,0,-1");
    int r2 = iv_model_site_find(m, "resid2");
    for (int i = 0; i < T_ * D_; i++) {
        float want = ws->clean->site[r2][i] +
                     (i == (T_ - 1) * D_ ? 2 : i == T_ * D_ - 1 ? -2 : 0);
        assert_true(fabsf(ws->intervened->site[r2][i] - want) <= 1e-6f * (1 + fabsf(want)));
    }
    free(in_head);
    iv_addr_clear(&head);
    unlink(path);
    free(path);
    iv_workspace_free(ws);
}

/* ---- configs that cannot be built -------------------------------------------------------------- */

/* An output too wide to list (a vocabulary of 5000 at 20 positions: 100,000 logits) is reported
 * by its next tokens and its count of values: the top token is the argmax of the last position's
 * logits, its probability their softmax there, computed here in double. */
static void test_wide_output_reported_by_next_tokens(void **state)
{
    (void)state;
    iv_gpt2_config c = small_config();
    int T = 20;
    c.d_vocab = 5000;
    c.n_ctx = T;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(small_model(c, T), &err);
    assert_non_null(ws);
    assert_int_equal(iv_workspace_run(ws, &err), 0);
    json_object *o = iv_report_output(ws);
    assert_int_equal(json_object_get_int(json_object_object_get(o, "values")), T * c.d_vocab);
    assert_true((long)T * c.d_vocab > IV_REPORT_OUTPUT_MAX);
    assert_null(json_object_object_get(o, "clean"));
    const float *last = ws->intervened->site[iv_model_output_site(ws->model)] +
                        (long)(T - 1) * c.d_vocab;
    int top = 0;
    double sum = 0;
    for (int k = 1; k < c.d_vocab; k++)
        top = last[k] > last[top] ? k : top;
    for (int k = 0; k < c.d_vocab; k++)
        sum += exp((double)last[k] - last[top]);
    json_object *next = json_object_object_get(o, "intervened_next");
    assert_int_equal(json_object_get_int(json_object_object_get(next, "id")), top);
    assert_true(fabs(json_object_get_double(json_object_object_get(next, "p")) - 1 / sum) < 1e-6);
    json_object_put(o);
    iv_workspace_free(ws);
}

/* The lens of an intervened run taken "like" the clean one equals the lens computed whole, block
 * for block, whichever blocks it copies (here the intervention in the last block leaves the others'
 * residual streams as they were, and those rows are copied, not unembedded). */
static void test_logit_lens_like(void **state)
{
    (void)state;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(small_model(small_config(), T_), &err);
    assert_non_null(ws);
    char line[96];
    snprintf(line, sizeof line, "ablate blocks.%d.attn.hook_z[head=0] zero", L_ - 1);
    assert_int_equal(iv_script_run(ws, line, "test", &iv_sink_discard, false, NULL, NULL, &err), 0);
    iv_logit_lens clean, whole, like;
    assert_int_equal(iv_logit_lens_run(ws->model, ws->clean, 0, &clean), 0);
    assert_int_equal(iv_logit_lens_run(ws->model, ws->intervened, 0, &whole), 0);
    assert_int_equal(iv_logit_lens_like(ws->model, ws->intervened, 0, &clean, ws->clean, &like), 0);
    assert_int_equal(like.rows, L_ + 1);
    assert_memory_equal(like.top, whole.top, sizeof(int) * (size_t)(like.rows * like.cols));
    assert_memory_equal(like.prob, whole.prob, sizeof(double) * (size_t)(like.rows * like.cols));
    /* the last row differs from the clean lens somewhere: the ablation reached it */
    bool differs = false;
    for (int p = 0; p < like.cols; p++)
        differs |= like.prob[L_ * like.cols + p] != clean.prob[L_ * like.cols + p];
    assert_true(differs);
    iv_logit_lens_free(&clean);
    iv_logit_lens_free(&whole);
    iv_logit_lens_free(&like);
    iv_workspace_free(ws);
}

static void test_bad_configs(void **state)
{
    (void)state;
    char why[256];
    iv_gpt2_config c = small_config();
    assert_null(iv_gpt2_config_check(&c, why, sizeof why));
    c.d_model = 9;
    assert_non_null(iv_gpt2_config_check(&c, why, sizeof why));
    assert_string_equal(why, "n_embd 9 is not a multiple of n_head 2");
    c = small_config();
    c.n_head = 0;
    assert_non_null(iv_gpt2_config_check(&c, why, sizeof why));
    assert_string_equal(why, "n_head is 0, expected 1 to 1024");
    c = small_config();
    c.d_vocab = 50257 * 100;
    assert_non_null(iv_gpt2_config_check(&c, why, sizeof why));
    assert_non_null(strstr(why, "vocab_size is 5025700"));
    c = small_config();
    c.d_model = 65536, c.n_head = 1, c.d_vocab = 100000;
    assert_non_null(iv_gpt2_config_check(&c, why, sizeof why));
    assert_non_null(strstr(why, "parameters, more than the 400000000 this tool loads"));
    c = small_config();
    random_source S = {7, NULL};
    iv_gpt2_source src = {&S, random_tensor};
    iv_error err;
    assert_null(iv_gpt2_build("f", "f.bin", &c, &src, 0, &err));
    assert_string_equal(err.msg, "f.bin: 0 positions, expected 1 to the model's context of 6");
    free(S.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sites_and_names),
        cmocka_unit_test(test_forward_against_formulas),
        cmocka_unit_test(test_causal_and_rebuilt),
        cmocka_unit_test(test_backward_against_differences),
        cmocka_unit_test(test_untied_exact_gelu),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_interventions),
        cmocka_unit_test(test_clean_kept_transformer),
        cmocka_unit_test(test_clean_follows_prompt),
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_wide_output_reported_by_next_tokens),
        cmocka_unit_test(test_logit_lens_like),
        cmocka_unit_test(test_bad_configs),
    };
    return cmocka_run_group_tests_name("gpt2", tests, NULL, NULL);
}
