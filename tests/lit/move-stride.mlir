// RUN: goodhart-opt %s --goodhart-move-stride="block=block position=1" | FileCheck %s --check-prefix=V1
// RUN: goodhart-opt %s --goodhart-move-stride="block=block position=1" --mlir-print-debuginfo | goodhart-opt --goodhart-move-stride="block=block position=2" | FileCheck %s --check-prefix=BACK
// RUN: goodhart-opt %s --goodhart-move-stride="block=block position=3" | FileCheck %s --check-prefix=CONV3
// RUN: not goodhart-opt %s --goodhart-move-stride="block=block position=2" 2>&1 | FileCheck %s --check-prefix=SAME
// RUN: not goodhart-opt %s --goodhart-move-stride="block=block position=4" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not goodhart-opt %s --goodhart-move-stride="block=nope position=1" 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// A down-sampling bottleneck the way corpus/resnet50.mlir (ResNet v1.5)
// writes it: the stride on the 3x3 conv2 (padding 1,0: 8 + 1 - 3 divides
// by 2), the shortcut's 1x1 stride-2 conv reading a trimmed 7x7 input.

// ResNet v1: conv1 strides, and reads the shortcut's trim (moved up, not
// duplicated: one slice in the module); conv2 pads 1 on all sides.
// V1-LABEL: func.func @bottleneck
// V1: %[[TRIM:.*]] = tosa.slice %arg0, {{.*}} -> tensor<1x7x7x16xf32>
// V1: tosa.conv2d %[[TRIM]], {{.*}} pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} {{.*}} -> tensor<1x4x4x8xf32>
// V1: tosa.clamp {{.*}} -> tensor<1x4x4x8xf32>
// V1: tosa.conv2d {{.*}} pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>{{.*}} -> tensor<1x4x4x8xf32>
// V1: tosa.conv2d {{.*}} -> tensor<1x4x4x32xf32>
// V1: tosa.conv2d %[[TRIM]], {{.*}} -> tensor<1x4x4x32xf32>
// V1-NOT: tosa.slice
// V1: return {{.*}} : tensor<1x4x4x32xf32>

// And back to v1.5: conv1 reads the full input again, the shortcut keeps
// its trim.
// BACK-LABEL: func.func @bottleneck
// BACK: tosa.slice
// BACK: tosa.conv2d %arg0, {{.*}} stride = array<i64: 1, 1>} {{.*}} -> tensor<1x8x8x8xf32>
// BACK: tosa.conv2d {{.*}} pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>{{.*}} -> tensor<1x4x4x8xf32>

// On the 1x1 expansion: conv2 runs at full resolution, conv3 needs a trim.
// CONV3: tosa.conv2d {{.*}} pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} {{.*}} -> tensor<1x8x8x8xf32>
// CONV3: %[[T3:.*]] = tosa.slice {{.*}} -> tensor<1x7x7x8xf32>
// CONV3: tosa.conv2d %[[T3]], {{.*}} stride = array<i64: 2, 2>} {{.*}} -> tensor<1x4x4x32xf32>

// SAME: error: {{.*}}is layer 'block.conv2', which already has the stride of block 'block'
// RANGE: error: move_stride: block 'block' has 3 convolutions; position 4 is not in [1, 3]
// UNKNOWN: error: no block 'nope' with a chain of convolutions and one stride

func.func @bottleneck(
    %x: tensor<1x8x8x16xf32>,
    %w1: tensor<8x1x1x16xf32> {goodhart.weight}, %b1: tensor<8xf32> {goodhart.weight},
    %w2: tensor<8x3x3x8xf32> {goodhart.weight}, %b2: tensor<8xf32> {goodhart.weight},
    %w3: tensor<32x1x1x8xf32> {goodhart.weight}, %b3: tensor<32xf32> {goodhart.weight},
    %wd: tensor<32x1x1x16xf32> {goodhart.weight}, %bd: tensor<32xf32> {goodhart.weight})
    -> tensor<1x4x4x32xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<8x1x1x16xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x8xf32> loc("block.conv1")
  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> loc("block.relu1")
  %c2 = tosa.conv2d %r1, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>, tensor<8x3x3x8xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32> loc("block.conv2")
  %r2 = tosa.clamp %c2 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("block.relu2")
  %c3 = tosa.conv2d %r2, %w3, %b3, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<32x1x1x8xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x32xf32> loc("block.conv3")
  %s0 = tosa.const_shape {values = dense<0> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s7 = tosa.const_shape {values = dense<[1, 7, 7, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %t = tosa.slice %x, %s0, %s7 : (tensor<1x8x8x16xf32>, !tosa.shape<4>, !tosa.shape<4>) -> tensor<1x7x7x16xf32> loc("block.downsample.trim")
  %cd = tosa.conv2d %t, %wd, %bd, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x7x7x16xf32>, tensor<32x1x1x16xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x32xf32> loc("block.downsample")
  %a = tosa.add %c3, %cd : (tensor<1x4x4x32xf32>, tensor<1x4x4x32xf32>) -> tensor<1x4x4x32xf32> loc("block.add")
  %r3 = tosa.clamp %a {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x32xf32>) -> tensor<1x4x4x32xf32> loc("block.relu3")
  return %r3 : tensor<1x4x4x32xf32>
}
