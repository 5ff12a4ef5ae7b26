"""The only package that imports torch, torchvision or fvcore.

build.py imports torch at module level (it exists only to make torch modules); every other module here
imports them lazily, inside functions. Nothing imports build.py at module level, and nothing outside this
package imports any module of it at module level: analytic commands must not pay for torch.
"""
