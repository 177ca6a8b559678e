"""bedplan: place people in specialised mental-health beds in England, close to home."""

__version__ = "0.1.0"
