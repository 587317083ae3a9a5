// RUN: goodhart-opt %s --goodhart-refine-shapes | FileCheck %s

// Result types written too wide are re-inferred from the operands, in order,
// and the function type follows.
// CHECK-LABEL: func.func @m(%{{.*}}: tensor<1x6x6x4xf32>) -> tensor<1x3x3x4xf32>
// CHECK: tosa.max_pool2d {{.*}} -> tensor<1x3x3x4xf32>
// CHECK: tosa.sigmoid {{.*}} -> tensor<1x3x3x4xf32>
func.func @m(%x: tensor<1x6x6x4xf32>) -> tensor<*xf32> {
  %p = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x6x6x4xf32>) -> tensor<*xf32>
  %s = tosa.sigmoid %p : (tensor<*xf32>) -> tensor<*xf32>
  return %s : tensor<*xf32>
}
