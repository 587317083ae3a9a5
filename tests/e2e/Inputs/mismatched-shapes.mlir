func.func @m(%a: tensor<1x8xf32>, %b: tensor<1x9xf32>) -> tensor<1x8xf32> {
  %y = tosa.add %a, %b : (tensor<1x8xf32>, tensor<1x9xf32>) -> tensor<1x8xf32> loc("head.add")
  return %y : tensor<1x8xf32>
}
