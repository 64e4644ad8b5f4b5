/* formats.c - the one dispatch over the file formats: which reader opens a model, which writer
 * saves one and which reader loads a dataset, all told by the file's name, and the built-in lecture
 * network that "builtin:max" names. The one place that knows every format, so that the formats and
 * the engine's core need not know one another. */
#include "formats.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "gpt2_hf.h"
#include "llmc.h"
#include "npy.h"
#include "onnx.h"
#include "safetensors.h"
#include "text.h"

/* ---- the lecture network ----------------------------------------------------------------------- */

/* Kept byte for byte equal to sample_models/max.nn (a test checks), so the built-in network and the
 * shipped file can never drift apart. */
static const char max_text[] =
    "# max(x, y), built by hand: the network of the lecture on interventions.\n"
    "#   h1  = ReLU(W1 [x, y])  = [relu(x-y), relu(y-x), relu(x), relu(y)]\n"
    "#   h2  = ReLU(W2 h1)      h2[0] passes y unless x > y shuts it; h2[1] passes x unless y > x\n"
    "#   out = h2[0] + h2[1]    right off the diagonal, wrong on it (x = y gives 2x)\n"
    "model max\n"
    "inputs x y\n"
    "target max(x, y)\n"
    "data grid x=0:10:1 y=0:10:1\n"
    "\n"
    "layer h1 relu\n"
    "  labels x-y y-x x y\n"
    "  weights\n"
    "     1 -1\n"
    "    -1  1\n"
    "     1  0\n"
    "     0  1\n"
    "\n"
    "layer h2 relu\n"
    "  weights\n"
    "    -100    0  0  1\n"
    "       0 -100  1  0\n"
    "\n"
    "layer out identity\n"
    "  weights\n"
    "    1 1\n";

const char *iv_model_builtin_max_text(void) { return max_text; }

iv_model *iv_model_builtin_max(void)
{
    iv_error err;
    iv_model *m = iv_model_parse(max_text, "builtin:max", &err);
    if (!m)
        abort(); /* the built-in text is fixed and tested: failing here is a programming error */
    return m;
}

/* ---- by the file's name ------------------------------------------------------------------------ */

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

iv_model *iv_model_load(const char *path, iv_error *err)
{
    if (strcmp(path, "builtin:max") == 0) /* may still fail for want of memory */
        return iv_model_parse(max_text, "builtin:max", err);
    /* Before .safetensors: a HuggingFace checkpoint's model.safetensors holds no architecture of
     * its own, its config.json beside it does. */
    if (iv_gpt2_hf_is_checkpoint(path))
        return iv_model_load_gpt2_hf(path, err);
    if (iv_llmc_is_checkpoint(path))
        return iv_model_load_llmc(path, err);
    if (has_suffix(path, ".onnx"))
        return iv_model_load_onnx(path, err);
    if (has_suffix(path, ".safetensors"))
        return iv_model_load_safetensors(path, err);
    /* Anything else is the text format: it is the one people write, under any name. */
    return iv_model_load_text(path, err);
}

int iv_model_save(const iv_model *m, const char *path, iv_error *err)
{
    if (has_suffix(path, ".safetensors"))
        return iv_model_write_safetensors(m, path, err);
    /* No fallback, unlike reading: a text model saved as net.onnx could not be opened again. */
    if (has_suffix(path, ".nn"))
        return iv_model_write_text(m, path, err);
    return iv_error_set(err, "'%s' must end in .nn or .safetensors", path);
}

iv_dataset *iv_dataset_load(const char *path, int n_inputs, char *const *input_names,
                            iv_error *err)
{
    if (has_suffix(path, ".npy") || has_suffix(path, ".npz"))
        return iv_dataset_load_npy(path, n_inputs, input_names, err);
    return iv_dataset_load_csv(path, n_inputs, input_names, err);
}
