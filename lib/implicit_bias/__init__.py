"""implicit_bias: the library behind the book on the implicit l1 bias of linear networks."""

__version__ = "0.1.0"
