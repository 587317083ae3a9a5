// RUN: goodhart-opt %s --goodhart-set-kernel="layer=block.conv1 kernel=5" | FileCheck %s --check-prefix=CONV1
// RUN: goodhart-opt %s --goodhart-set-kernel="layer=block.conv2 kernel=1" | FileCheck %s --check-prefix=CONV2
// RUN: goodhart-opt %s --goodhart-set-kernel="layer=down.conv kernel=5" | FileCheck %s --check-prefix=DOWN5
// RUN: goodhart-opt %s --goodhart-set-kernel="layer=down.conv kernel=1" | FileCheck %s --check-prefix=DOWN1
// RUN: goodhart-opt %s --goodhart-set-kernel="layer=head.conv kernel=3" | FileCheck %s --check-prefix=HEAD
// RUN: not goodhart-opt %s --goodhart-set-kernel="layer=block.proj kernel=3" 2>&1 | FileCheck %s --check-prefix=TIED
// RUN: not goodhart-opt %s --goodhart-set-kernel="layer=block.conv1 kernel=3" 2>&1 | FileCheck %s --check-prefix=SAME
// RUN: not goodhart-opt %s --goodhart-set-kernel="layer=block.relu1 kernel=3" 2>&1 | FileCheck %s --check-prefix=NOTCONV
// RUN: not goodhart-opt %s --goodhart-set-kernel="layer=block.conv1" 2>&1 | FileCheck %s --check-prefix=NOKERNEL

// 3x3 -> 5x5 keeps 8x8 with padding 2; FLOPs compensated by 16 * 9 / 25 =
// 5.76 -> 6 output channels, which conv2's input channels follow.
// CONV1-LABEL: func.func @convs
// CONV1-SAME: tensor<6x5x5x16xf32> {goodhart.weight}, %{{.*}}: tensor<6xf32> {goodhart.weight}
// CONV1-SAME: tensor<16x3x3x6xf32> {goodhart.weight}
// CONV1: tosa.conv2d %arg0, {{.*}} pad = array<i64: 2, 2, 2, 2>, stride = array<i64: 1, 1>} {{.*}} -> tensor<1x8x8x6xf32>

// conv2's outputs are tied to the projection shortcut by the residual add:
// its input channels compensate instead, through conv1 (16 * 9 = 144).
// CONV2-LABEL: func.func @convs
// CONV2-SAME: tensor<144x3x3x16xf32> {goodhart.weight}
// CONV2-SAME: tensor<16x1x1x144xf32> {goodhart.weight}
// CONV2: tosa.conv2d {{.*}} pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x144xf32>{{.*}} -> tensor<1x8x8x16xf32>

// Strided: 5x5 pads 2 before, the bottom/right trimmed to 1 so that
// 8 - 1 + 3 - 4 divides by 2; 32 * 9 / 25 = 11.52 -> 12 channels.
// DOWN5: tosa.conv2d {{.*}} pad = array<i64: 2, 1, 2, 1>, stride = array<i64: 2, 2>} : (tensor<1x8x8x16xf32>, tensor<12x5x5x16xf32>{{.*}} -> tensor<1x4x4x12xf32>

// Strided 1x1: trimming the padding is not enough, the input is sliced.
// DOWN1: %[[T:.*]] = tosa.slice {{.*}} -> tensor<1x7x7x16xf32>
// DOWN1: tosa.conv2d %[[T]], {{.*}} pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x7x7x16xf32>, tensor<288x1x1x16xf32>{{.*}} -> tensor<1x4x4x288xf32>

// The head's outputs are the model's: down.conv's channels compensate
// (32 / 9 = 3.56 -> 4).
// HEAD: tosa.conv2d {{.*}} (tensor<1x8x8x16xf32>, tensor<4x3x3x16xf32>{{.*}} -> tensor<1x4x4x4xf32>
// HEAD: tosa.conv2d {{.*}} pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<8x3x3x4xf32>{{.*}} -> tensor<1x4x4x8xf32>

// TIED: error: {{.*}}'tosa.conv2d' op is layer 'block.proj': its output channels are tied to a residual (or the model's input) and its input channels do not come from one free layer
// SAME: error: {{.*}}is layer 'block.conv1', which already has a 3x3 kernel
// NOTCONV: error: {{.*}}'tosa.clamp' op is layer 'block.relu1', not a tosa.conv2d
// NOKERNEL: error: goodhart-set-kernel needs layer=NAME and kernel=K > 0

func.func @convs(
    %x: tensor<1x8x8x16xf32>,
    %w1: tensor<16x3x3x16xf32> {goodhart.weight}, %b1: tensor<16xf32> {goodhart.weight},
    %w2: tensor<16x3x3x16xf32> {goodhart.weight}, %b2: tensor<16xf32> {goodhart.weight},
    %wp: tensor<16x1x1x16xf32> {goodhart.weight}, %bp: tensor<16xf32> {goodhart.weight},
    %w3: tensor<32x3x3x16xf32> {goodhart.weight}, %b3: tensor<32xf32> {goodhart.weight},
    %w4: tensor<8x1x1x32xf32> {goodhart.weight}, %b4: tensor<8xf32> {goodhart.weight})
    -> tensor<1x4x4x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<16x3x3x16xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("block.conv1")
  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> loc("block.relu1")
  %c2 = tosa.conv2d %r1, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<16x3x3x16xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("block.conv2")
  %p = tosa.conv2d %x, %wp, %bp, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<16x1x1x16xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("block.proj")
  %s = tosa.add %c2, %p : (tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> loc("block.residual")
  %r2 = tosa.clamp %s {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> loc("block.relu2")
  %c3 = tosa.conv2d %r2, %w3, %b3, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x8x8x16xf32>, tensor<32x3x3x16xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x32xf32> loc("down.conv")
  %c4 = tosa.conv2d %c3, %w4, %b4, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x32xf32>, tensor<8x1x1x32xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32> loc("head.conv")
  return %c4 : tensor<1x4x4x8xf32>
}
