"""The edges: mailboxes, state, sending, and the worker loop that ties them to triage."""
