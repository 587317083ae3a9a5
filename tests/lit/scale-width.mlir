// A width multiplier for one stage (layers named STAGE.*) or the whole model:
// every channel site scales, each tied class once, consumers follow; the
// layer producing the model's output keeps its width.

// RUN: goodhart-opt %s --goodhart-scale-width="stage=s1 percent=50" | FileCheck %s --check-prefix=STAGE
// RUN: goodhart-opt %s --goodhart-scale-width="stage=* percent=150" | FileCheck %s --check-prefix=ALL
// RUN: not goodhart-opt %s --goodhart-scale-width="stage=s9 percent=90" 2>&1 | FileCheck %s --check-prefix=NOSTAGE
// RUN: not goodhart-opt %s --goodhart-scale-width="stage=s1" 2>&1 | FileCheck %s --check-prefix=NOPCT

// STAGE: tosa.conv2d %arg0, %arg1{{.*}} -> tensor<1x4x4x8xf32>
// STAGE: tosa.conv2d {{.*}}(tensor<1x4x4x8xf32>, tensor<32x1x1x8xf32>{{.*}} -> tensor<1x4x4x32xf32>
// STAGE: tosa.conv2d {{.*}} -> tensor<1x4x4x8xf32>

// ALL: tosa.conv2d %arg0, %arg1{{.*}} -> tensor<1x4x4x24xf32>
// ALL: tosa.conv2d {{.*}}(tensor<1x4x4x24xf32>, tensor<48x1x1x24xf32>{{.*}} -> tensor<1x4x4x48xf32>
// ALL: tosa.conv2d {{.*}}(tensor<1x4x4x48xf32>, tensor<8x1x1x48xf32>{{.*}} -> tensor<1x4x4x8xf32>

// NOSTAGE: error: {{.*}}no channel site in stage 's9' (layers named 's9.*')
// NOPCT: error: goodhart-scale-width needs stage=NAME|* and percent=P > 0

func.func @m(%x: tensor<1x4x4x8xf32>, %w1: tensor<16x1x1x8xf32> {goodhart.weight}, %b1: tensor<16xf32> {goodhart.weight}, %w2: tensor<32x1x1x16xf32> {goodhart.weight}, %b2: tensor<32xf32> {goodhart.weight}, %w3: tensor<8x1x1x32xf32> {goodhart.weight}, %b3: tensor<8xf32> {goodhart.weight}) -> tensor<1x4x4x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<16x1x1x8xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x16xf32> loc("s1.conv")
  %c2 = tosa.conv2d %c1, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x16xf32>, tensor<32x1x1x16xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x32xf32> loc("s2.conv")
  %c3 = tosa.conv2d %c2, %w3, %b3, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x32xf32>, tensor<8x1x1x32xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32> loc("head.conv")
  return %c3 : tensor<1x4x4x8xf32>
}
