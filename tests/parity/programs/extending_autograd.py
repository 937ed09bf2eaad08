# "Extending torch.autograd": Functions with tuple outputs, setup_context, non-differentiable
# outputs, dirty inputs, unmaterialized gradients, and a double backward through them.
import torch


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(i):
        return i.exp()

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class SortValues(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        values = x * x
        order = (values > 1.0).long()
        ctx.mark_non_differentiable(order)
        ctx.save_for_backward(x)
        return values, order

    @staticmethod
    def backward(ctx, g_values, g_order):
        (x,) = ctx.saved_tensors
        return g_values * 2 * x


class ScaleInPlace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        x.mul_(factor)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * ctx.factor, None


class Split(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 1, x * 2

    @staticmethod
    def backward(ctx, ga, gb):
        print("materialized:", ga is not None, gb is not None)
        total = 0
        if ga is not None:
            total = total + ga
        if gb is not None:
            total = total + gb * 2
        return total


x = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
y = Exp.apply(x) * x
(g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
(h,) = torch.autograd.grad(g.sum(), x)
print(y, g, h, sep="\n")
values, order = SortValues.apply(x)
print(values.requires_grad, order.requires_grad, order)
(values.sum() * 3).backward()
print(x.grad)
z = x.detach() * 1
z.requires_grad_()
w = z * 1
out = ScaleInPlace.apply(w, 4.0)
print(out is w, w._version, w.grad_fn.name())
out.sum().backward()
print(z.grad)
a, b = Split.apply(x)
b.sum().backward()
print(x.grad)
print(torch.autograd.gradcheck(Exp.apply, (x,)), torch.autograd.gradgradcheck(SortValues.apply, (x,)))
