"""The local hub: OmniHub on one machine, with moto as the embedded AWS, and the `omnihub` CLI."""
