"""The audit trail in the database: the ledger written with every event, signed checkpoints,
the keys of personal data, verification of the stored log, and what an auditor may read."""
