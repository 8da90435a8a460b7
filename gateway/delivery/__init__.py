"""Delivery policy shared by every connector: when to retry, when to give up, when to hold off."""
