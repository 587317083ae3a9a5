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
  os << "// configuration: batch " << options.batch << ", resolution "
     << options.resolution << ", " << options.dtype
     << ", NHWC activations, TOSA 1.0\n";
  for (const std::string &line : model.provenance)
    os << "// " << line << "\n";
  os << "// regenerate: goodhart zoo export " << model.name << " --batch "
     << options.batch << " --resolution " << options.resolution << " --dtype "
     << options.dtype << "\n";
  os << "// weights are function arguments marked {" << kWeightArgAttr.str()
     << "}: runners fill them with seeded values scaled by fan-in\n";
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(
                        /*enable=*/true, /*prettyForm=*/false));
  return text;
}

} // namespace goodhart
