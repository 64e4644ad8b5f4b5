/* onnx.h - importing multilayer perceptrons exported by torch.onnx.export.
 *
 * The graph must be a chain from its single input to its single output of dense layers (Gemm, or
 * MatMul optionally followed by Add of a bias), each optionally followed by one activation (Relu,
 * LeakyRelu, Sigmoid, Tanh, Gelu or its exported Erf subgraph, Softmax on the last layer only).
 * Identity nodes are skipped, and Flatten before the first layer. Anything else is refused with a
 * message naming the node and its op. */
#ifndef IV_ONNX_H
#define IV_ONNX_H

#include "model.h"

/* Reads an .onnx file (at most 256 MB) into a model; NULL with a message naming the file on error. */
iv_model *iv_model_load_onnx(const char *path, iv_error *err);

#endif
