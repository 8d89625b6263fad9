"""CDK entry point: `python -m infra_cdk.app` synthesizes stack `OmniHub`."""

import os

from aws_cdk import App, Environment

from infra_cdk.stack import OmniHubStack

STACK_NAME = "OmniHub"


def environment() -> Environment | None:
    """The CLI's account/region when it resolved credentials; otherwise an environment-agnostic stack.

    Without credentials the CLI still sets CDK_DEFAULT_REGION (to us-east-1), which alone would pin
    offline templates to a region they will never be deployed to, so an account is required."""
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    return Environment(account=account, region=os.environ.get("CDK_DEFAULT_REGION")) if account else None


def build(app: App) -> OmniHubStack:
    return OmniHubStack(app, STACK_NAME, env=environment())


def main() -> None:
    app = App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
