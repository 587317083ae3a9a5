// RUN: goodhart-opt %s --goodhart-set-heads="heads=4" | FileCheck %s --check-prefix=H4
// RUN: goodhart-opt %s --goodhart-set-heads="scope=attn heads=1" | FileCheck %s --check-prefix=H1
// RUN: goodhart-opt %s --goodhart-set-head-dim="dim=6" | FileCheck %s --check-prefix=DIM
// RUN: not goodhart-opt %s --goodhart-set-head-dim="dim=4" 2>&1 | FileCheck %s --check-prefix=DIMSAME
// RUN: not goodhart-opt %s --goodhart-set-heads="heads=3" 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not goodhart-opt %s --goodhart-set-heads="heads=2" 2>&1 | FileCheck %s --check-prefix=SAME
// RUN: not goodhart-opt %s --goodhart-set-heads="scope=mlp heads=4" 2>&1 | FileCheck %s --check-prefix=SCOPE
// RUN: not goodhart-opt %s --goodhart-set-heads="heads=0" 2>&1 | FileCheck %s --check-prefix=NOHEADS

// One self-attention layer written the way mlir/zoo/TransformerLayers.cpp
// (torch-mlir) decomposes it: hidden 8 = 2 heads of 4, 4 tokens. The
// weights and the model's signature do not change; the head splits, the
// batched matmuls [B*H, S, D], the softmax, the merge and the scale
// 1/sqrt(D) follow the new head count.

// H4-LABEL: func.func @attention(%arg0: tensor<1x4x8xf32>, %arg1: tensor<1x8x8xf32> {goodhart.weight}
// H4-SAME: -> tensor<1x4x8xf32>
// H4: tosa.const_shape {values = dense<[1, 4, 4, 2]>
// H4: tosa.reshape {{.*}} -> tensor<1x4x4x2xf32>
// H4: tosa.transpose {{.*}} -> tensor<1x4x4x2xf32>
// H4: tosa.const_shape {values = dense<[4, 4, 2]>
// H4: tosa.transpose {{.*}} -> tensor<1x4x2x4xf32>
// H4: tosa.const_shape {values = dense<[4, 2, 4]>
// H4: tosa.matmul {{.*}} (tensor<4x4x2xf32>, tensor<4x2x4xf32>, {{.*}} -> tensor<4x4x4xf32>
// H4: "tosa.const"() <{values = dense<0.707106{{[0-9]*}}> : tensor<1x1x1xf32>}>
// H4: tosa.reduce_max {{.*}} -> tensor<4x4x1xf32>
// H4: tosa.matmul {{.*}} -> tensor<4x4x2xf32>
// H4: tosa.const_shape {values = dense<[1, 4, 4, 2]>
// H4: tosa.reshape {{.*}} -> tensor<1x4x8xf32>
// H4: return {{.*}} : tensor<1x4x8xf32>

// H1: tosa.reshape {{.*}} -> tensor<1x4x1x8xf32>
// H1: tosa.matmul {{.*}} (tensor<1x4x8xf32>, tensor<1x8x4xf32>, {{.*}} -> tensor<1x4x4xf32>
// H1: "tosa.const"() <{values = dense<0.353553{{[0-9]*}}> : tensor<1x1x1xf32>}>

// set_head_dim keeps 2 heads, now of 6: the attention is 12 wide, the
// projections' weights follow, the residual width (8) does not.
// DIM-LABEL: func.func @attention(%arg0: tensor<1x4x8xf32>, %arg1: tensor<1x8x12xf32> {goodhart.weight}, %arg2: tensor<1x8x12xf32> {goodhart.weight}, %arg3: tensor<1x8x12xf32> {goodhart.weight}, %arg4: tensor<1x12x8xf32> {goodhart.weight})
// DIM-SAME: -> tensor<1x4x8xf32>
// DIM: tosa.reshape {{.*}} -> tensor<1x4x2x6xf32>
// DIM: tosa.matmul {{.*}} (tensor<2x4x6xf32>, tensor<2x6x4xf32>, {{.*}} -> tensor<2x4x4xf32>
// DIM: "tosa.const"() <{values = dense<0.408248{{[0-9]*}}> : tensor<1x1x1xf32>}>
// DIM: tosa.reshape {{.*}} -> tensor<1x4x12xf32>
// DIM: tosa.matmul {{.*}} (tensor<1x4x12xf32>, tensor<1x12x8xf32>, {{.*}} -> tensor<1x4x8xf32>
// DIMSAME: error: set_head_dim: the attention's heads already have 4 dimensions

// DIVIDE: error: set_heads: 3 heads do not divide the hidden size 8 (2 heads of 4)
// SAME: error: set_heads: the attention already has 2 heads
// SCOPE: error: set_heads: no attention head split {{.*}} named 'mlp.*'
// NOHEADS: error: goodhart-set-heads needs heads=H > 0

func.func @attention(
    %x: tensor<1x4x8xf32>,
    %wq: tensor<1x8x8xf32> {goodhart.weight}, %wk: tensor<1x8x8xf32> {goodhart.weight},
    %wv: tensor<1x8x8xf32> {goodhart.weight}, %wo: tensor<1x8x8xf32> {goodhart.weight})
    -> tensor<1x4x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %q = tosa.matmul %x, %wq, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("attn.query")
  %k = tosa.matmul %x, %wk, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("attn.key")
  %v = tosa.matmul %x, %wv, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("attn.value")
  %split = tosa.const_shape {values = dense<[1, 4, 2, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %qs = tosa.reshape %q, %split : (tensor<1x4x8xf32>, !tosa.shape<4>) -> tensor<1x4x2x4xf32> loc("attn.query.split")
  %qh = tosa.transpose %qs {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32> loc("attn.query.heads")
  %ks = tosa.reshape %k, %split : (tensor<1x4x8xf32>, !tosa.shape<4>) -> tensor<1x4x2x4xf32> loc("attn.key.split")
  %kh = tosa.transpose %ks {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32> loc("attn.key.heads")
  %vs = tosa.reshape %v, %split : (tensor<1x4x8xf32>, !tosa.shape<4>) -> tensor<1x4x2x4xf32> loc("attn.value.split")
  %vh = tosa.transpose %vs {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32> loc("attn.value.heads")
  %flat = tosa.const_shape {values = dense<[2, 4, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %qf = tosa.reshape %qh, %flat : (tensor<1x2x4x4xf32>, !tosa.shape<3>) -> tensor<2x4x4xf32> loc("attn.query.flat")
  %kt = tosa.transpose %kh {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("attn.key.transpose")
  %kf = tosa.reshape %kt, %flat : (tensor<1x2x4x4xf32>, !tosa.shape<3>) -> tensor<2x4x4xf32> loc("attn.key.flat")
  %vf = tosa.reshape %vh, %flat : (tensor<1x2x4x4xf32>, !tosa.shape<3>) -> tensor<2x4x4xf32> loc("attn.value.flat")
  %scores = tosa.matmul %qf, %kf, %zp, %zp : (tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x4xf32> loc("attn.scores")
  %scale = "tosa.const"() <{values = dense<0.5> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32> loc("attn.scale")
  %scaled = tosa.mul %scores, %scale, %shift : (tensor<2x4x4xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<2x4x4xf32> loc("attn.scaled")
  %max = tosa.reduce_max %scaled {axis = 2 : i32} : (tensor<2x4x4xf32>) -> tensor<2x4x1xf32> loc("attn.softmax.max")
  %shifted = tosa.sub %scaled, %max : (tensor<2x4x4xf32>, tensor<2x4x1xf32>) -> tensor<2x4x4xf32> loc("attn.softmax.shift")
  %e = tosa.exp %shifted : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32> loc("attn.softmax.exp")
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<2x4x4xf32>) -> tensor<2x4x1xf32> loc("attn.softmax.sum")
  %inv = tosa.reciprocal %sum : (tensor<2x4x1xf32>) -> tensor<2x4x1xf32> loc("attn.softmax.reciprocal")
  %p = tosa.mul %e, %inv, %shift : (tensor<2x4x4xf32>, tensor<2x4x1xf32>, tensor<1xi8>) -> tensor<2x4x4xf32> loc("attn.softmax")
  %ctx = tosa.matmul %p, %vf, %zp, %zp : (tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x4xf32> loc("attn.context")
  %split2 = tosa.const_shape {values = dense<[1, 2, 4, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %merge = tosa.const_shape {values = dense<[1, 4, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %ctx4 = tosa.reshape %ctx, %split2 : (tensor<2x4x4xf32>, !tosa.shape<4>) -> tensor<1x2x4x4xf32> loc("attn.split")
  %tok = tosa.transpose %ctx4 {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x2x4xf32> loc("attn.tokens")
  %merged = tosa.reshape %tok, %merge : (tensor<1x4x2x4xf32>, !tosa.shape<3>) -> tensor<1x4x8xf32> loc("attn.merge")
  %out = tosa.matmul %merged, %wo, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32> loc("attn.output")
  return %out : tensor<1x4x8xf32>
}
