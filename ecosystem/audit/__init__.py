"""Trust in the shared history: the Merkle tree over the log, commitments to each event's
fields, signed checkpoints, party signatures, sealed personal data and the offline verifier.

Nothing here touches a database: an auditor runs the verifier on a bundle, at home.
"""
