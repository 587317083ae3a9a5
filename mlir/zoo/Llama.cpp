//===- Llama.cpp - One Llama-2-7B decoder layer for prefill ---------------===//
//
// Hugging Face's LlamaDecoderLayer with the Llama-2-7B configuration: hidden
// 4096, 32 heads of 128 (no grouped-query attention at 7B), FFN 11008 with
// SwiGLU, RMS norm epsilon 1e-5, no biases. Prefill of `seq` tokens: the
// rotary tables (cos, sin: [1, 1, S, 128]) and the causal mask ([1, S, S])
// are inputs, as the model passes them to each layer.
//
//===----------------------------------------------------------------------===//

#include "mlir/zoo/ModelZoo.h"
#include "mlir/zoo/TosaModelBuilder.h"

namespace goodhart {

mlir::LogicalResult buildLlama2DecoderLayer(mlir::ModuleOp module,
                                            const ZooOptions &options) {
  const TransformerConfig &c = kLlama2_7B;
  int64_t seq = options.seq ? options.seq : c.seq;
  int64_t batch = options.batch;
  int64_t hidden = options.hidden ? options.hidden : c.hidden;
  if (hidden % c.heads != 0 || (hidden / c.heads) % 2 != 0)
    return module.emitError()
           << "llama2_7b_layer: hidden size " << hidden << " must be "
           << c.heads << " heads of an even head dimension (rotary halves)";
  int64_t headDim = hidden / c.heads;
  mlir::Type type = zooElementType(module.getContext(), options.dtype);
  TosaModelBuilder m(module, "llama2_7b_decoder_layer",
                     {1, batch * seq, hidden}, type);
  mlir::Value x = m.input();
  mlir::Value cos = m.addInput({1, 1, seq, headDim});
  mlir::Value sin = m.addInput({1, 1, seq, headDim});
  mlir::Value mask = m.addInput({1, seq, seq});

  mlir::Value n = m.rmsNorm(x, c.eps, "input_layernorm");
  mlir::Value q = m.linear(n, hidden, false, "self_attn.q_proj");
  mlir::Value k = m.linear(n, hidden, false, "self_attn.k_proj");
  mlir::Value v = m.linear(n, hidden, false, "self_attn.v_proj");
  q = m.rotary(m.splitHeads(q, batch, c.heads, "self_attn.q_proj"), cos, sin,
               "self_attn.q_rope");
  k = m.rotary(m.splitHeads(k, batch, c.heads, "self_attn.k_proj"), cos, sin,
               "self_attn.k_rope");
  v = m.splitHeads(v, batch, c.heads, "self_attn.v_proj");
  mlir::Value context = m.attention(q, k, v, mask, "self_attn");
  mlir::Value o = m.linear(context, hidden, false, "self_attn.o_proj");
  mlir::Value h = m.add(x, o, "residual1");

  n = m.rmsNorm(h, c.eps, "post_attention_layernorm");
  mlir::Value gate = m.linear(n, c.ffn, false, "mlp.gate_proj");
  mlir::Value up = m.linear(n, c.ffn, false, "mlp.up_proj");
  mlir::Value act = m.mul(m.silu(gate, "mlp.act_fn"), up, "mlp.gated");
  mlir::Value down = m.linear(act, hidden, false, "mlp.down_proj");
  return m.finish(m.add(h, down, "residual2"));
}

} // namespace goodhart
