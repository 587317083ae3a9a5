// RUN: goodhart-opt %s --goodhart-set-batch=size=3 | FileCheck %s
// RUN: goodhart-opt %corpus/bert_large.mlir --goodhart-set-batch=size=2 | FileCheck %s --check-prefix=BERT
// RUN: not goodhart-opt %s --goodhart-set-batch=size=0 2>&1 | FileCheck %s --check-prefix=ZERO

// A CNN head at batch 1: the classifier weight [1, 16, 10] never carries the
// batch; the flatten folds it into the matmul's rows, as exporters do.

// CHECK-LABEL: func.func @head
// CHECK-SAME: (%{{[a-z0-9]+}}: tensor<3x8x8x16xf32>, %{{[a-z0-9]+}}: tensor<16x3x3x16xf32> {goodhart.weight}, %{{[a-z0-9]+}}: tensor<16xf32> {goodhart.weight}, %{{[a-z0-9]+}}: tensor<1x16x10xf32> {goodhart.weight}, %{{[a-z0-9]+}}: tensor<1x1x10xf32> {goodhart.weight}) -> tensor<3x10xf32>
// CHECK: tosa.conv2d {{.*}} -> tensor<3x8x8x16xf32>
// CHECK: tosa.avg_pool2d {{.*}} -> tensor<3x1x1x16xf32>
// CHECK: tosa.const_shape {values = dense<[1, 3, 16]>
// CHECK: tosa.reshape {{.*}} -> tensor<1x3x16xf32>
// CHECK: tosa.matmul {{.*}} (tensor<1x3x16xf32>, tensor<1x16x10xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x10xf32>
// CHECK: tosa.add {{.*}} (tensor<1x3x10xf32>, tensor<1x1x10xf32>) -> tensor<1x3x10xf32>
// CHECK: tosa.const_shape {values = dense<[3, 10]>
// CHECK: return {{.*}} : tensor<3x10xf32>

// BERT folds the batch into the tokens: [1, 2 x 384, 1024]; the head split
// takes it out to dimension 0, the attention's batched matmuls hold it in
// 2 x 16 heads, the merge folds it back before the output projection.
// BERT: func.func @bert_large_encoder(%{{[a-z0-9]+}}: tensor<1x768x1024xf32>
// BERT: tosa.const_shape {values = dense<[2, 384, 16, 64]>
// BERT: tosa.matmul {{.*}} -> tensor<32x384x384xf32>
// BERT: tosa.const_shape {values = dense<[1, 768, 1024]>
// BERT: return {{.*}} : tensor<1x768x1024xf32>

// ZERO: goodhart-set-batch needs size=N > 0

func.func @head(
    %x: tensor<1x8x8x16xf32>,
    %w: tensor<16x3x3x16xf32> {goodhart.weight}, %b: tensor<16xf32> {goodhart.weight},
    %wfc: tensor<1x16x10xf32> {goodhart.weight}, %bfc: tensor<1x1x10xf32> {goodhart.weight}) -> tensor<1x10xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<16x3x3x16xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x16xf32>
  %p = tosa.avg_pool2d %c, %zp, %zp {acc_type = f32, kernel = array<i64: 8, 8>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x16xf32>
  %s1 = tosa.const_shape {values = dense<[1, 1, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %f = tosa.reshape %p, %s1 : (tensor<1x1x1x16xf32>, !tosa.shape<3>) -> tensor<1x1x16xf32>
  %m = tosa.matmul %f, %wfc, %zp, %zp : (tensor<1x1x16xf32>, tensor<1x16x10xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x10xf32>
  %a = tosa.add %m, %bfc : (tensor<1x1x10xf32>, tensor<1x1x10xf32>) -> tensor<1x1x10xf32>
  %s2 = tosa.const_shape {values = dense<[1, 10]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %l = tosa.reshape %a, %s2 : (tensor<1x1x10xf32>, !tosa.shape<2>) -> tensor<1x10xf32>
  return %l : tensor<1x10xf32>
}
