// RUN: goodhart-opt %s --goodhart-set-channels="layer=pw1 channels=40" | FileCheck %s

// MobileNet-style: a pointwise expansion feeds a depthwise convolution
// (multiplier 1), whose channels are tied to its input's, and a pointwise
// projection reads them.
// CHECK: tosa.conv2d {{.*}} -> tensor<1x8x8x40xf32>
// CHECK: tosa.depthwise_conv2d {{.*}} (tensor<1x8x8x40xf32>, tensor<3x3x40x1xf32>, tensor<40xf32>
// CHECK-SAME: -> tensor<1x8x8x40xf32>
// CHECK: tosa.conv2d {{.*}} (tensor<1x8x8x40xf32>, tensor<16x1x1x40xf32>

func.func @mbconv(%x: tensor<1x8x8x16xf32>,
    %w1: tensor<32x1x1x16xf32> {goodhart.weight}, %b1: tensor<32xf32> {goodhart.weight},
    %wd: tensor<3x3x32x1xf32> {goodhart.weight}, %bd: tensor<32xf32> {goodhart.weight},
    %w2: tensor<16x1x1x32xf32> {goodhart.weight}, %b2: tensor<16xf32> {goodhart.weight}) -> tensor<1x8x8x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %e = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<32x1x1x16xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x32xf32> loc("pw1")
  %d = tosa.depthwise_conv2d %e, %wd, %bd, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x32xf32>, tensor<3x3x32x1xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x32xf32> loc("dw")
  %r = tosa.clamp %d {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %p = tosa.conv2d %r, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x32xf32>, tensor<16x1x1x32xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("pw2")
  return %p : tensor<1x8x8x16xf32>
}
