// A linear layer's output features (a transformer's FFN width) follow the
// same rules as a convolution's channels: weights, bias and the next linear
// layer's input follow; a head split or the model's output stops it.

// RUN: goodhart-opt %s --goodhart-set-channels="layer=ffn.up channels=20" | FileCheck %s
// RUN: not goodhart-opt %s --goodhart-set-channels="layer=ffn.down channels=9" 2>&1 | FileCheck %s --check-prefix=OUTPUT
// RUN: not goodhart-opt %s --goodhart-set-channels="layer=attn.query channels=12" 2>&1 | FileCheck %s --check-prefix=SPLIT

// CHECK-LABEL: func.func @ffn
// CHECK-SAME: %arg1: tensor<1x8x20xf32> {goodhart.weight}
// CHECK-SAME: %arg2: tensor<1x1x20xf32> {goodhart.weight}
// CHECK-SAME: %arg3: tensor<1x20x8xf32> {goodhart.weight}
// CHECK: tosa.matmul %arg0, %arg1{{.*}} -> tensor<1x4x20xf32>
// CHECK: tosa.add {{.*}} -> tensor<1x4x20xf32>
// CHECK: tosa.sigmoid {{.*}} -> tensor<1x4x20xf32>
// CHECK: tosa.matmul {{.*}} (tensor<1x4x20xf32>, tensor<1x20x8xf32>{{.*}} -> tensor<1x4x8xf32>

// OUTPUT: error: {{.*}}is layer 'ffn.down': changing its output channels would change the model's outputs
// SPLIT: error: {{.*}}splits the dimension that setting 'attn.query' changes

func.func @ffn(%x: tensor<1x4x8xf32>, %w1: tensor<1x8x16xf32> {goodhart.weight}, %b1: tensor<1x1x16xf32> {goodhart.weight}, %w2: tensor<1x16x8xf32> {goodhart.weight}, %wq: tensor<1x8x8xf32> {goodhart.weight}) -> (tensor<1x4x8xf32>, tensor<1x2x4x4xf32>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %u = tosa.matmul %x, %w1, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x16xf32> loc("ffn.up")
  %ub = tosa.add %u, %b1 : (tensor<1x4x16xf32>, tensor<1x1x16xf32>) -> tensor<1x4x16xf32> loc("ffn.up.bias")
  %a = tosa.sigmoid %ub : (tensor<1x4x16xf32>) -> tensor<1x4x16xf32> loc("ffn.act")
  %d = tosa.matmul %a, %w2, %zp, %zp : (tensor<1x4x16xf32>, tensor<1x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("ffn.down")
  %q = tosa.matmul %x, %wq, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("attn.query")
  %s = tosa.const_shape {values = dense<[1, 4, 2, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %h = tosa.reshape %q, %s : (tensor<1x4x8xf32>, !tosa.shape<4>) -> tensor<1x4x2x4xf32> loc("attn.split")
  %t = tosa.transpose %h {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32> loc("attn.heads")
  return %d, %t : tensor<1x4x8xf32>, tensor<1x2x4x4xf32>
}
