"""Adapters: the only modules that talk to AWS. Logic modules receive them as ports."""
