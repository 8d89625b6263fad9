"""What every connector is made of: contracts, errors, ingestion, webhook running and platform HTTP."""
