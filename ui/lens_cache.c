/* lens_cache.c - the logit lens of the workspace's last evaluation, clean and intervened, kept
 * between redraws: a cursor move redraws the lens panel without running the unembedding again
 * (on GPT-2 small that is 13 blocks x 20 positions x 50,257 logits). */
#include <stdlib.h>

#include "tui.h"

struct tui_lens_cache {
    unsigned long model; /* the model's serial */
    long evaluation;     /* the workspace's evaluation they were made from */
    iv_logit_lens clean, intervened;
};

struct tui_lens_cache *tui_lens_cache_new(void)
{
    return iv_xcalloc(1, sizeof(struct tui_lens_cache));
}

void tui_lens_cache_free(struct tui_lens_cache *c)
{
    if (!c)
        return;
    iv_logit_lens_free(&c->clean);
    iv_logit_lens_free(&c->intervened);
    free(c);
}

bool tui_lens_of(struct tui_lens_cache *c, const iv_workspace *ws, const iv_logit_lens **clean,
                 const iv_logit_lens **intervened)
{
    if (!c || !ws->clean || !ws->intervened || !ws->model->gpt2)
        return false;
    if (c->model != ws->model->serial || c->evaluation != ws->evaluations || !c->clean.top) {
        iv_logit_lens_free(&c->clean);
        iv_logit_lens_free(&c->intervened);
        iv_logit_lens_run(ws->model, ws->clean, 0, &c->clean);
        iv_logit_lens_run(ws->model, ws->intervened, 0, &c->intervened);
        c->model = ws->model->serial;
        c->evaluation = ws->evaluations;
    }
    *clean = &c->clean;
    *intervened = &c->intervened;
    return true;
}
