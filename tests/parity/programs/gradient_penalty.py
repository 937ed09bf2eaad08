# WGAN-GP style gradient penalty: differentiate a gradient norm (create_graph=True).
import torch

w = torch.tensor([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]], dtype=torch.float64, requires_grad=True)
real = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 1.0]], dtype=torch.float64)
fake = torch.tensor([[0.5, 0.5, 0.5], [1.0, 0.0, -1.0]], dtype=torch.float64)
alpha = torch.tensor([[0.25], [0.75]], dtype=torch.float64)
interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
critic = torch.tanh(interp @ w).sum(dim=1)
grads, = torch.autograd.grad(critic, interp, grad_outputs=torch.ones_like(critic), create_graph=True)
penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
print(grads)
print(penalty)
penalty.backward()
print(w.grad)
print(interp.grad)
