"""The zoo: named architectures, each with its source and default input, built with the public Net API.

A name torchvision also uses means exactly torchvision's architecture; a published original that differs
has a `-paper` suffix. Families that papers parametrise can register a name pattern (e.g. wrn-D-K).
The registry is `_registry.py`; each other module here is one family.
"""

from ._registry import (FAMILIES, ZooEntry, ZooPattern, entries, get, names, register, register_family,  # noqa: F401
                        register_pattern)
