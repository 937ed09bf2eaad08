# Tensor hooks, retain_grad, and anomaly detection naming the op that made a NaN.
import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
y.retain_grad()
h = y.register_hook(lambda grad: grad * 10)
z = (y ** 2).sum()
z.backward()
print(x.grad, y.grad)
h.remove()
x.grad = None
(y.detach().requires_grad_() ** 2).sum().backward()
w = torch.tensor([0.0, 1.0], requires_grad=True)
with torch.autograd.detect_anomaly():
    try:
        out = (w.sqrt() * 0).sum()
        out.backward()
        print(w.grad)
    except RuntimeError as exc:
        print("RuntimeError", str(exc).split("'")[1])
