# A softmax classifier from scratch: three clusters, F.linear + F.cross_entropy (label smoothing),
# gradient descent by hand under no_grad, then class weights, one_hot and an embedding lookup.
import torch
from torch.nn import functional as F

t = torch.linspace(0, 1, 30, dtype=torch.float64)
X = torch.cat([torch.stack([t, 0.5 * t + 1.0], 1), torch.stack([t + 1.5, 0.3 * t], 1),
               torch.stack([-t, -1.0 - t], 1)])
y = torch.cat([torch.zeros(30, dtype=torch.long), torch.ones(30, dtype=torch.long),
               torch.full((30,), 2, dtype=torch.long)])
W = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
b = torch.zeros(3, dtype=torch.float64, requires_grad=True)
for step in range(101):
    logits = F.linear(X, W, b)
    loss = F.cross_entropy(logits, y, label_smoothing=0.05)
    loss.backward()
    with torch.no_grad():
        W -= 0.5 * W.grad
        b -= 0.5 * b.grad
    W.grad.zero_()
    b.grad.zero_()
    if step % 25 == 0:
        print(step, f"{loss.item():.6f}")
print(loss)
pred = logits.argmax(dim=1)
print("accuracy", (pred == y).double().mean().item())
print(F.softmax(F.linear(X[::30], W, b), dim=1))
print(F.one_hot(pred[::15], num_classes=3))
weighted = F.cross_entropy(logits, y, weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64),
                           reduction="sum")
print(f"{weighted.item():.6f}", weighted.grad_fn)
table = torch.nn.functional.embedding(torch.tensor([0, 2, 2]), W)
table.sum().backward()
print(W.grad)
print(F.nll_loss(F.log_softmax(logits, dim=1), y, reduction="none")[:4])
