//===- Bert.cpp - BERT-large encoder --------------------------------------===//
//
// The encoder of BERT-large as MLPerf Inference runs it (SQuAD v1.1,
// sequence 384): 24 post-norm layers, hidden 1024, 16 heads of 64, FFN 4096
// with GELU (erf), layer norm epsilon 1e-12. Layer names follow Hugging
// Face's BertModel (encoder.layer.3.attention.self.query). The embeddings
// and the SQuAD head are outside the encoder; all tokens are valid, so
// there is no attention mask.
//
//===----------------------------------------------------------------------===//

#include "mlir/zoo/ModelZoo.h"
#include "mlir/zoo/TosaModelBuilder.h"

namespace goodhart {

mlir::LogicalResult buildBertLarge(mlir::ModuleOp module,
                                   const ZooOptions &options) {
  const TransformerConfig &c = kBertLarge;
  int64_t seq = options.seq ? options.seq : c.seq;
  int64_t batch = options.batch;
  int64_t hidden = options.hidden ? options.hidden : c.hidden;
  if (hidden % c.heads != 0)
    return module.emitError()
           << "bert_large: hidden size " << hidden
           << " is not a multiple of its " << c.heads << " heads";
  mlir::Type type = zooElementType(module.getContext(), options.dtype);
  TosaModelBuilder m(module, "bert_large_encoder", {1, batch * seq, hidden},
                     type);
  mlir::Value h = m.input();
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string name = "encoder.layer." + std::to_string(i);
    const std::string self = name + ".attention.self";
    mlir::Value q = m.linear(h, hidden, true, self + ".query");
    mlir::Value k = m.linear(h, hidden, true, self + ".key");
    mlir::Value v = m.linear(h, hidden, true, self + ".value");
    mlir::Value context = m.attention(
        m.splitHeads(q, batch, c.heads, self + ".query"),
        m.splitHeads(k, batch, c.heads, self + ".key"),
        m.splitHeads(v, batch, c.heads, self + ".value"), nullptr, self);
    mlir::Value attn =
        m.linear(context, hidden, true, name + ".attention.output.dense");
    h = m.layerNorm(m.add(attn, h, name + ".attention.output.residual"), c.eps,
                    name + ".attention.output.LayerNorm");
    mlir::Value f = m.linear(h, c.ffn, true, name + ".intermediate.dense");
    f = m.geluErf(f, name + ".intermediate.gelu");
    f = m.linear(f, hidden, true, name + ".output.dense");
    h = m.layerNorm(m.add(f, h, name + ".output.residual"), c.eps,
                    name + ".output.LayerNorm");
  }
  return m.finish(h);
}

} // namespace goodhart
