"""Tools for developing and measuring foibot (test servers), used by the tests and `foibot bench`."""
