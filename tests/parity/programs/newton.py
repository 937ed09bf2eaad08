# Newton's method with autograd: a root of a cubic, then a 2-D minimum with the Hessian.
import torch

x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
for step in range(6):
    f = x ** 3 - 2 * x - 5
    (df,) = torch.autograd.grad(f, x)
    with torch.no_grad():
        x -= f / df
    print(step, f"{x.item():.12f}")

p = torch.tensor([1.0, 1.0], dtype=torch.float64)
objective = lambda q: (q[0] - 2) ** 4 + (q[0] - 2 * q[1]) ** 2  # noqa: E731
for step in range(5):
    g = torch.func.grad(objective)(p)
    H = torch.func.hessian(objective)(p)
    det = H[0, 0] * H[1, 1] - H[0, 1] * H[1, 0]
    inv = torch.stack([torch.stack([H[1, 1], -H[0, 1]]), torch.stack([-H[1, 0], H[0, 0]])]) / det
    p = p - inv @ g
    print(step, [round(v, 8) for v in p.tolist()], round(objective(p).item(), 10))
