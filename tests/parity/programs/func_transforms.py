# torch.func: per-sample-free transforms: grad, jacrev, jacfwd, hessian, jvp, vjp.
import torch
from torch.func import grad, hessian, jacfwd, jacrev, jvp, vjp

x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
f = lambda t: (t.sin() * t ** 2).sum()  # noqa: E731
print(grad(f)(x))
print(grad(grad(lambda t: t.sin() * t ** 2))(torch.tensor(0.7, dtype=torch.float64)))
g = lambda t: t.exp() * t.sum()  # noqa: E731
print(jacrev(g)(x))
print(jacfwd(g)(x))
print(hessian(f)(x))
out, tangent = jvp(g, (x,), (torch.ones(3, dtype=torch.float64),))
print(out, tangent, sep="\n")
out, pullback = vjp(g, x)
print(pullback(torch.ones(3, dtype=torch.float64)))
