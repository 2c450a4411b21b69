"""notices: renewal-notice batch mailer for My Number Cards."""

__version__ = "0.1.0"
