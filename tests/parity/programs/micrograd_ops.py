# micrograd's test_more_ops, in tensors: values and gradients of a small expression graph.
import torch

a = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
b = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
c = a + b
d = a * b + b ** 3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d * 2 + (b + a).relu()
d = d + 3 * d + (b - a).relu()
e = c - d
f = e ** 2
g = f / 2.0
g = g + 10.0 / f
g.backward()
print(f"{g.item():.4f}")
print(f"{a.grad.item():.4f} {b.grad.item():.4f}")
x = torch.tensor([[0.5, -0.3], [0.2, 0.8]], dtype=torch.float64, requires_grad=True)
y = (x.tanh() * x.exp()).sum(dim=0).max()
y.backward()
print(y, x.grad, sep="\n")
