"""Read API for operators."""
