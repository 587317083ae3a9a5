// RUN: goodhart-opt %s --goodhart-set-seq=length=6 | FileCheck %s
// RUN: goodhart-opt %corpus/llama2_7b_layer.mlir --goodhart-set-seq=length=500 | FileCheck %s --check-prefix=LLAMA
// RUN: not goodhart-opt %corpus/smallcnn.mlir --goodhart-set-seq=length=16 2>&1 | FileCheck %s --check-prefix=NOTOKENS

// Self-attention over [1, S, 8] tokens with 2 heads of 4, a causal mask as
// a constant and a position table as an input, at S = 4 -> 6.

// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%{{[a-z0-9]+}}: tensor<1x6x8xf32>, %{{[a-z0-9]+}}: tensor<1x6x8xf32>, %{{[a-z0-9]+}}: tensor<1x8x8xf32> {goodhart.weight}) -> tensor<2x6x6xf32>
// CHECK: tosa.add {{.*}} -> tensor<1x6x8xf32>
// CHECK: tosa.matmul {{.*}} -> tensor<1x6x8xf32>
// CHECK: tosa.const_shape {values = dense<[1, 6, 2, 4]>
// CHECK: tosa.reshape {{.*}} -> tensor<1x6x2x4xf32>
// CHECK: tosa.transpose {{.*}} -> tensor<1x2x6x4xf32>
// CHECK: tosa.const_shape {values = dense<[2, 6, 4]>
// CHECK: tosa.transpose {{.*}} -> tensor<2x4x6xf32>
// CHECK: tosa.matmul {{.*}} -> tensor<2x6x6xf32>
// The mask grows along its diagonal: still causal.
// CHECK: "tosa.const"() <{values = dense<{{\[\[\[}}0.000000e+00, -1.000000e+09, -1.000000e+09, -1.000000e+09, -1.000000e+09, -1.000000e+09], [0.000000e+00, 0.000000e+00, -1.000000e+09,
// CHECK-SAME: [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]]> : tensor<1x6x6xf32>}>
// CHECK: tosa.add {{.*}} (tensor<2x6x6xf32>, tensor<1x6x6xf32>) -> tensor<2x6x6xf32>
// CHECK: tosa.reduce_max {{.*}} -> tensor<2x6x1xf32>
// CHECK: return {{.*}} : tensor<2x6x6xf32>

// Llama: the mask and both rotary tables are inputs; all follow.
// LLAMA: func.func @llama2_7b_decoder_layer(%{{[a-z0-9]+}}: tensor<1x500x4096xf32>, %{{[a-z0-9]+}}: tensor<1x1x500x128xf32>, %{{[a-z0-9]+}}: tensor<1x1x500x128xf32>, %{{[a-z0-9]+}}: tensor<1x500x500xf32>
// LLAMA: tosa.matmul {{.*}} -> tensor<32x500x500xf32>
// LLAMA: return {{.*}} : tensor<1x500x4096xf32>

// NOTOKENS: 'smallcnn' has no [batch, sequence, hidden] input: set_seq needs a rank-3 non-weight argument

func.func @attention(
    %x: tensor<1x4x8xf32>, %pos: tensor<1x4x8xf32>,
    %wq: tensor<1x8x8xf32> {goodhart.weight}) -> tensor<2x4x4xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %h = tosa.add %x, %pos : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %q = tosa.matmul %h, %wq, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32>
  %s1 = tosa.const_shape {values = dense<[1, 4, 2, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %split = tosa.reshape %q, %s1 : (tensor<1x4x8xf32>, !tosa.shape<4>) -> tensor<1x4x2x4xf32>
  %heads = tosa.transpose %split {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %s2 = tosa.const_shape {values = dense<[2, 4, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %flat = tosa.reshape %heads, %s2 : (tensor<1x2x4x4xf32>, !tosa.shape<3>) -> tensor<2x4x4xf32>
  %kt = tosa.transpose %flat {perms = array<i32: 0, 2, 1>} : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %scores = tosa.matmul %flat, %kt, %zp, %zp : (tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x4xf32>
  %mask = "tosa.const"() <{values = dense<[[[0.0, -1.0e9, -1.0e9, -1.0e9], [0.0, 0.0, -1.0e9, -1.0e9], [0.0, 0.0, 0.0, -1.0e9], [0.0, 0.0, 0.0, 0.0]]]> : tensor<1x4x4xf32>}> : () -> tensor<1x4x4xf32>
  %masked = tosa.add %scores, %mask : (tensor<2x4x4xf32>, tensor<1x4x4xf32>) -> tensor<2x4x4xf32>
  %max = tosa.reduce_max %masked {axis = 2 : i32} : (tensor<2x4x4xf32>) -> tensor<2x4x1xf32>
  %shift = tosa.sub %masked, %max : (tensor<2x4x4xf32>, tensor<2x4x1xf32>) -> tensor<2x4x4xf32>
  return %shift : tensor<2x4x4xf32>
}
