"""Channel stock sync: per-channel allocation of the ledger's available units, debounced pushes to every
channel's platform, read-back and drift handling that never oscillates. See docs/stock-sync.md."""
