"""`python -m devstack bench`: measurements of the running system, each in a private stack."""
