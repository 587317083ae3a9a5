//===- MobileNet.cpp - MobileNetV2 1.0 ----------------------------------===//
//
// torchvision's mobilenet_v2 (Sandler et al. 2018), width 1.0: inverted
// residual blocks of a 1x1 expansion, a 3x3 depthwise convolution and a
// linear 1x1 projection, ReLU6, batch normalization folded into convolution
// biases. Layer names follow torchvision (features.3.conv.1).
//
//===----------------------------------------------------------------------===//

#include "mlir/zoo/ModelZoo.h"
#include "mlir/zoo/TosaModelBuilder.h"

namespace goodhart {

mlir::LogicalResult buildMobileNetV2(mlir::ModuleOp module,
                                     const ZooOptions &options) {
  mlir::Type type = zooElementType(module.getContext(), options.dtype);
  TosaModelBuilder m(module, "mobilenet_v2",
                     {options.batch, options.resolution, options.resolution, 3},
                     type);
  mlir::Value x =
      m.relu(m.conv(m.input(), 32, 3, 2, "features.0.conv"), "features.0.relu",
             /*six=*/true);
  // (expansion t, output channels c, repeats n, first stride s).
  const int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2},
                                  {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2},
                                  {6, 320, 1, 1}};
  int64_t channels = 32;
  int feature = 1;
  for (const auto &[t, c, n, s] : settings) {
    for (int64_t i = 0; i < n; ++i, ++feature) {
      const std::string name = "features." + std::to_string(feature) + ".conv";
      const int64_t stride = i == 0 ? s : 1;
      mlir::Value y = x;
      int part = 0;
      if (t != 1) {
        y = m.relu(
            m.conv(y, channels * t, 1, 1, name + "." + std::to_string(part)),
            name + "." + std::to_string(part) + ".relu", true);
        ++part;
      }
      y = m.relu(m.depthwise(y, 3, stride, name + "." + std::to_string(part)),
                 name + "." + std::to_string(part) + ".relu", true);
      ++part;
      y = m.conv(y, c, 1, 1, name + "." + std::to_string(part));
      x = stride == 1 && channels == c ? m.add(x, y, name + ".add") : y;
      channels = c;
    }
  }
  x = m.relu(m.conv(x, 1280, 1, 1, "features.18.conv"), "features.18.relu",
             true);
  x = m.globalAvgPool(x, "avgpool");
  return m.finish(m.classifier(x, 1000, "classifier"));
}

} // namespace goodhart
