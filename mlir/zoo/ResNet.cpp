//===- ResNet.cpp - ResNet-50 v1.5 --------------------------------------===//
//
// torchvision's resnet50 as MLPerf Inference uses it (v1.5: the stride of a
// down-sampling bottleneck is on its 3x3 convolution, not its first 1x1),
// with batch normalization folded into convolution biases as inference
// graphs have it. Layer names follow torchvision (layer2.0.conv2).
//
//===----------------------------------------------------------------------===//

#include "mlir/zoo/ModelZoo.h"
#include "mlir/zoo/TosaModelBuilder.h"

namespace goodhart {

mlir::LogicalResult buildResNet50(mlir::ModuleOp module,
                                  const ZooOptions &options) {
  mlir::Type type = zooElementType(module.getContext(), options.dtype);
  TosaModelBuilder m(module, "resnet50",
                     {options.batch, options.resolution, options.resolution, 3},
                     type);
  mlir::Value x = m.conv(m.input(), 64, 7, 2, "conv1");
  x = m.relu(x, "relu");
  x = m.maxPool(x, 3, 2, "maxpool");
  const int64_t widths[4] = {64, 128, 256, 512};
  const int blocks[4] = {3, 4, 6, 3};
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t width = widths[stage];
    for (int block = 0; block < blocks[stage]; ++block) {
      const std::string name =
          "layer" + std::to_string(stage + 1) + "." + std::to_string(block);
      const int64_t stride = block == 0 && stage > 0 ? 2 : 1;
      mlir::Value y =
          m.relu(m.conv(x, width, 1, 1, name + ".conv1"), name + ".relu1");
      y = m.relu(m.conv(y, width, 3, stride, name + ".conv2"), name + ".relu2");
      y = m.conv(y, 4 * width, 1, 1, name + ".conv3");
      mlir::Value shortcut =
          block == 0 ? m.conv(x, 4 * width, 1, stride, name + ".downsample")
                     : x;
      x = m.relu(m.add(y, shortcut, name + ".add"), name + ".relu3");
    }
  }
  x = m.globalAvgPool(x, "avgpool");
  return m.finish(m.classifier(x, 1000, "fc"));
}

} // namespace goodhart
