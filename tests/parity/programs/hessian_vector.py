# Hessian-vector products by double backward, and the Hessian from torch.autograd.functional.
import torch
from torch.autograd.functional import hessian, hvp, vhp


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


x = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
v = torch.tensor([1.0, -0.5], dtype=torch.float64)
f = rosenbrock(x)
g, = torch.autograd.grad(f, x, create_graph=True)
hv, = torch.autograd.grad(g, x, grad_outputs=v)
print(f, g, hv, sep="\n")
print(hessian(rosenbrock, x.detach()))
print(hvp(rosenbrock, x.detach(), v)[1])
print(vhp(rosenbrock, x.detach(), v)[1])
print(torch.autograd.functional.jacobian(lambda p: torch.stack([p[0] * p[1], p[0].exp()]), x.detach()))
