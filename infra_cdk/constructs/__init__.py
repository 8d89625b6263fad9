"""One construct per concern; `infra_cdk.stack.OmniHubStack` only composes them."""
