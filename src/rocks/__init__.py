"""rocks: reasoning = deductive search + learned intuition, built for real.

An AlphaGo (``rocks.go``, ``rocks.search``, ``rocks.nets``, ``rocks.train``, ``rocks.play``),
an R1-Zero (``rocks.reason``) and the research workflow both are built with (``rocks.lab``).
"""

__version__ = "0.1.0"
