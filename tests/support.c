/* support.c - see support.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support.h"

#include <string.h>

#include "commands.h"
#include "formats/text.h"

iv_workspace *test_ws_from_text(const char *text)
{
    iv_error err;
    iv_model *m = iv_model_parse(text, "test.nn", &err);
    if (!m)
        fail_msg("model did not parse: %s", err.msg);
    iv_workspace *ws = iv_workspace_new(m, &err);
    if (!ws)
        fail_msg("workspace: %s", err.msg);
    return ws;
}

void test_run(iv_workspace *ws, const char *line)
{
    iv_error err;
    if (iv_script_run(ws, line, "test", &iv_sink_discard, false, NULL, NULL, &err) != 0)
        fail_msg("'%s' failed: %s", line, err.msg);
}

const char *test_run_fails(iv_workspace *ws, const char *line)
{
    static iv_error err;
    if (iv_script_run(ws, line, "test", &iv_sink_discard, false, NULL, NULL, &err) == 0)
        fail_msg("'%s' should have failed", line);
    return err.msg;
}

static void expect_same_run(const iv_acts *want, const iv_acts *got, const char *what)
{
    if (!got)
        fail_msg("no %s run", what);
    assert_int_equal(got->n, 1);
    assert_int_equal(got->n_sites, want->n_sites);
    for (int s = 0; s < want->n_sites; s++)
        if (memcmp(got->site[s], want->site[s], sizeof(float) * (size_t)want->width[s]) != 0)
            fail_msg("the %s run's site %d is not a fresh pass's", what, s);
}

void test_expect_clean_current(const iv_workspace *ws)
{
    iv_error err;
    iv_acts *fresh = iv_acts_new(ws->model, 1, &err);
    assert_non_null(fresh);
    iv_forward(ws->model, ws->base, fresh, NULL, NULL);
    expect_same_run(fresh, ws->clean, "clean");
    if (ws->has_source) {
        iv_forward(ws->model, ws->source, fresh, NULL, NULL);
        expect_same_run(fresh, ws->source_acts, "source");
    } else {
        assert_null(ws->source_acts);
    }
    iv_acts_free(fresh);
}

void test_expect_error(int rc, const iv_error *err, const char *part)
{
    assert_int_equal(rc, -1);
    if (!strstr(err->msg, part))
        fail_msg("message '%s' does not say '%s'", err->msg, part);
    assert_null(strchr(err->msg, '\n'));
}

typedef struct {
    iv_result_type type;
    json_object *got;
} capture;

/* A sink owns what it is sent: the one kept, the others put. */
static void keep(iv_result_type type, json_object *result, void *user)
{
    capture *c = user;
    if (type != c->type) {
        json_object_put(result);
        return;
    }
    json_object_put(c->got);
    c->got = result;
}

json_object *test_result(iv_workspace *ws, const char *line, iv_result_type type)
{
    capture c = {type, NULL};
    iv_sink sink = {keep, &c};
    iv_error err;
    if (iv_script_run(ws, line, "test", &sink, false, NULL, NULL, &err) != 0)
        fail_msg("'%s' failed: %s", line, err.msg);
    if (!c.got)
        fail_msg("'%s' gave no result of type %d", line, (int)type);
    return c.got;
}

double test_number(iv_workspace *ws, const char *line, iv_result_type type, const char *key)
{
    json_object *r = test_result(ws, line, type);
    double v = json_object_get_double(json_object_object_get(r, key));
    json_object_put(r);
    return v;
}
