# Logistic regression from scratch: sigmoid, BCE written out, full-batch gradient descent.
import torch

X = torch.stack([torch.linspace(-2, 2, 40), torch.linspace(1, -1, 40) ** 2], dim=1).double()
labels = (X[:, 0] + 0.5 * X[:, 1] > 0.3).double()
w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
b = torch.zeros((), dtype=torch.float64, requires_grad=True)
for epoch in range(200):
    p = torch.sigmoid(X @ w + b)
    loss = -(labels * torch.log(p) + (1 - labels) * torch.log(1 - p)).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.5 * w.grad
        b -= 0.5 * b.grad
    w.grad.zero_()
    b.grad.zero_()
    if epoch % 50 == 0:
        print(epoch, f"{loss.item():.6f}")
accuracy = ((torch.sigmoid(X @ w + b) > 0.5).double() == labels).double().mean()
print(w, b)
print(f"accuracy {accuracy.item():.3f}")
