// RUN: goodhart-opt %s --goodhart-set-hidden="hidden=12" | FileCheck %s
// RUN: not goodhart-opt %s --goodhart-set-hidden="hidden=9" 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not goodhart-opt %s --goodhart-set-hidden="hidden=8" 2>&1 | FileCheck %s --check-prefix=SAME
// RUN: not goodhart-opt %s --goodhart-set-hidden="hidden=0" 2>&1 | FileCheck %s --check-prefix=ZERO

// One attention layer with a residual add and an RMS norm, as
// mlir/zoo/TransformerLayers.cpp writes them: hidden 8 = 2 heads of 4, 4
// tokens. set_hidden(*, 12) widens the residual stream (the input, the
// output, the projections' input features, the output projection's output
// features, the norm's weight and its mean 1/hidden) and, heads kept, the
// heads to 6 (the attention 12 wide, the scale 1/sqrt(6)).

// CHECK-LABEL: func.func @attention(%arg0: tensor<1x4x12xf32>, %arg1: tensor<1x12x12xf32> {goodhart.weight}, %arg2: tensor<1x12x12xf32> {goodhart.weight}, %arg3: tensor<1x12x12xf32> {goodhart.weight}, %arg4: tensor<1x12x12xf32> {goodhart.weight}, %arg5: tensor<1x1x12xf32> {goodhart.weight})
// CHECK-SAME: -> tensor<1x4x12xf32>
// CHECK: tosa.reshape {{.*}} -> tensor<1x4x2x6xf32>
// CHECK: tosa.matmul {{.*}} (tensor<2x4x6xf32>, tensor<2x6x4xf32>, {{.*}} -> tensor<2x4x4xf32>
// CHECK: "tosa.const"() <{values = dense<0.408248{{[0-9]*}}> : tensor<1x1x1xf32>}>
// CHECK: tosa.reshape {{.*}} -> tensor<1x4x12xf32>
// CHECK: tosa.matmul {{.*}} (tensor<1x4x12xf32>, tensor<1x12x12xf32>, {{.*}} -> tensor<1x4x12xf32>
// CHECK: tosa.reduce_sum {{.*}} (tensor<1x4x12xf32>) -> tensor<1x4x1xf32>
// CHECK: "tosa.const"() <{values = dense<0.0833333{{[0-9]*}}> : tensor<1x1x1xf32>}>
// CHECK: return {{.*}} : tensor<1x4x12xf32>

// DIVIDE: error: set_hidden(*, 9): the hidden size must be a positive multiple of the 2 attention heads (heads are kept, the head dimension becomes hidden / heads)
// SAME: error: set_hidden(*, 8): the model's hidden size already is 8
// ZERO: error: goodhart-set-hidden needs hidden=N > 0

func.func @attention(
    %x: tensor<1x4x8xf32>,
    %wq: tensor<1x8x8xf32> {goodhart.weight}, %wk: tensor<1x8x8xf32> {goodhart.weight},
    %wv: tensor<1x8x8xf32> {goodhart.weight}, %wo: tensor<1x8x8xf32> {goodhart.weight},
    %gamma: tensor<1x1x8xf32> {goodhart.weight})
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
  %res = tosa.add %x, %out : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32> loc("residual")
  %sq = tosa.mul %res, %res, %shift : (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1xi8>) -> tensor<1x4x8xf32> loc("norm.square")
  %ss = tosa.reduce_sum %sq {axis = 2 : i32} : (tensor<1x4x8xf32>) -> tensor<1x4x1xf32> loc("norm.mean.sum")
  %invn = "tosa.const"() <{values = dense<0.125> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32> loc("norm.mean.inv_n")
  %ms = tosa.mul %ss, %invn, %shift : (tensor<1x4x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x4x1xf32> loc("norm.mean")
  %eps = "tosa.const"() <{values = dense<1.0e-5> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32> loc("norm.epsilon")
  %mse = tosa.add %ms, %eps : (tensor<1x4x1xf32>, tensor<1x1x1xf32>) -> tensor<1x4x1xf32> loc("norm.eps")
  %r = tosa.rsqrt %mse : (tensor<1x4x1xf32>) -> tensor<1x4x1xf32> loc("norm.rsqrt")
  %nrm = tosa.mul %res, %r, %shift : (tensor<1x4x8xf32>, tensor<1x4x1xf32>, tensor<1xi8>) -> tensor<1x4x8xf32> loc("norm.normalize")
  %y = tosa.mul %gamma, %nrm, %shift : (tensor<1x1x8xf32>, tensor<1x4x8xf32>, tensor<1xi8>) -> tensor<1x4x8xf32> loc("norm")
  return %y : tensor<1x4x8xf32>
}
