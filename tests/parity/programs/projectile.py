# A physics simulation: a projectile with quadratic drag, Euler steps; d(range)/d(angle, speed).
import math

import torch

angle = torch.tensor(math.radians(40.0), dtype=torch.float64, requires_grad=True)
speed = torch.tensor(30.0, dtype=torch.float64, requires_grad=True)
drag, g, dt = 0.002, 9.81, 0.01
pos = torch.zeros(2, dtype=torch.float64)
vel = torch.stack([speed * torch.cos(angle), speed * torch.sin(angle)])
for step in range(400):
    v = vel.norm()
    acc = -drag * v * vel + torch.tensor([0.0, -g], dtype=torch.float64)
    vel = vel + dt * acc
    pos = pos + dt * vel
print(pos)
pos[0].backward()
print(f"d x / d angle = {angle.grad.item():.6f}, d x / d speed = {speed.grad.item():.6f}")
