"""foibot: reads replies to Freedom of Information requests and says what to do next."""

__version__ = "0.1.0"
