/**
 * ONNX export: a plain (merged) ViT checkpoint written as an ONNX graph for deployment runtimes,
 * with a minimal protocol-buffer writer of its own (no code generation, no protobuf library).
 */
package dev.glora.supernet.onnx;
