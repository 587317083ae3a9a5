// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-set-activation="layer=relu activation=silu" | FileCheck %s --check-prefix=SILU
// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-set-activation="layer=act.silu activation=gelu_erf" | FileCheck %s --check-prefix=ERF
// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-set-activation="layer=relu activation=gelu_tanh" | FileCheck %s --check-prefix=TANH
// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-set-activation="layer=act.silu activation=relu6" | FileCheck %s --check-prefix=RELU6
// RUN: goodhart-opt %s --mlir-print-debuginfo --mlir-print-local-scope --goodhart-set-activation="layer=gate activation=relu" | FileCheck %s --check-prefix=SIGMOID
// RUN: not goodhart-opt %s --goodhart-set-activation="layer=conv activation=relu" 2>&1 | FileCheck %s --check-prefix=NOTACT
// RUN: not goodhart-opt %s --goodhart-set-activation="layer=relu activation=relu" 2>&1 | FileCheck %s --check-prefix=SAME
// RUN: not goodhart-opt %s --goodhart-set-activation="layer=relu activation=swish" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not goodhart-opt %s --goodhart-set-activation="layer=nope activation=relu" 2>&1 | FileCheck %s --check-prefix=NOLAYER

// A ReLU becomes x * sigmoid(x); the root keeps the layer's name.
// SILU: %[[C:.*]] = tosa.conv2d
// SILU-NOT: tosa.clamp %[[C]]
// SILU: %[[S:.*]] = tosa.sigmoid %[[C]] {{.*}} loc("relu.sigmoid")
// SILU: tosa.mul %[[C]], %[[S]], %{{.*}} : {{.*}} loc("relu")

// A SiLU composite becomes 0.5 * x * (1 + erf(x / sqrt(2))); its sigmoid is gone.
// ERF-NOT: tosa.sigmoid %{{.*}} loc("act.silu.sigmoid")
// ERF: tosa.erf {{.*}} loc("act.silu.erf")
// ERF: tosa.add {{.*}} loc("act.silu.one_plus")
// ERF: tosa.mul {{.*}} loc("act.silu")
// ERF-NOT: act.silu.sigmoid

// TANH: tosa.const{{.*}}4.471500e-02
// TANH: tosa.tanh {{.*}} loc("relu.tanh")
// TANH: tosa.mul {{.*}} loc("relu")

// RELU6: tosa.clamp {{.*}} {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} {{.*}} loc("act.silu")
// RELU6-NOT: tosa.sigmoid %{{.*}} : {{.*}} loc("act.silu

// A lone sigmoid (not a SiLU) is an activation too.
// SIGMOID: tosa.clamp {{.*}} {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} {{.*}} loc("gate")

// NOTACT: error: {{.*}}'tosa.conv2d' op is layer 'conv', not an activation
// SAME: error: {{.*}}'tosa.clamp' op is layer 'relu', already relu
// UNKNOWN: error: unknown activation 'swish'
// NOLAYER: error: no layer named 'nope'

func.func @m(%x: tensor<1x4x4x8xf32>, %w: tensor<8x1x1x8xf32> {goodhart.weight}, %b: tensor<8xf32> {goodhart.weight}) -> tensor<1x4x4x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x8xf32> loc("conv")
  %r = tosa.clamp %c {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("relu")
  %s = tosa.sigmoid %r : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("act.silu.sigmoid")
  %y = tosa.mul %r, %s, %shift : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1xi8>) -> tensor<1x4x4x8xf32> loc("act.silu")
  %g = tosa.sigmoid %y : (tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("gate")
  %o = tosa.add %g, %y : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> loc("out")
  return %o : tensor<1x4x4x8xf32>
}
