"""The OmniHub CDK app: `python -m infra_cdk.app` synthesizes stack `OmniHub` from the function catalog and
the connector registry. Nothing here lists a channel or a function by hand."""
