"""The hub's own Lambda functions: workflow steps, event consumers and APIs."""
