"""Shared runtime of OmniHub's Lambda functions: settings, observability and AWS adapters."""
