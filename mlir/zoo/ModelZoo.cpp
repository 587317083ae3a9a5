//===- ModelZoo.cpp - The one place reference models are registered -------===//

#include "mlir/zoo/ModelZoo.h"

#include "mlir/ModelLoader.h"

#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/raw_ostream.h"

namespace goodhart {

const std::vector<ZooModel> &zooModels() {
  static const std::vector<ZooModel> kModels = {
      {"resnet50",
       "ResNet-50 v1.5, the MLPerf image classification model",
       {"source: torchvision.models.resnet50 (He et al. 2016), v1.5 as "
        "MLPerf Inference runs it: the stride of a down-sampling bottleneck "
        "is on its 3x3 convolution",
        "inference graph: batch normalization folded into convolution biases",
        "published: 25,557,032 parameters with batch normalization (its "
        "gamma and beta, 2 x 26,560 channels); folded into 53 convolution "
        "biases that is 25,530,472; 4.09 GMACs at 224x224 (torchvision's "
        "'4.09 GFLOPS' counts multiply-adds); goodhart's count excludes "
        "padding taps, as benchdnn does",
        "exporter conventions: strided windows trim bottom/right padding and "
        "slice the input when trimming is not enough (TOSA 1.0 requires the "
        "padded extent to divide by the stride)"},
       buildResNet50},
      {"mobilenet_v2",
       "MobileNetV2 1.0, depthwise and pointwise convolutions with ReLU6",
       {"source: torchvision.models.mobilenet_v2 (Sandler et al. 2018), "
        "width multiplier 1.0",
        "inference graph: batch normalization folded into convolution "
        "biases; the classifier's dropout is an identity at inference",
        "published: 3,504,872 parameters with batch normalization (gamma and "
        "beta per channel, folded here into one bias per channel); 300 M "
        "MACs at 224x224 counting padded taps",
        "exporter conventions: strided windows trim bottom/right padding "
        "(TOSA 1.0 requires the padded extent to divide by the stride)"},
       buildMobileNetV2},
      {"bert_large",
       "BERT-large encoder, the MLPerf language model (SQuAD, sequence 384)",
       {"source: Hugging Face BertModel, bert-large-uncased configuration "
        "(Devlin et al. 2019) as MLPerf Inference's SQuAD v1.1 task runs it",
        "configuration: 24 post-norm encoder layers, hidden 1024, 16 heads "
        "of 64, FFN 4096, GELU (erf), layer norm epsilon 1e-12; embeddings "
        "and the SQuAD head excluded; no attention mask (all tokens valid)",
        "published: 335 M parameters for the whole model; the encoder's 24 "
        "layers hold 24 x 12,596,224 = 302,309,376 (4 x (1024^2 + 1024) "
        "attention, 1024 x 4096 + 4096 + 4096 x 1024 + 1024 FFN, 2 x 2048 "
        "layer norm)",
        "exporter conventions: softmax, layer norm and GELU decomposed into "
        "TOSA elementwise and reduce ops as torch-mlir writes them; linear "
        "layers are [1, tokens, in] x [1, in, out] matmuls plus a bias add"},
       buildBertLarge,
       kBertLarge.seq},
      {"llama2_7b_layer",
       "One Llama-2-7B decoder layer, prefill",
       {"source: Hugging Face LlamaDecoderLayer, meta-llama/Llama-2-7b-hf "
        "configuration (Touvron et al. 2023)",
        "configuration: hidden 4096, 32 heads of 128, FFN 11008 with SwiGLU, "
        "RMS norm epsilon 1e-5, no biases; rotary tables and the causal mask "
        "are inputs, as the model passes them to each layer",
        "published: 6.74 B parameters in 32 layers; one layer holds "
        "4 x 4096^2 + 3 x 4096 x 11008 + 2 x 4096 = 202,383,360",
        "exporter conventions: RMS norm, softmax and SiLU decomposed into "
        "TOSA elementwise and reduce ops; rotate_half as two slices, a "
        "negate and a concat"},
       buildLlama2DecoderLayer,
       kLlama2_7B.seq},
  };
  return kModels;
}

const ZooModel *findZooModel(const std::string &name) {
  for (const ZooModel &m : zooModels())
    if (m.name == name)
      return &m;
  return nullptr;
}

mlir::OwningOpRef<mlir::ModuleOp> buildZooModel(mlir::MLIRContext &context,
                                                const ZooModel &model,
                                                const ZooOptions &options) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(mlir::UnknownLoc::get(&context));
  if (mlir::failed(model.build(*module, options)))
    return nullptr;
  return module;
}

std::string exportZooModel(mlir::ModuleOp module, const ZooModel &model,
                           const ZooOptions &options) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "// goodhart reference model: " << model.name << " (" << model.summary
     << ")\n";
  if (model.defaultSeq) {
    int64_t seq = options.seq ? options.seq : model.defaultSeq;
    os << "// configuration: batch " << options.batch << ", sequence " << seq
       << ", " << options.dtype << ", [1, batch x sequence, hidden] "
       << "activations, TOSA 1.0\n";
    if (options.hidden)
      os << "// resized: hidden " << options.hidden
         << " (heads kept, head dimension hidden / heads, FFN width kept); "
         << "the configuration below is the published one\n";
  } else {
    os << "// configuration: batch " << options.batch << ", resolution "
       << options.resolution << ", " << options.dtype
       << ", NHWC activations, TOSA 1.0\n";
  }
  for (const std::string &line : model.provenance)
    os << "// " << line << "\n";
  os << "// regenerate: goodhart zoo export " << model.name << " --batch "
     << options.batch;
  if (model.defaultSeq)
    os << " --seq " << (options.seq ? options.seq : model.defaultSeq);
  else
    os << " --resolution " << options.resolution;
  if (options.hidden)
    os << " --hidden " << options.hidden;
  os << " --dtype " << options.dtype << "\n";
  os << "// weights are function arguments marked {" << kWeightArgAttr.str()
     << "}: runners fill them with seeded values scaled by fan-in\n";
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(
                        /*enable=*/true, /*prettyForm=*/false));
  return text;
}

} // namespace goodhart
