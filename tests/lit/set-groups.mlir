// RUN: goodhart-opt %s --goodhart-set-groups="layer=block.conv2 groups=4" | FileCheck %s --check-prefix=G4
// RUN: goodhart-opt %s --goodhart-set-groups="layer=block.conv2 groups=4" --mlir-print-debuginfo | FileCheck %s --check-prefix=NAMES
// RUN: not goodhart-opt %s --goodhart-set-groups="layer=block.conv2 groups=3" 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not goodhart-opt %s --goodhart-set-groups="layer=stem groups=2" 2>&1 | FileCheck %s --check-prefix=TIED
// RUN: not goodhart-opt %s --goodhart-set-groups="layer=block.add groups=2" 2>&1 | FileCheck %s --check-prefix=NOTCONV
// RUN: not goodhart-opt %s --goodhart-set-groups="layer=block.conv2" 2>&1 | FileCheck %s --check-prefix=NOGROUPS
// RUN: goodhart-opt %s --goodhart-set-groups="layer=block.conv2 groups=4" --mlir-print-debuginfo | not goodhart-opt --goodhart-set-groups="layer=block.conv2 groups=2" 2>&1 | FileCheck %s --check-prefix=AGAIN
// RUN: goodhart-opt %s --goodhart-set-groups="layer=block.conv2 groups=4" --mlir-print-debuginfo | not goodhart-opt --goodhart-set-channels="layer=block.conv2.g0 channels=16" 2>&1 | FileCheck %s --check-prefix=MEMBER
// RUN: goodhart-opt %s --goodhart-set-groups="layer=block.conv2 groups=4" --mlir-print-debuginfo | not goodhart-opt --goodhart-set-kernel="layer=block.conv2.g1 kernel=5" 2>&1 | FileCheck %s --check-prefix=MEMBER-KERNEL
// RUN: goodhart-opt %s --goodhart-set-groups="layer=block.conv2 groups=4" --mlir-print-debuginfo | not goodhart-opt --goodhart-set-channels="layer=block.conv1 channels=64" 2>&1 | FileCheck %s --check-prefix=PRODUCER

// A bottleneck's 3x3 conv2 in 4 groups. conv1's output (conv2's input) and
// conv2's output widen by one factor s that keeps the FLOPs of conv1, conv2,
// conv3 and the ReLUs between them: L s + (Q/4) s^2 = L + Q with
// L = 135168, Q = 991232 gives s = 1.877, 32 -> 60 channels (a multiple of 4).
// G4-LABEL: func.func @bottleneck
// G4-SAME: %arg3: tensor<60x1x1x16xf32> {goodhart.weight}, %arg4: tensor<60xf32> {goodhart.weight}
// G4-SAME: %arg5: tensor<60x3x3x15xf32> {goodhart.weight}, %arg6: tensor<60xf32> {goodhart.weight}
// G4-SAME: %arg7: tensor<16x1x1x60xf32> {goodhart.weight}
// G4: %[[R1:.*]] = tosa.clamp {{.*}} -> tensor<1x8x8x60xf32>
// G4: %[[X0:.*]] = tosa.slice %[[R1]], {{.*}} -> tensor<1x8x8x15xf32>
// G4: %[[W0:.*]] = tosa.slice %arg5, {{.*}} -> tensor<15x3x3x15xf32>
// G4: %[[B0:.*]] = tosa.slice %arg6, {{.*}} -> tensor<15xf32>
// G4: %[[Y0:.*]] = tosa.conv2d %[[X0]], %[[W0]], %[[B0]], {{.*}} pad = array<i64: 1, 1, 1, 1>{{.*}} -> tensor<1x8x8x15xf32>
// G4-COUNT-3: tosa.conv2d {{.*}} -> tensor<1x8x8x15xf32>
// G4: %[[Y:.*]] = tosa.concat %[[Y0]], %{{.*}}, %{{.*}}, %{{.*}} {axis = 3 : i32} {{.*}} -> tensor<1x8x8x60xf32>
// G4: tosa.clamp %[[Y]]

// The concat keeps the layer's name; the members are named after it.
// NAMES-DAG: loc("block.conv2")
// NAMES-DAG: loc("block.conv2.g0")
// NAMES-DAG: loc("block.conv2.g3")
// NAMES-DAG: loc("block.conv2.g0.input")
// NAMES-DAG: loc("block.conv2.g0.weight")

// DIVIDE: error: {{.*}}'tosa.conv2d' op is layer 'block.conv2': 3 groups do not divide its 32 input and 32 output channels
// TIED: error: {{.*}}is layer 'stem': its output channels are tied to a residual (or the model's input) and its input channels do not come from one free layer
// NOTCONV: error: {{.*}}'tosa.add' op is layer 'block.add', not a tosa.conv2d
// NOGROUPS: error: goodhart-set-groups needs layer=NAME and groups=G > 0
// AGAIN: error: {{.*}}'tosa.concat' op is layer 'block.conv2', which is already a grouped convolution

// A grouped convolution changes as a whole or not at all: its members are
// no layers of their own, and the groups' slices of the input fix the width
// of the layer before it.
// MEMBER: error: {{.*}}is layer 'block.conv2.g0', one group of a grouped convolution: changing its channels alone would break the grouping
// MEMBER-KERNEL: error: {{.*}}is layer 'block.conv2.g1', one group of a grouped convolution: changing its kernel alone would break the grouping
// PRODUCER: error: {{.*}}'tosa.slice' op selects part of the dimension that setting 'block.conv1' changes; its start and size would select other channels

func.func @bottleneck(%x: tensor<1x8x8x16xf32>,
    %w0: tensor<16x3x3x16xf32> {goodhart.weight}, %b0: tensor<16xf32> {goodhart.weight},
    %w1: tensor<32x1x1x16xf32> {goodhart.weight}, %b1: tensor<32xf32> {goodhart.weight},
    %w2: tensor<32x3x3x32xf32> {goodhart.weight}, %b2: tensor<32xf32> {goodhart.weight},
    %w3: tensor<16x1x1x32xf32> {goodhart.weight}, %b3: tensor<16xf32> {goodhart.weight})
    -> tensor<1x8x8x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c0 = tosa.conv2d %x, %w0, %b0, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<16x3x3x16xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("stem")
  %c1 = tosa.conv2d %c0, %w1, %b1, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<32x1x1x16xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x32xf32> loc("block.conv1")
  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> loc("block.relu1")
  %c2 = tosa.conv2d %r1, %w2, %b2, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x32xf32>, tensor<32x3x3x32xf32>, tensor<32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x32xf32> loc("block.conv2")
  %r2 = tosa.clamp %c2 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> loc("block.relu2")
  %c3 = tosa.conv2d %r2, %w3, %b3, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x32xf32>, tensor<16x1x1x32xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32> loc("block.conv3")
  %s = tosa.add %c3, %c0 : (tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> loc("block.add")
  return %s : tensor<1x8x8x16xf32>
}
