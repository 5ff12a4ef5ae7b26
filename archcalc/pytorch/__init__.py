"""The only package that imports torch, torchvision or fvcore, always lazily, inside functions or here.

Nothing outside archcalc/measure/ may import this package at module level: analytic commands must not pay
for torch.
"""
