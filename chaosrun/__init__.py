"""chaosrun: chaos experiments for serverless AWS systems that always restore what they changed."""

__version__ = "0.1.0"
