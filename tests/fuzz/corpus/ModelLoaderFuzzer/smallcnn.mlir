// goodhart reference model: smallcnn
//
// Provenance: written for goodhart as the walking-skeleton reference. It is a
// reduced ResNet-style network: one basic residual block at 56x56x64 (the
// shape of ResNet-50's first stage), a strided 3x3 down-sampling convolution
// (ResNet v1.5 places the stride there), max pooling, a 1x1 expansion,
// global average pooling and a 1000-way classifier.
// Configuration: batch 1, 56x56x64 f32 input, NHWC activations, TOSA 1.0.
// Weights are function arguments marked {goodhart.weight}; runners fill them
// with seeded random values scaled by fan-in.
// Published figures: none (not a published model). Worked-out accounting is
// checked in tests/mlir/AccountingTest.cpp.
func.func @smallcnn(
    %x: tensor<1x56x56x64xf32>,
    %w1: tensor<64x3x3x64xf32> {goodhart.weight}, %b1: tensor<64xf32> {goodhart.weight},
    %w2: tensor<64x3x3x64xf32> {goodhart.weight}, %b2: tensor<64xf32> {goodhart.weight},
    %w3: tensor<128x3x3x64xf32> {goodhart.weight}, %b3: tensor<128xf32> {goodhart.weight},
    %w4: tensor<256x1x1x128xf32> {goodhart.weight}, %b4: tensor<256xf32> {goodhart.weight},
    %wfc: tensor<1x256x1000xf32> {goodhart.weight}, %bfc: tensor<1x1x1000xf32> {goodhart.weight})
    -> tensor<1x1x1000xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x56x56x64xf32>, tensor<64x3x3x64xf32>, tensor<64xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x56x56x64xf32> loc("block1.conv1")
  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> loc("block1.relu1")
  %c2 = tosa.conv2d %r1, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x56x56x64xf32>, tensor<64x3x3x64xf32>, tensor<64xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x56x56x64xf32> loc("block1.conv2")
  %s1 = tosa.add %c2, %x : (tensor<1x56x56x64xf32>, tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> loc("block1.residual")
  %r2 = tosa.clamp %s1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> loc("block1.relu2")
  %c3 = tosa.conv2d %r2, %w3, %b3, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x56x56x64xf32>, tensor<128x3x3x64xf32>, tensor<128xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x28x28x128xf32> loc("down.conv")
  %r3 = tosa.clamp %c3 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x28x28x128xf32>) -> tensor<1x28x28x128xf32> loc("down.relu")
  %p1 = tosa.max_pool2d %r3 {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x28x28x128xf32>) -> tensor<1x14x14x128xf32> loc("down.maxpool")
  %c4 = tosa.conv2d %p1, %w4, %b4, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x14x14x128xf32>, tensor<256x1x1x128xf32>, tensor<256xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x14x14x256xf32> loc("expand.conv")
  %r4 = tosa.clamp %c4 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x14x14x256xf32>) -> tensor<1x14x14x256xf32> loc("expand.relu")
  %gp = tosa.avg_pool2d %r4, %zp, %zp {acc_type = f32, kernel = array<i64: 14, 14>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x14x14x256xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x256xf32> loc("head.avgpool")
  %shape = tosa.const_shape {values = dense<[1, 1, 256]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %flat = tosa.reshape %gp, %shape : (tensor<1x1x1x256xf32>, !tosa.shape<3>) -> tensor<1x1x256xf32> loc("head.flatten")
  %fc = tosa.matmul %flat, %wfc, %zp, %zp : (tensor<1x1x256xf32>, tensor<1x256x1000xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1000xf32> loc("head.fc")
  %out = tosa.add %fc, %bfc : (tensor<1x1x1000xf32>, tensor<1x1x1000xf32>) -> tensor<1x1x1000xf32> loc("head.bias")
  return %out : tensor<1x1x1000xf32>
}
